package cluster

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
)

func testNode(name string, ready, managed, unschedulable bool) corev1.Node {
	n := corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{}}}
	if managed {
		n.Labels[n6sv1alpha1.ManagedNodeLabel] = "true"
	}
	n.Spec.Unschedulable = unschedulable
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: status}}
	n.Status.Allocatable = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("4"), corev1.ResourceMemory: resource.MustParse("8Gi"), corev1.ResourcePods: resource.MustParse("10")}
	return n
}

func testPod(ns, node string, phase corev1.PodPhase, cpu string, initCPU string) corev1.Pod {
	p := corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "p"}, Spec: corev1.PodSpec{NodeName: node}, Status: corev1.PodStatus{Phase: phase}}
	p.Spec.Containers = []corev1.Container{{Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu)}}}}
	if initCPU != "" {
		p.Spec.InitContainers = []corev1.Container{{Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(initCPU)}}}}
	}
	return p
}

func TestSummarize(t *testing.T) {
	nodes := []corev1.Node{
		testNode("a", true, true, false),
		testNode("b", true, true, false),
		testNode("not-ready", false, true, false),
		testNode("cordoned", true, false, true),
	}
	pods := []corev1.Pod{
		testPod("default", "a", corev1.PodRunning, "500m", ""),
		testPod("default", "b", corev1.PodRunning, "250m", "1"), // an init container asks for more than the app
		testPod("kube-system", "a", corev1.PodRunning, "100m", ""),
		testPod("default", "a", corev1.PodSucceeded, "2", ""), // finished: uses nothing
		testPod("default", "", corev1.PodPending, "3", ""),    // unscheduled: not on a counted node, but still demand
		testPod("default", "cordoned", corev1.PodRunning, "1", ""),
	}
	f := summarize(nodes, pods, nil)
	checks := []struct {
		name      string
		got, want string
	}{
		{"ready nodes", itoa(f.readyNodes), "3"},
		{"managed nodes", itoa(f.managedNodes), "3"},
		{"managed ready nodes", itoa(f.managedReadyNodes), "2"},
		{"allocatable cpu", f.capacity.Allocatable.CPU.String(), "8"},
		{"allocatable memory", f.capacity.Allocatable.Memory.String(), "16Gi"},
		{"allocatable pods", itoa(f.capacity.Allocatable.Pods), "20"},
		{"used cpu", f.capacity.Used.CPU.String(), "1600m"},
		{"used pods", itoa(f.capacity.Used.Pods), "3"},
		{"user pods", itoa(f.userPods), "4"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %s, want %s", c.name, c.got, c.want)
		}
	}
}

func TestSummarizeEmptyCluster(t *testing.T) {
	f := summarize(nil, nil, nil)
	if f.capacity.Allocatable.CPU.String() != "0" || f.capacity.Used.Memory.String() != "0" || f.userPods != 0 {
		t.Errorf("empty cluster = %+v, want zero amounts", f)
	}
}

// TestSummarizeMachinesWithoutKubelet: a control-plane node gives no capacity, and a node
// that reports no allocatable (Cluster API's in-memory machines) counts as the pool's shape.
func TestSummarizeMachinesWithoutKubelet(t *testing.T) {
	cp := testNode("cp", true, false, false)
	cp.Spec.Taints = []corev1.Taint{{Key: controlPlaneTaint, Effect: corev1.TaintEffectNoSchedule}}
	bare := testNode("worker", true, false, false)
	bare.Status.Allocatable = nil
	shape := &n6sv1alpha1.NodeShape{CPU: resource.MustParse("2"), Memory: resource.MustParse("4Gi"), Pods: 30}
	f := summarize([]corev1.Node{cp, bare}, nil, shape)
	if got := f.capacity.Allocatable; got.CPU.String() != "2" || got.Memory.String() != "4Gi" || got.Pods != 30 {
		t.Errorf("allocatable = %+v, want the shape of one worker (2 CPU, 4Gi, 30 pods)", got)
	}
	if f.readyNodes != 2 {
		t.Errorf("ready nodes = %d, want 2: the control plane is a node too", f.readyNodes)
	}
	if f := summarize([]corev1.Node{bare}, nil, nil); !f.capacity.Allocatable.CPU.IsZero() {
		t.Errorf("without a pool, a node reporting nothing gives %s CPU, want 0", f.capacity.Allocatable.CPU.String())
	}
}

func itoa(n int32) string { return resource.NewQuantity(int64(n), resource.DecimalSI).String() }

func TestNewestKubelet(t *testing.T) {
	nodes := []corev1.Node{{}, {}, {}}
	nodes[0].Status.NodeInfo.KubeletVersion = "v1.32.4"
	nodes[1].Status.NodeInfo.KubeletVersion = "v1.33.0"
	nodes[2].Status.NodeInfo.KubeletVersion = "garbage"
	if got := newestKubelet(nodes); got != "v1.33.0" {
		t.Errorf("newestKubelet = %q, want v1.33.0", got)
	}
	if got := newestKubelet(nil); got != "" {
		t.Errorf("newestKubelet of no nodes = %q, want empty", got)
	}
}
