// Package get implements `navarkos get clusters|pools`, readable tables of the fleet.
package get
