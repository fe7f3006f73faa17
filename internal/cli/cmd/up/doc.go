// Package up implements `navarkos up`, which runs a whole local fleet in the foreground.
package up
