// Command capi measures what the capi provider adds to Cluster API. In one run, against the
// real Cluster API controllers and the in-memory ClusterClass of examples/capi, each round
// makes one cluster through Navarkos (a Cluster in a capi pool) and one directly (a Cluster
// API Cluster of the same topology), and times, for each:
//   - create: created until Ready (Navarkos: the Cluster's Ready condition; directly: the
//     Cluster API Cluster's Available condition and its one worker Ready);
//   - scale: workers 1 to 3 until the three are Ready;
//   - wake: workers 0 to 1 until Ready again.
//
// It prints the medians and Navarkos' ratio to Cluster API alone.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/bench/internal/benchfleet"
	"github.com/navarkos/navarkos/bench/internal/stats"
	"github.com/navarkos/navarkos/internal/provider/capi"
	"github.com/navarkos/navarkos/internal/setup"
	"github.com/navarkos/navarkos/internal/testenv"
)

const (
	namespace = "capi-bench"
	version   = "v1.33.0"
	class     = "navarkos-in-memory"
	timeout   = 5 * time.Minute
	poll      = 100 * time.Millisecond
)

func main() {
	runs := flag.Int("runs", 5, "rounds, each of one cluster through Navarkos and one directly")
	binDir := flag.String("bin-dir", "bin", "directory with the Kubernetes, etcd, kwok and Cluster API binaries")
	flag.Parse()
	ctrl.SetLogger(logr.Discard())
	if err := run(*runs, *binDir); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// times are one cluster's measured operations.
type times struct{ create, scale, wake time.Duration }

func run(runs int, binDir string) error {
	ctx := context.Background()
	fl, c, stop, err := benchfleet.Start(ctx, binDir)
	if err != nil {
		return err
	}
	defer stop()
	logs, err := os.MkdirTemp("", "navarkos-bench-capi-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(logs)
	controllers, err := testenv.StartClusterAPI(ctx, fl.KubeconfigPath(), logs)
	if err != nil {
		return err
	}
	defer controllers.Stop()
	s := setup.Scheme()
	if err := clusterv1.AddToScheme(s); err != nil {
		return err
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", fl.KubeconfigPath())
	if err != nil {
		return err
	}
	mc, err := client.New(cfg, client.Options{Scheme: s})
	if err != nil {
		return err
	}
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}); err != nil {
		return err
	}
	manifests := filepath.Join(testenv.RepoRoot(), "examples", "capi", "in-memory-clusterclass.yaml")
	if err := testenv.ApplyManifests(ctx, c, manifests, namespace); err != nil {
		return err
	}
	if err := c.Create(ctx, pool()); err != nil {
		return err
	}

	var viaNavarkos, direct []times
	for i := range runs {
		d, err := measureDirect(ctx, mc, fmt.Sprintf("direct-%d", i))
		if err != nil {
			return fmt.Errorf("round %d, Cluster API alone: %w", i+1, err)
		}
		n, err := measureNavarkos(ctx, c, mc, fmt.Sprintf("navarkos-%d", i))
		if err != nil {
			return fmt.Errorf("round %d, through Navarkos: %w", i+1, err)
		}
		fmt.Printf("round %d: create %v / %v, scale 1→3 %v / %v, wake %v / %v (Navarkos / Cluster API alone)\n",
			i+1, n.create.Round(time.Millisecond), d.create.Round(time.Millisecond), n.scale.Round(time.Millisecond),
			d.scale.Round(time.Millisecond), n.wake.Round(time.Millisecond), d.wake.Round(time.Millisecond))
		viaNavarkos, direct = append(viaNavarkos, n), append(direct, d)
	}
	fmt.Printf("\nmedians of %d rounds      Navarkos  Cluster API alone  ratio\n", runs)
	for _, op := range []struct {
		name string
		get  func(times) time.Duration
	}{
		{"created → Ready", func(t times) time.Duration { return t.create }},
		{"workers 1 → 3 Ready", func(t times) time.Duration { return t.scale }},
		{"wake (workers 0 → 1)", func(t times) time.Duration { return t.wake }},
	} {
		var n, d []time.Duration
		for i := range viaNavarkos {
			n, d = append(n, op.get(viaNavarkos[i])), append(d, op.get(direct[i]))
		}
		mn, md := stats.Median(n), stats.Median(d)
		fmt.Printf("%-24s %9.1fs %18.1fs %6.2f\n", op.name, mn.Seconds(), md.Seconds(), mn.Seconds()/md.Seconds())
	}
	return nil
}

func pool() *n6sv1alpha1.ClusterPool {
	return &n6sv1alpha1.ClusterPool{
		ObjectMeta: metav1.ObjectMeta{Name: "bench-capi"},
		Spec: n6sv1alpha1.ClusterPoolSpec{
			Provider: n6sv1alpha1.ProviderCAPI, Region: "bench",
			NodeShape:       n6sv1alpha1.NodeShape{CPU: resource.MustParse("4"), Memory: resource.MustParse("16Gi"), Pods: 110},
			Price:           n6sv1alpha1.Price{PerNodeHour: resource.MustParse("0.2")},
			Clusters:        n6sv1alpha1.CountRange{Max: 100},
			NodesPerCluster: n6sv1alpha1.CountRange{Min: 1, Max: 3},
			Template: &n6sv1alpha1.ProviderTemplate{CAPI: &n6sv1alpha1.CAPITemplate{
				Namespace: namespace, ClusterClass: n6sv1alpha1.ClusterClassReference{Name: class}, Version: version, WorkerClass: "worker",
			}},
		},
	}
}

// measureNavarkos times one Cluster of the capi pool, then deletes it.
func measureNavarkos(ctx context.Context, c, mc client.Client, name string) (times, error) {
	var t times
	ready := func(nodes int32) func() bool {
		return func() bool {
			cl := &n6sv1alpha1.Cluster{}
			return c.Get(ctx, client.ObjectKey{Name: name}, cl) == nil && cl.Spec.DesiredState != n6sv1alpha1.DesiredHibernated &&
				meta.IsStatusConditionTrue(cl.Status.Conditions, n6sv1alpha1.ClusterReadyCondition) && cl.Status.Nodes == nodes
		}
	}
	setSpec := func(change func(*n6sv1alpha1.Cluster)) error {
		cl := &n6sv1alpha1.Cluster{}
		if err := c.Get(ctx, client.ObjectKey{Name: name}, cl); err != nil {
			return err
		}
		patch := client.MergeFrom(cl.DeepCopy())
		change(cl)
		return c.Patch(ctx, cl, patch)
	}
	start := time.Now()
	if err := c.Create(ctx, &n6sv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: n6sv1alpha1.ClusterSpec{Pool: "bench-capi", Nodes: ptr.To[int32](1)}}); err != nil {
		return t, err
	}
	if err := benchfleet.WaitFor(ctx, timeout, poll, ready(1)); err != nil {
		return t, fmt.Errorf("waiting for Cluster %s Ready: %w", name, err)
	}
	t.create = time.Since(start)

	start = time.Now()
	if err := setSpec(func(cl *n6sv1alpha1.Cluster) { cl.Spec.Nodes = ptr.To[int32](3) }); err != nil {
		return t, err
	}
	if err := benchfleet.WaitFor(ctx, timeout, poll, ready(3)); err != nil {
		return t, fmt.Errorf("waiting for Cluster %s Ready with 3 nodes: %w", name, err)
	}
	t.scale = time.Since(start)

	if err := setSpec(func(cl *n6sv1alpha1.Cluster) {
		cl.Spec.Nodes = ptr.To[int32](1)
		cl.Spec.DesiredState = n6sv1alpha1.DesiredHibernated
	}); err != nil {
		return t, err
	}
	err := benchfleet.WaitFor(ctx, timeout, poll, func() bool {
		cl := &n6sv1alpha1.Cluster{}
		return c.Get(ctx, client.ObjectKey{Name: name}, cl) == nil && cl.Status.Phase == n6sv1alpha1.ClusterPhaseHibernated && workerMachines(ctx, mc, name) == 0
	})
	if err != nil {
		return t, fmt.Errorf("waiting for Cluster %s to hibernate: %w", name, err)
	}
	start = time.Now()
	if err := setSpec(func(cl *n6sv1alpha1.Cluster) { cl.Spec.DesiredState = n6sv1alpha1.DesiredOnline }); err != nil {
		return t, err
	}
	if err := benchfleet.WaitFor(ctx, timeout, poll, ready(1)); err != nil {
		return t, fmt.Errorf("waiting for Cluster %s to wake: %w", name, err)
	}
	t.wake = time.Since(start)

	if err := c.Delete(ctx, &n6sv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: name}}); err != nil {
		return t, err
	}
	return t, benchfleet.WaitFor(ctx, timeout, poll, func() bool {
		return apierrors.IsNotFound(c.Get(ctx, client.ObjectKey{Name: name}, &n6sv1alpha1.Cluster{}))
	})
}

// measureDirect times one Cluster API Cluster of the same topology, then deletes it.
func measureDirect(ctx context.Context, mc client.Client, name string) (times, error) {
	var t times
	key := client.ObjectKey{Namespace: namespace, Name: name}
	ready := func(workers int32) func() bool {
		return func() bool {
			cl := &clusterv1.Cluster{}
			if mc.Get(ctx, key, cl) != nil || !meta.IsStatusConditionTrue(cl.Status.Conditions, clusterv1.AvailableCondition) {
				return false
			}
			mds := &clusterv1.MachineDeploymentList{}
			if mc.List(ctx, mds, client.InNamespace(namespace), client.MatchingLabels{clusterv1.ClusterNameLabel: name}) != nil || len(mds.Items) != 1 {
				return false
			}
			return ptr.Deref(mds.Items[0].Status.ReadyReplicas, 0) == workers && ptr.Deref(mds.Items[0].Status.Replicas, 0) == workers
		}
	}
	setWorkers := func(n int32) error {
		cl := &clusterv1.Cluster{}
		if err := mc.Get(ctx, key, cl); err != nil {
			return err
		}
		patch := client.MergeFrom(cl.DeepCopy())
		cl.Spec.Topology.Workers.MachineDeployments[0].Replicas = ptr.To(n)
		return mc.Patch(ctx, cl, patch)
	}
	cl := &clusterv1.Cluster{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec: clusterv1.ClusterSpec{Topology: clusterv1.Topology{
			ClassRef: clusterv1.ClusterClassRef{Name: class}, Version: version,
			Workers: clusterv1.WorkersTopology{MachineDeployments: []clusterv1.MachineDeploymentTopology{{Class: "worker", Name: capi.WorkersName, Replicas: ptr.To[int32](1)}}},
		}},
	}
	start := time.Now()
	if err := mc.Create(ctx, cl); err != nil {
		return t, err
	}
	if err := benchfleet.WaitFor(ctx, timeout, poll, ready(1)); err != nil {
		return t, fmt.Errorf("waiting for Cluster API Cluster %s Available: %w", name, err)
	}
	t.create = time.Since(start)

	start = time.Now()
	if err := setWorkers(3); err != nil {
		return t, err
	}
	if err := benchfleet.WaitFor(ctx, timeout, poll, ready(3)); err != nil {
		return t, fmt.Errorf("waiting for 3 workers of %s: %w", name, err)
	}
	t.scale = time.Since(start)

	if err := setWorkers(0); err != nil {
		return t, err
	}
	if err := benchfleet.WaitFor(ctx, timeout, poll, func() bool { return workerMachines(ctx, mc, name) == 0 }); err != nil {
		return t, fmt.Errorf("waiting for no workers of %s: %w", name, err)
	}
	start = time.Now()
	if err := setWorkers(1); err != nil {
		return t, err
	}
	if err := benchfleet.WaitFor(ctx, timeout, poll, ready(1)); err != nil {
		return t, fmt.Errorf("waiting for %s to wake: %w", name, err)
	}
	t.wake = time.Since(start)

	if err := mc.Delete(ctx, cl); err != nil {
		return t, err
	}
	return t, benchfleet.WaitFor(ctx, timeout, poll, func() bool {
		return apierrors.IsNotFound(mc.Get(ctx, key, &clusterv1.Cluster{}))
	})
}

// workerMachines counts the Machines of a cluster that are not in its control plane.
func workerMachines(ctx context.Context, mc client.Client, cluster string) int {
	list := &clusterv1.MachineList{}
	if err := mc.List(ctx, list, client.InNamespace(namespace), client.MatchingLabels{clusterv1.ClusterNameLabel: cluster}); err != nil {
		return -1
	}
	n := 0
	for _, m := range list.Items {
		if _, cp := m.Labels[clusterv1.MachineControlPlaneLabel]; !cp {
			n++
		}
	}
	return n
}
