// Package local makes member clusters on this machine from the real Kubernetes components, with kwok nodes.
package local
