// Package traces holds the shipped demand traces and pools, for `navarkos simulate` files
// and for the dashboard's simulator page, which offers them by name.
package traces

import "embed"

// Files are the shipped traces (*.csv) and pools (pools*.yaml).
//
//go:embed *.csv *.yaml
var Files embed.FS
