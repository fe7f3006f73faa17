// Package crd embeds the generated CustomResourceDefinitions of the fleet API.
package crd

import "embed"

// Files holds config/crd/bases/*.yaml, one CustomResourceDefinition each.
//
//go:embed bases/*.yaml
var Files embed.FS
