// Package fleetmodel turns the fleet API's objects into the planner's and the placement
// engine's views, with the API defaults applied, so that the controller and the simulator
// see a pool the same way.
package fleetmodel
