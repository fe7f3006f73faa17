// Package clusterprofile publishes every member cluster as a ClusterProfile of the cluster inventory API, so that other multi-cluster tools can read Navarkos' fleet.
package clusterprofile
