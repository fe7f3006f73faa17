//go:build tools

// Package tools pins kwok and kwokctl, which bin/ is built from.
package tools

import (
	_ "sigs.k8s.io/kwok/cmd/kwok"
	_ "sigs.k8s.io/kwok/cmd/kwokctl"
)
