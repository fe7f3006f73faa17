//go:build tools

// Package tools pins the Fn server whose api and lb roles the chart's real-server test runs.
package tools

import _ "github.com/fnproject/fn/cmd/fnserver"
