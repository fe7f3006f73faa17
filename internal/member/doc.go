// Package member builds and caches clients of member clusters from the kubeconfig Secrets the Cluster Manager keeps.
package member
