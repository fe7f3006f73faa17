// Package planner decides the fleet's shape from its demand: which clusters to create, wake,
// grow, shrink, drain and take offline. It is pure: no client, no clock, no I/O. The planner
// controller and the fleet simulator feed it the fleet and the demand, with the time, and carry
// out the actions it returns.
package planner
