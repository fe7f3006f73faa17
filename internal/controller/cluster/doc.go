// Package cluster is the Cluster Manager: it drives each member cluster through its provider and reports its health and capacity.
package cluster
