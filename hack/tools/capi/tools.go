//go:build tools

// Package tools pins the Cluster API controllers that bin/ is built from: the core
// manager, the kubeadm bootstrap and control-plane providers, and the test
// infrastructure provider (CAPD) whose in-memory backend needs no machines.
package tools

import (
	_ "sigs.k8s.io/cluster-api/bootstrap/kubeadm"
	_ "sigs.k8s.io/cluster-api/controlplane/kubeadm"
	_ "sigs.k8s.io/cluster-api/core"
	_ "sigs.k8s.io/cluster-api/test/infrastructure/docker"
)
