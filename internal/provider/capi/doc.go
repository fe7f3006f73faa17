// Package capi is the provider that makes member clusters through Cluster API, in any
// infrastructure a ClusterClass describes.
package capi
