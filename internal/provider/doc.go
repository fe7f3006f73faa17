// Package provider defines how the Cluster Manager drives the lifecycle of member clusters.
package provider
