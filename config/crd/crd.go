// Package crd embeds the generated CustomResourceDefinitions of the fleet API.
package crd

import "embed"

// Files holds config/crd/bases/*.yaml, the n6s.io kinds generated from api/, and
// config/crd/inventory/*.yaml, the kinds of the cluster inventory API that Navarkos writes,
// generated from their Go module: one CustomResourceDefinition each.
//
//go:embed bases/*.yaml inventory/*.yaml
var Files embed.FS
