package e2e

import (
	"context"
	"os"
	"syscall"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/localfleet"
	"github.com/navarkos/navarkos/internal/member"
	"github.com/navarkos/navarkos/internal/setup"
	"github.com/navarkos/navarkos/internal/testenv"
)

const (
	// healthInterval is short so that the tests see changes quickly.
	healthInterval = time.Second
	// clusterTimeout bounds the wait for a local cluster to be created or woken on a busy 2-core machine.
	clusterTimeout = 3 * time.Minute
	poll           = 200 * time.Millisecond
)

func TestMain(m *testing.M) {
	ctrl.SetLogger(zap.New(zap.WriteTo(os.Stderr), zap.Level(testenv.LogLevel())))
	os.Exit(m.Run())
}

// localFleet is an in-process local fleet under a temporary data directory.
type localFleet struct {
	localfleet.Fleet
	client client.Client
	cfg    *rest.Config
}

// startFleet runs a local fleet in-process until the test ends, then checks that it left no
// process behind. Its planner is off, so that only the test changes the clusters.
func startFleet(t *testing.T) *localFleet {
	t.Helper()
	return startFleetWith(t, setup.Options{HealthInterval: healthInterval, Planner: setup.PlannerOptions{Disabled: true}})
}

// startFleetWith runs a local fleet with the given controller options.
func startFleetWith(t *testing.T, opts setup.Options) *localFleet {
	t.Helper()
	if err := testenv.RequireBinaries("kwokctl", "kwok", "etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"); err != nil {
		t.Fatal(err)
	}
	dataDir := t.TempDir()
	f := &localFleet{Fleet: localfleet.Fleet{DataDir: dataDir, BinDir: testenv.BinDir()}}
	cfg, stop, err := f.Start(context.Background(), localfleet.RunOptions{Controllers: opts})
	if err != nil {
		t.Fatal(err)
	}
	f.cfg = cfg
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("the fleet stopped with an error: %v", err)
		}
		if left := testenv.ProcessesUnder(dataDir); len(left) > 0 {
			t.Errorf("processes left behind after the fleet stopped: %v", left)
		}
	})
	c, err := client.New(f.cfg, client.Options{Scheme: setup.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	f.client = c
	t.Cleanup(func() {
		if t.Failed() {
			f.dumpState(t)
		}
	})
	return f
}

// dumpMember logs the Deployments and pods of a member cluster.
func (f *localFleet) dumpMember(t *testing.T, name string) {
	ctx := context.Background()
	m := f.member(t, name)
	if ds, err := m.AppsV1().Deployments("").List(ctx, metav1.ListOptions{}); err == nil {
		for _, d := range ds.Items {
			t.Logf("  %s: Deployment %s/%s: %d replicas, %d ready", name, d.Namespace, d.Name, ptr.Deref(d.Spec.Replicas, 1), d.Status.ReadyReplicas)
		}
	}
	if ps, err := m.CoreV1().Pods("").List(ctx, metav1.ListOptions{}); err == nil {
		for _, p := range ps.Items {
			t.Logf("  %s: Pod %s/%s on %q: %s", name, p.Namespace, p.Name, p.Spec.NodeName, p.Status.Phase)
		}
	}
}

// dumpState logs the Clusters and Bindings of a failed test, to show where the fleet stood.
func (f *localFleet) dumpState(t *testing.T) {
	ctx := context.Background()
	clusters := &n6sv1alpha1.ClusterList{}
	if err := f.client.List(ctx, clusters); err == nil {
		for _, c := range clusters.Items {
			t.Logf("Cluster %s: desired %s, phase %s, nodes %d/%d, used pods %d, conditions %+v", c.Name, c.Spec.DesiredState, c.Status.Phase,
				c.Status.Nodes, ptr.Deref(c.Spec.Nodes, -1), c.Status.Capacity.Used.Pods, c.Status.Conditions)
			if c.Status.Phase == n6sv1alpha1.ClusterPhaseReady {
				f.dumpMember(t, c.Name)
			}
		}
	}
	bindings := &n6sv1alpha1.ResourceBindingList{}
	if err := f.client.List(ctx, bindings); err == nil {
		for _, b := range bindings.Items {
			t.Logf("ResourceBinding %s/%s: clusters %+v, unplaced %d, reason %q, status %+v", b.Namespace, b.Name, b.Spec.Clusters, b.Spec.UnplacedReplicas, b.Spec.Reason, b.Status)
		}
	}
}

func (f *localFleet) getCluster(g Gomega, name string) *n6sv1alpha1.Cluster {
	c := &n6sv1alpha1.Cluster{}
	g.Expect(f.client.Get(context.Background(), client.ObjectKey{Name: name}, c)).To(Succeed())
	return c
}

// patchCluster changes a Cluster's spec with a merge patch.
func (f *localFleet) patchCluster(t *testing.T, name string, change func(*n6sv1alpha1.Cluster)) {
	t.Helper()
	c := &n6sv1alpha1.Cluster{}
	if err := f.client.Get(context.Background(), client.ObjectKey{Name: name}, c); err != nil {
		t.Fatal(err)
	}
	patch := client.MergeFrom(c.DeepCopy())
	change(c)
	if err := f.client.Patch(context.Background(), c, patch); err != nil {
		t.Fatalf("failed to patch Cluster %s: %v", name, err)
	}
}

// member builds a client of a member cluster from the kubeconfig Navarkos stored for it.
func (f *localFleet) member(t *testing.T, name string) kubernetes.Interface {
	t.Helper()
	data, err := member.Kubeconfig(context.Background(), f.client, name)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.RESTConfigFromKubeConfig(data)
	if err != nil {
		t.Fatalf("the kubeconfig of Cluster %s does not load: %v", name, err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func condition(c *n6sv1alpha1.Cluster, typ string) metav1.Condition {
	if cd := meta.FindStatusCondition(c.Status.Conditions, typ); cd != nil {
		return *cd
	}
	return metav1.Condition{}
}

// expectReady asserts that a Cluster is Ready with the given node count.
func expectReady(g Gomega, c *n6sv1alpha1.Cluster, nodes int32) {
	g.Expect(condition(c, n6sv1alpha1.ClusterReadyCondition).Status).To(Equal(metav1.ConditionTrue), "conditions: %+v", c.Status.Conditions)
	g.Expect(c.Status.Phase).To(Equal(n6sv1alpha1.ClusterPhaseReady))
	g.Expect(c.Status.Nodes).To(Equal(nodes))
	g.Expect(c.Status.Capacity.Allocatable.Pods).To(Equal(nodes * 110))
}

// startMembers creates one Cluster of one node per name, from the pool each name maps to,
// and waits until all are Ready; it returns a client of each member.
func (f *localFleet) startMembers(t *testing.T, pools map[string]string) map[string]kubernetes.Interface {
	t.Helper()
	g := NewWithT(t)
	for name, pool := range pools {
		g.Expect(f.client.Create(context.Background(), &n6sv1alpha1.Cluster{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec:       n6sv1alpha1.ClusterSpec{Pool: pool, Nodes: ptr.To[int32](1)},
		})).To(Succeed())
	}
	members := map[string]kubernetes.Interface{}
	for name := range pools {
		g.Eventually(func(g Gomega) { expectReady(g, f.getCluster(g, name), 1) }, clusterTimeout, poll).
			Should(Succeed(), "waiting for member cluster %s", name)
		members[name] = f.member(t, name)
	}
	return members
}

// freezeAPIServer stops a member's kube-apiserver with SIGSTOP, as a server that hangs; thaw
// lets it go on, and runs anyway when the test ends.
func (f *localFleet) freezeAPIServer(t *testing.T, cluster string) (thaw func()) {
	t.Helper()
	pids, err := f.Runner().Processes(cluster)
	if err != nil {
		t.Fatal(err)
	}
	apiserver, err := os.FindProcess(pids["kube-apiserver"])
	if err != nil {
		t.Fatal(err)
	}
	if err := apiserver.Signal(syscall.SIGSTOP); err != nil {
		t.Fatalf("freezing the kube-apiserver of %s: %v", cluster, err)
	}
	thaw = func() {
		if err := apiserver.Signal(syscall.SIGCONT); err != nil {
			t.Errorf("thawing the kube-apiserver of %s: %v", cluster, err)
		}
	}
	t.Cleanup(func() { _ = apiserver.Signal(syscall.SIGCONT) })
	return thaw
}
