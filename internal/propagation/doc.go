// Package propagation renders the object a member cluster gets from a fleet object: its replicas, its per-cluster overrides and Navarkos' marks.
package propagation
