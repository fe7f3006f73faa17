// Package docs holds the tests that keep README.md and docs/ true: their links and anchors
// lead somewhere, the navarkos commands, flags and CRD fields they name exist, and the API
// server accepts their YAML examples.
package docs
