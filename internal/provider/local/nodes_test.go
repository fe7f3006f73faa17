package local

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
)

func TestNodeIndex(t *testing.T) {
	tests := []struct {
		node   string
		want   int
		wantOK bool
	}{
		{"c1-node-0", 0, true},
		{"c1-node-12", 12, true},
		{"c1-node-x", 0, false},
		{"c1-node--1", 0, false},
		{"c10-node-1", 0, false},
		{"other", 0, false},
	}
	for _, tt := range tests {
		got, ok := nodeIndex("c1", tt.node)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("nodeIndex(c1, %q) = %d, %v; want %d, %v", tt.node, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestNewNodeTakesThePoolShape(t *testing.T) {
	pool := n6sv1alpha1.ClusterPoolSpec{
		Region: "eu-west", Zone: "eu-west-a",
		NodeShape: n6sv1alpha1.NodeShape{CPU: resource.MustParse("4"), Memory: resource.MustParse("16Gi"), Pods: 30},
	}
	n := NewNode("c1", 2, pool)
	if n.Name != "c1-node-2" {
		t.Errorf("name = %s", n.Name)
	}
	if n.Annotations[kwokNodeAnnotation] != "fake" {
		t.Error("the node must be marked for kwok to simulate")
	}
	for k, want := range map[string]string{
		corev1.LabelTopologyRegion: "eu-west", corev1.LabelTopologyZone: "eu-west-a", n6sv1alpha1.ManagedNodeLabel: "true",
	} {
		if n.Labels[k] != want {
			t.Errorf("label %s = %q, want %q", k, n.Labels[k], want)
		}
	}
	alloc := n.Status.Allocatable
	if alloc.Cpu().String() != "4" || alloc.Memory().String() != "16Gi" || alloc.Pods().Value() != 30 {
		t.Errorf("allocatable = %v, want the pool's shape", alloc)
	}
}
