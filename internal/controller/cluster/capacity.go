package cluster

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
)

// memberFacts is what one health check saw in a member cluster.
type memberFacts struct {
	version    string
	readyNodes int32
	// managedReadyNodes counts the Ready nodes that Navarkos made.
	managedReadyNodes int32
	managedNodes      int32
	capacity          n6sv1alpha1.ClusterCapacity
	// userPods counts the unfinished pods outside the kube-* namespaces.
	userPods int32
}

// summarize computes a member's capacity from its nodes and pods: allocatable from
// the Ready, schedulable nodes that are not tainted as control plane, and used from the
// requests of unfinished pods bound to them. A node that reports no allocatable at all
// (Cluster API's in-memory test machines have no kubelet to report it) counts as the pool's
// node shape, when there is a pool.
func summarize(nodes []corev1.Node, pods []corev1.Pod, shape *n6sv1alpha1.NodeShape) memberFacts {
	var f memberFacts
	alloc := corev1.ResourceList{}
	used := corev1.ResourceList{}
	counted := map[string]bool{}
	for _, n := range nodes {
		managed := n.Labels[n6sv1alpha1.ManagedNodeLabel] == "true"
		if managed {
			f.managedNodes++
		}
		if !nodeReady(n) {
			continue
		}
		f.readyNodes++
		if managed {
			f.managedReadyNodes++
		}
		if n.Spec.Unschedulable || controlPlaneTainted(n) {
			continue
		}
		counted[n.Name] = true
		if len(n.Status.Allocatable) == 0 && shape != nil {
			addResources(alloc, corev1.ResourceList{
				corev1.ResourceCPU: shape.CPU, corev1.ResourceMemory: shape.Memory,
				corev1.ResourcePods: *resource.NewQuantity(int64(shape.Pods), resource.DecimalSI),
			})
			continue
		}
		addResources(alloc, n.Status.Allocatable)
	}
	var usedPods int32
	for _, p := range pods {
		if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			continue
		}
		if !isSystemNamespace(p.Namespace) {
			f.userPods++
		}
		if !counted[p.Spec.NodeName] {
			continue
		}
		usedPods++
		addResources(used, podRequests(p))
	}
	f.capacity = n6sv1alpha1.ClusterCapacity{
		Allocatable: amounts(alloc, int32(alloc.Pods().Value())),
		Used:        amounts(used, usedPods),
	}
	return f
}

// controlPlaneTaint keeps workloads off the control-plane nodes of kubeadm clusters.
const controlPlaneTaint = "node-role.kubernetes.io/control-plane"

func controlPlaneTainted(n corev1.Node) bool {
	for _, t := range n.Spec.Taints {
		if t.Key == controlPlaneTaint && (t.Effect == corev1.TaintEffectNoSchedule || t.Effect == corev1.TaintEffectNoExecute) {
			return true
		}
	}
	return false
}

func nodeReady(n corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// podRequests is the larger of the sum of the app containers' requests and any init container's.
func podRequests(p corev1.Pod) corev1.ResourceList {
	sum := corev1.ResourceList{}
	for _, c := range p.Spec.Containers {
		addResources(sum, c.Resources.Requests)
	}
	for _, c := range p.Spec.InitContainers {
		for name, q := range c.Resources.Requests {
			if cur, ok := sum[name]; !ok || q.Cmp(cur) > 0 {
				sum[name] = q.DeepCopy()
			}
		}
	}
	addResources(sum, p.Spec.Overhead)
	return sum
}

func addResources(sum, add corev1.ResourceList) {
	for name, q := range add {
		cur := sum[name]
		cur.Add(q)
		sum[name] = cur
	}
}

func amounts(l corev1.ResourceList, pods int32) n6sv1alpha1.ResourceAmounts {
	cpu, mem := l.Cpu().DeepCopy(), l.Memory().DeepCopy()
	if cpu.IsZero() {
		cpu = resource.MustParse("0")
	}
	if mem.IsZero() {
		mem = resource.MustParse("0")
	}
	return n6sv1alpha1.ResourceAmounts{CPU: cpu, Memory: mem, Pods: pods}
}

// isSystemNamespace tells the cluster's own pods from user workloads.
func isSystemNamespace(ns string) bool {
	return ns == "kube-system" || ns == "kube-public" || ns == "kube-node-lease"
}
