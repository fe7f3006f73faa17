// Package propagation applies each Binding's resource to its member clusters, removes it where it no longer belongs, and sums the members' status back into the fleet object.
package propagation
