// Package localfleet runs a local fleet: the fleet API server and the local member clusters under one data directory.
package localfleet
