// Command lifecycle measures how long a local member cluster takes to become Ready and to
// scale, through Navarkos and, as the baseline in the same run, through kwokctl alone;
// and the memory that one member cluster and the control plane hold.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/bench/internal/benchfleet"
	"github.com/navarkos/navarkos/internal/kwokctl"
	"github.com/navarkos/navarkos/internal/localfleet"
	"github.com/navarkos/navarkos/internal/procfs"
	"github.com/navarkos/navarkos/internal/setup"
)

func main() {
	runs := flag.Int("runs", 5, "repetitions of each measurement")
	binDir := flag.String("bin-dir", "bin", "directory with the Kubernetes, etcd and kwok binaries")
	nodes := flag.Int("nodes", 3, "nodes of the new cluster")
	scaleTo := flag.Int("scale-to", 5, "nodes after the scale request")
	flag.Parse()
	ctrl.SetLogger(logr.Discard())
	if err := run(*runs, *binDir, int32(*nodes), int32(*scaleTo)); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// healthInterval is the Cluster Manager's health check interval here: the default of
// `navarkos up` and `navarkos controller`.
const healthInterval = 10 * time.Second

type sample struct {
	create, scale, unhealthy time.Duration
	memberRSS                int64
}

func run(runs int, binDir string, nodes, scaleTo int32) error {
	ctx := context.Background()
	fl, c, stop, err := benchfleet.StartWith(ctx, binDir, setup.Options{Planner: setup.PlannerOptions{Disabled: true}, HealthInterval: healthInterval})
	if err != nil {
		return err
	}
	defer stop()

	var navarkos, baseline []sample
	for i := range runs {
		s, err := measureNavarkos(ctx, c, fl, fmt.Sprintf("bench-%d", i), nodes, scaleTo)
		if err != nil {
			return err
		}
		navarkos = append(navarkos, s)
		b, err := measureKwokctl(ctx, fl, fmt.Sprintf("base-%d", i), nodes, scaleTo)
		if err != nil {
			return err
		}
		baseline = append(baseline, b)
		fmt.Fprintf(os.Stderr, "run %d: navarkos create %v scale %v unhealthy %v | kwokctl create %v scale %v\n", i+1,
			s.create.Round(time.Millisecond), s.scale.Round(time.Millisecond), s.unhealthy.Round(time.Millisecond),
			b.create.Round(time.Millisecond), b.scale.Round(time.Millisecond))
	}
	controlPlane := procfs.RSSUnder(fl.APIServerDir()) + procfs.RSSOf(os.Getpid())

	med := func(xs []sample, f func(sample) float64) float64 {
		vals := make([]float64, len(xs))
		for i, x := range xs {
			vals[i] = f(x)
		}
		slices.Sort(vals)
		return vals[len(vals)/2]
	}
	secs := func(d func(sample) time.Duration) func(sample) float64 {
		return func(s sample) float64 { return d(s).Seconds() }
	}
	createN, createB := med(navarkos, secs(func(s sample) time.Duration { return s.create })), med(baseline, secs(func(s sample) time.Duration { return s.create }))
	scaleN, scaleB := med(navarkos, secs(func(s sample) time.Duration { return s.scale })), med(baseline, secs(func(s sample) time.Duration { return s.scale }))
	outage := med(navarkos, secs(func(s sample) time.Duration { return s.unhealthy }))
	rss := med(navarkos, func(s sample) float64 { return float64(s.memberRSS) / (1 << 20) })

	fmt.Printf("| measurement (median of %d) | Navarkos | kwokctl alone (baseline) | ratio |\n|---|---|---|---|\n", runs)
	fmt.Printf("| Cluster created → Ready (%d nodes) | %.2f s | %.2f s | %.2f× |\n", nodes, createN, createB, createN/createB)
	fmt.Printf("| scale %d → %d nodes → Ready | %.2f s | %.2f s | %.2f× |\n", nodes, scaleTo, scaleN, scaleB, scaleN/scaleB)
	fmt.Printf("| frozen kube-apiserver → Healthy=False (health interval %s) | %.2f s | | |\n", healthInterval, outage)
	fmt.Printf("| RSS of one member cluster (%d nodes, all components) | %.0f MiB | | |\n", scaleTo, rss)
	fmt.Printf("| RSS of the control plane (fleet etcd + kube-apiserver + kube-controller-manager + navarkos) | %.0f MiB | | |\n", float64(controlPlane)/(1<<20))
	return nil
}

// measureNavarkos creates a Cluster through the fleet API and times it to Ready, then the scale request.
func measureNavarkos(ctx context.Context, c client.Client, fl localfleet.Fleet, name string, nodes, scaleTo int32) (sample, error) {
	var s sample
	start := time.Now()
	cl := &n6sv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: n6sv1alpha1.ClusterSpec{Pool: "local-us-east", Nodes: ptr.To(nodes)}}
	if err := c.Create(ctx, cl); err != nil {
		return s, err
	}
	err := waitClusterReady(ctx, c, name, nodes)
	if err != nil {
		return s, err
	}
	s.create = time.Since(start)

	start = time.Now()
	patch := client.MergeFrom(cl.DeepCopy())
	cl.Spec.Nodes = ptr.To(scaleTo)
	if err := c.Patch(ctx, cl, patch); err != nil {
		return s, err
	}
	if err := waitClusterReady(ctx, c, name, scaleTo); err != nil {
		return s, err
	}
	s.scale = time.Since(start)
	s.memberRSS = procfs.RSSUnder(fl.Runner().ClusterDir(name))
	if s.unhealthy, err = measureOutage(ctx, c, fl, name); err != nil {
		return s, err
	}

	if err := c.Delete(ctx, cl); err != nil {
		return s, err
	}
	return s, poll(ctx, func() (bool, error) {
		err := c.Get(ctx, client.ObjectKey{Name: name}, &n6sv1alpha1.Cluster{})
		return client.IgnoreNotFound(err) == nil && err != nil, client.IgnoreNotFound(err)
	})
}

// measureOutage freezes the member's kube-apiserver and times how long the Cluster takes to turn Healthy=False.
func measureOutage(ctx context.Context, c client.Client, fl localfleet.Fleet, name string) (time.Duration, error) {
	procs, err := fl.Runner().Processes(name)
	if err != nil {
		return 0, err
	}
	pid := procs["kube-apiserver"]
	start := time.Now()
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		return 0, err
	}
	defer syscall.Kill(pid, syscall.SIGCONT) //nolint:errcheck // thawed again below on success
	err = poll(ctx, func() (bool, error) {
		cl := &n6sv1alpha1.Cluster{}
		if err := c.Get(ctx, client.ObjectKey{Name: name}, cl); err != nil {
			return false, err
		}
		return meta.IsStatusConditionFalse(cl.Status.Conditions, n6sv1alpha1.ClusterHealthyCondition), nil
	})
	took := time.Since(start)
	if err != nil {
		return 0, err
	}
	if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
		return 0, err
	}
	return took, poll(ctx, func() (bool, error) {
		cl := &n6sv1alpha1.Cluster{}
		if err := c.Get(ctx, client.ObjectKey{Name: name}, cl); err != nil {
			return false, err
		}
		return meta.IsStatusConditionTrue(cl.Status.Conditions, n6sv1alpha1.ClusterHealthyCondition), nil
	})
}

// measureKwokctl makes the same cluster with kwokctl's own commands, waiting for its nodes to be Ready.
func measureKwokctl(ctx context.Context, fl localfleet.Fleet, name string, nodes, scaleTo int32) (sample, error) {
	var s sample
	r := kwokctl.Runner{BinDir: fl.BinDir, WorkDir: filepath.Join(fl.DataDir, "baseline"), KubeVersion: localfleet.KubeVersion}
	defer r.Delete(context.WithoutCancel(ctx), name) //nolint:errcheck // best effort at the end of a measurement
	start := time.Now()
	if err := r.Create(ctx, name, kwokctl.CreateOptions{}); err != nil {
		return s, err
	}
	cs, err := memberClient(r.KubeconfigPath(name))
	if err != nil {
		return s, err
	}
	if err := kwokctlScale(ctx, r, name, nodes); err != nil {
		return s, err
	}
	if err := waitNodesReady(ctx, cs, nodes); err != nil {
		return s, err
	}
	s.create = time.Since(start)
	start = time.Now()
	if err := kwokctlScale(ctx, r, name, scaleTo); err != nil {
		return s, err
	}
	if err := waitNodesReady(ctx, cs, scaleTo); err != nil {
		return s, err
	}
	s.scale = time.Since(start)
	return s, nil
}

func kwokctlScale(ctx context.Context, r kwokctl.Runner, name string, n int32) error {
	cmd := exec.CommandContext(ctx, filepath.Join(r.BinDir, "kwokctl"), "--name", name, "scale", "node", "--replicas", strconv.Itoa(int(n)))
	cmd.Env = append(os.Environ(), "KWOK_WORKDIR="+r.WorkDir)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("kwokctl scale node: %w: %s", err, out)
	}
	return nil
}

func memberClient(kubeconfig string) (kubernetes.Interface, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, err
	}
	return kubernetes.NewForConfig(cfg)
}

func waitClusterReady(ctx context.Context, c client.Client, name string, nodes int32) error {
	return poll(ctx, func() (bool, error) {
		cl := &n6sv1alpha1.Cluster{}
		if err := c.Get(ctx, client.ObjectKey{Name: name}, cl); err != nil {
			return false, err
		}
		return meta.IsStatusConditionTrue(cl.Status.Conditions, n6sv1alpha1.ClusterReadyCondition) && cl.Status.Nodes == nodes, nil
	})
}

func waitNodesReady(ctx context.Context, cs kubernetes.Interface, n int32) error {
	return poll(ctx, func() (bool, error) {
		list, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, nil // the API server may still be starting
		}
		ready := int32(0)
		for _, node := range list.Items {
			for _, cond := range node.Status.Conditions {
				if cond.Type == corev1.NodeReady && cond.Status == corev1.ConditionTrue {
					ready++
				}
			}
		}
		return ready == n, nil
	})
}

// poll checks cond every 20 ms for at most three minutes.
func poll(ctx context.Context, cond func() (bool, error)) error {
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		ok, err := cond()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return errors.New("timed out after 3 minutes")
}
