// Package options holds the flags every navarkos command shares and the fleet clients they build.
package options
