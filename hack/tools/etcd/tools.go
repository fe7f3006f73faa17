//go:build tools

// Package tools pins the etcd server that bin/ is built from.
package tools

import _ "go.etcd.io/etcd/server/v3"
