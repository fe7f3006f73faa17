// Package static joins clusters that already exist, from the kubeconfig a Cluster names.
package static
