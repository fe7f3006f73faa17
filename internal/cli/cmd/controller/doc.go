// Package controller implements `navarkos controller`, which runs only the controllers against an existing fleet API server.
package controller
