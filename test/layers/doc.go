// Package layers holds the test that keeps the package layers apart: controllers, commands and libraries.
package layers
