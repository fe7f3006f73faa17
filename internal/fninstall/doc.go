// Package fninstall installs, reports and removes the Fn chart with the Helm SDK: into one
// member cluster, or into the fleet API with a ClusterPlacement that runs it on every selected
// cluster and a GlobalIngress that gives its API and invoke endpoints one DNS name.
package fninstall
