// Package fleetplan reads the fleet API into the planner's input and computes the plan, for the planner controller, `navarkos plan` and `navarkos explain` alike.
package fleetplan
