// Package fn implements `navarkos fn install|status|uninstall`: the Fn chart through the Helm
// SDK, into one member cluster or across the fleet behind one global DNS name.
package fn
