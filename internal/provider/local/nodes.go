package local

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
)

// kwokNodeAnnotation tells kwok's controller to simulate a node.
const kwokNodeAnnotation = "kwok.x-k8s.io/node"

// NodeName is the name of the i-th Navarkos node of a cluster.
func NodeName(cluster string, i int) string { return fmt.Sprintf("%s-node-%d", cluster, i) }

// nodeIndex parses the index out of a NodeName; ok is false for nodes Navarkos did not name.
func nodeIndex(cluster, node string) (int, bool) {
	rest, found := strings.CutPrefix(node, cluster+"-node-")
	if !found {
		return 0, false
	}
	i, err := strconv.Atoi(rest)
	if err != nil || i < 0 {
		return 0, false
	}
	return i, true
}

// NewNode builds the i-th simulated node of a cluster in the pool's shape.
func NewNode(cluster string, i int, pool n6sv1alpha1.ClusterPoolSpec) *corev1.Node {
	name := NodeName(cluster, i)
	resources := corev1.ResourceList{
		corev1.ResourceCPU:    pool.NodeShape.CPU,
		corev1.ResourceMemory: pool.NodeShape.Memory,
		corev1.ResourcePods:   *resource.NewQuantity(int64(pool.NodeShape.Pods), resource.DecimalSI),
	}
	labels := map[string]string{
		corev1.LabelHostname:         name,
		corev1.LabelOSStable:         "linux",
		corev1.LabelArchStable:       "amd64",
		corev1.LabelTopologyRegion:   pool.Region,
		"type":                       "kwok",
		n6sv1alpha1.ManagedNodeLabel: "true",
	}
	if pool.Zone != "" {
		labels[corev1.LabelTopologyZone] = pool.Zone
	}
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name:        name,
			Labels:      labels,
			Annotations: map[string]string{kwokNodeAnnotation: "fake"},
		},
		Status: corev1.NodeStatus{
			Capacity:    resources,
			Allocatable: resources,
			NodeInfo: corev1.NodeSystemInfo{
				Architecture:    "amd64",
				OperatingSystem: "linux",
				KubeletVersion:  "kwok",
			},
		},
	}
}

// ScaleNodes makes the cluster hold exactly want Navarkos nodes, numbered from 0.
// Surplus nodes are drained make before break (drainNodes) and then removed.
func ScaleNodes(ctx context.Context, cs kubernetes.Interface, cluster string, want int32, pool n6sv1alpha1.ClusterPoolSpec) error {
	list, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: n6sv1alpha1.ManagedNodeLabel + "=true"})
	if err != nil {
		return fmt.Errorf("failed to list the nodes of cluster %s: %w", cluster, err)
	}
	have := map[int]bool{}
	var surplus []string
	for _, n := range list.Items {
		i, ok := nodeIndex(cluster, n.Name)
		if !ok {
			continue
		}
		have[i] = true
		if i >= int(want) {
			surplus = append(surplus, n.Name)
		}
	}
	for i := range int(want) {
		if have[i] {
			continue
		}
		if _, err := cs.CoreV1().Nodes().Create(ctx, NewNode(cluster, i, pool), metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("failed to create node %s: %w", NodeName(cluster, i), err)
		}
	}
	if err := drainNodes(ctx, cs, surplus); err != nil {
		return err
	}
	for _, name := range surplus {
		if err := cs.CoreV1().Nodes().Delete(ctx, name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("failed to delete node %s: %w", name, err)
		}
	}
	return nil
}
