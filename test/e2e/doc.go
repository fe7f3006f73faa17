// Package e2e drives whole local fleets, built from the real Kubernetes components, through the fleet API and the CLI.
package e2e
