// Command failover freezes one member's kube-apiserver and measures how long its replicas take
// to run Ready on the other members, and, once it thaws, how long the fleet takes to converge
// back with no surplus. The floor in the same run is the time the Cluster Manager takes to see
// the member unhealthy, plus the placement's toleration: no failover can be faster. The local
// provider may repair the frozen member (it restarts a component that stops answering) before
// the thaw; then the fleet has converged already when the thaw comes.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/bench/internal/benchfleet"
	"github.com/navarkos/navarkos/bench/internal/stats"
)

const replicas = 6

func main() {
	runs := flag.Int("runs", 3, "freezes, each of another member in turn")
	toleration := flag.Duration("toleration", 10*time.Second, "the placement's failover toleration")
	binDir := flag.String("bin-dir", "bin", "directory with the Kubernetes, etcd and kwok binaries")
	flag.Parse()
	ctrl.SetLogger(logr.Discard())
	if err := run(*runs, *toleration, *binDir); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type sample struct{ unhealthy, moved, converged time.Duration }

func run(runs int, toleration time.Duration, binDir string) error {
	ctx := context.Background()
	fl, c, stop, err := benchfleet.Start(ctx, binDir)
	if err != nil {
		return err
	}
	defer stop()

	names := []string{"fa", "fb", "fc"}
	// A frozen member must not stall the polling.
	members, err := benchfleet.StartMembers(ctx, c, names, func(cfg *rest.Config) { cfg.Timeout = 2 * time.Second })
	if err != nil {
		return err
	}
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "bench"}}); err != nil {
		return err
	}
	if err := c.Create(ctx, benchfleet.Deployment("bench", "svc", replicas)); err != nil {
		return err
	}
	err = c.Create(ctx, &n6sv1alpha1.Placement{
		ObjectMeta: metav1.ObjectMeta{Namespace: "bench", Name: "svc"},
		Spec: n6sv1alpha1.PlacementSpec{
			ResourceSelectors: []n6sv1alpha1.ResourceSelector{{APIVersion: "apps/v1", Kind: "Deployment", Name: "svc"}},
			Replicas: &n6sv1alpha1.ReplicaScheduling{
				Mode: n6sv1alpha1.ReplicaModeDivided, Division: n6sv1alpha1.DivisionWeighted,
				Weights: []n6sv1alpha1.ClusterWeight{{ClusterNames: names, Weight: 1}},
			},
			FailoverToleration: n6sv1alpha1.DurationOf(toleration),
		},
	})
	if err != nil {
		return err
	}
	balanced := func() bool {
		for _, name := range names {
			if ready(ctx, members[name]) != replicas/len(names) {
				return false
			}
		}
		d := &appsv1.Deployment{}
		return c.Get(ctx, client.ObjectKey{Namespace: "bench", Name: "svc"}, d) == nil && d.Status.Replicas == replicas && d.Status.ReadyReplicas == replicas
	}
	if err := benchfleet.WaitFor(ctx, 3*time.Minute, 100*time.Millisecond, balanced); err != nil {
		return fmt.Errorf("waiting for %d replicas spread over %d members: %w", replicas, len(names), err)
	}

	var samples []sample
	for i := range runs {
		victim := names[i%len(names)]
		s, err := freeze(ctx, fl.Runner().Processes, c, members, victim, balanced)
		if err != nil {
			return fmt.Errorf("run %d: %w", i+1, err)
		}
		fmt.Fprintf(os.Stderr, "run %d (%s frozen): unhealthy after %v, replicas Ready elsewhere after %v; thawed, converged after %v\n",
			i+1, victim, s.unhealthy.Round(time.Millisecond), s.moved.Round(time.Millisecond), s.converged.Round(time.Millisecond))
		samples = append(samples, s)
	}
	med := func(f func(sample) time.Duration) float64 {
		var xs []time.Duration
		for _, s := range samples {
			xs = append(xs, f(s))
		}
		return stats.Median(xs).Seconds()
	}
	fmt.Printf("| one of 3 members frozen, %d replicas, toleration %v (median of %d) | seconds |\n|---|---|\n", replicas, toleration, runs)
	fmt.Printf("| freeze → Cluster no longer Healthy | %.1f |\n", med(func(s sample) time.Duration { return s.unhealthy }))
	fmt.Printf("| freeze → its replicas Ready on the other members | %.1f |\n", med(func(s sample) time.Duration { return s.moved }))
	fmt.Printf("| floor: no longer Healthy + toleration | %.1f |\n", med(func(s sample) time.Duration { return s.unhealthy })+toleration.Seconds())
	fmt.Printf("| budget: toleration + 30 s | %.1f |\n", toleration.Seconds()+30)
	fmt.Printf("| thaw → %d replicas over 3 members, none surplus | %.1f |\n", replicas, med(func(s sample) time.Duration { return s.converged }))
	return nil
}

// freeze stops a member's kube-apiserver with SIGSTOP, times the failover, then thaws it and
// times the convergence.
func freeze(ctx context.Context, processes func(string) (map[string]int, error), c client.Client, members map[string]kubernetes.Interface, victim string, balanced func() bool) (sample, error) {
	var s sample
	pids, err := processes(victim)
	if err != nil {
		return s, err
	}
	apiserver, err := os.FindProcess(pids["kube-apiserver"])
	if err != nil {
		return s, err
	}
	start := time.Now()
	if err := apiserver.Signal(syscall.SIGSTOP); err != nil {
		return s, err
	}
	defer func() { _ = apiserver.Signal(syscall.SIGCONT) }()
	moved := func() bool {
		// False once a check fails; Unknown while the local provider repairs the cluster.
		if s.unhealthy == 0 && clusterCondition(ctx, c, victim, n6sv1alpha1.ClusterHealthyCondition) != metav1.ConditionTrue {
			s.unhealthy = time.Since(start)
		}
		sum := 0
		for name, m := range members {
			if name != victim {
				sum += ready(ctx, m)
			}
		}
		return sum == replicas
	}
	if err := benchfleet.WaitFor(ctx, 5*time.Minute, 100*time.Millisecond, moved); err != nil {
		return s, fmt.Errorf("waiting for the replicas of %s to run elsewhere: %w", victim, err)
	}
	s.moved = time.Since(start)
	if err := apiserver.Signal(syscall.SIGCONT); err != nil {
		return s, err
	}
	thawed := time.Now()
	if err := benchfleet.WaitFor(ctx, 5*time.Minute, 100*time.Millisecond, balanced); err != nil {
		return s, fmt.Errorf("waiting for the fleet to converge after %s thawed: %w", victim, err)
	}
	s.converged = time.Since(thawed)
	return s, nil
}

func clusterCondition(ctx context.Context, c client.Client, name, condition string) metav1.ConditionStatus {
	cl := &n6sv1alpha1.Cluster{}
	if err := c.Get(ctx, client.ObjectKey{Name: name}, cl); err != nil {
		return metav1.ConditionUnknown
	}
	if cond := meta.FindStatusCondition(cl.Status.Conditions, condition); cond != nil {
		return cond.Status
	}
	return metav1.ConditionUnknown
}

// ready is the member's count of ready replicas of the Deployment; 0 when it cannot say.
func ready(ctx context.Context, m kubernetes.Interface) int {
	d, err := m.AppsV1().Deployments("bench").Get(ctx, "svc", metav1.GetOptions{})
	if err != nil || d.DeletionTimestamp != nil {
		return 0
	}
	return int(min(d.Status.ReadyReplicas, ptr.Deref(d.Spec.Replicas, 0)))
}
