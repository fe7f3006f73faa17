// Package describe implements `navarkos describe KIND/NAME`: where a fleet resource runs, and why.
package describe
