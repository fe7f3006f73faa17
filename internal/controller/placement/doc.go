// Package placement is the scheduler: it selects each Placement's resources, asks the placement engine where they run, and writes one Binding per resource.
package placement
