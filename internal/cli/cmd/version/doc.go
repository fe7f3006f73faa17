// Package version implements `navarkos version`.
package version
