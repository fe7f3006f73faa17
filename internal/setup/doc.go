// Package setup builds the controller manager with every Navarkos controller, for the CLI and the tests alike.
package setup
