// Command propagation measures how long a Deployment created on the fleet API takes to
// exist in each member cluster, for many Deployments over several local clusters. The
// baseline, in the same run and at the same rate, is the same creations made directly in
// every member (Deployments × members of them) and seen through the same watch: the floor
// under any propagation, with the members loaded as propagation loads them. With -rates it
// sweeps several rates and reports the highest at which Navarkos' P99 stays within 2× the
// direct P99.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/bench/internal/benchfleet"
	"github.com/navarkos/navarkos/internal/localfleet"
	"github.com/navarkos/navarkos/internal/procfs"
	"github.com/navarkos/navarkos/internal/setup"
)

// idleSample is how long the members' idle CPU is measured before the first rate.
const idleSample = 20 * time.Second

// profilePath and memProfilePath, when set, receive the controllers' CPU profile of the fleet
// phase and their heap at its end; dumpPath every latency.
var profilePath, memProfilePath, dumpPath string

// freezeMember asks for the frozen-member detection time at the end.
var freezeMember bool

func main() {
	clusters := flag.Int("clusters", 5, "member clusters")
	deployments := flag.Int("deployments", 1000, "Deployments created on the fleet API")
	rate := flag.Float64("rate", 20, "Deployments created per second")
	rates := flag.String("rates", "", "comma-separated rates to sweep instead of -rate, e.g. 5,10,20,40")
	flag.BoolVar(&freezeMember, "freeze-member", false, "at the end, freeze one member's kube-apiserver (SIGSTOP) and time until its Cluster is not Healthy")
	binDir := flag.String("bin-dir", "bin", "directory with the Kubernetes, etcd and kwok binaries")
	cpuProfile := flag.String("cpuprofile", "", "write the controllers' CPU profile of the fleet phase to this file")
	flag.StringVar(&memProfilePath, "memprofile", "", "write the controllers' heap profile at the end of the fleet phase to this file")
	flag.StringVar(&dumpPath, "dump", "", "write every latency as CSV (deployment,cluster,created_ms,latency_ms) to this file")
	flag.Parse()
	profilePath = *cpuProfile
	ctrl.SetLogger(logr.Discard())
	sweep := []float64{*rate}
	if *rates != "" {
		sweep = sweep[:0]
		for _, r := range strings.Split(*rates, ",") {
			v, err := strconv.ParseFloat(strings.TrimSpace(r), 64)
			if err != nil || v <= 0 {
				fmt.Fprintf(os.Stderr, "bench: -rates: %q is not a rate\n", r)
				os.Exit(2)
			}
			sweep = append(sweep, v)
		}
	}
	if err := run(*clusters, *deployments, sweep, *binDir); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// seen records when each Deployment name first appeared in each member.
type seen struct {
	mu    sync.Mutex
	times map[string]time.Time
}

func (s *seen) record(key string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.times[key]; !ok {
		s.times[key] = at
	}
}

func (s *seen) get(key string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.times[key]
	return t, ok
}

func run(nClusters, nDeployments int, rates []float64, binDir string) error {
	ctx := context.Background()
	bf, err := benchfleet.StartProcess(ctx, binDir)
	if bf != nil {
		defer bf.Stop()
	}
	if err != nil {
		return err
	}
	fl, c := bf.Fleet, bf.Client

	var names []string
	for i := range nClusters {
		names = append(names, fmt.Sprintf("m%d", i))
	}
	fmt.Fprintf(os.Stderr, "waiting for %d member clusters\n", nClusters)
	membersStart := time.Now()
	members, err := benchfleet.StartMembers(ctx, c, names, func(cfg *rest.Config) { cfg.QPS, cfg.Burst = 500, 1000 })
	if err != nil {
		return err
	}
	membersReady := time.Since(membersStart)

	s := &seen{times: map[string]time.Time{}}
	for name, m := range members {
		if _, err := m.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "bench"}}, metav1.CreateOptions{}); err != nil {
			return err
		}
		if err := watchMember(ctx, m, name, s); err != nil {
			return err
		}
	}
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "bench"}}); err != nil {
		return err
	}
	if err := c.Create(ctx, &n6sv1alpha1.Placement{
		ObjectMeta: metav1.ObjectMeta{Namespace: "bench", Name: "all"},
		Spec: n6sv1alpha1.PlacementSpec{ResourceSelectors: []n6sv1alpha1.ResourceSelector{{
			APIVersion: "apps/v1", Kind: "Deployment", LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"bench": "fleet"}},
		}}},
	}); err != nil {
		return err
	}
	// Bindings are timed too, to split the latency into scheduling and propagation.
	if err := watchBindings(ctx, fl.KubeconfigPath(), s); err != nil {
		return err
	}

	// The members' CPU while nothing is created, so that only the creations' own cost is counted.
	fmt.Fprintf(os.Stderr, "measuring the members' idle CPU for %s\n", idleSample)
	fleetAPI, err := kubernetes.NewForConfig(bf.Config)
	if err != nil {
		return err
	}
	idle, err := measureIdle(ctx, bf, fleetAPI, names)
	if err != nil {
		return err
	}
	idlePerSecond := idle.membersCPU
	printFleetFootprint(nClusters, membersReady, idle)

	var results []result
	for _, rate := range rates {
		r, err := measure(ctx, bf, members, names, s, nDeployments, rate, idlePerSecond)
		if err != nil {
			return err
		}
		results = append(results, r)
	}
	fmt.Printf("| %d Deployments × %d clusters | direct P50 | direct P99 | Navarkos P50 | Navarkos P99 | P99 ratio | of which scheduling P99 | navarkos CPU-s per 1,000 objects | members' CPU-s per 1,000 objects above idle, direct → through Navarkos |\n|---|---|---|---|---|---|---|---|---|\n", nDeployments, nClusters)
	highest := 0.0
	for _, r := range results {
		fmt.Printf("| created at %g/s | %.0f ms | %.0f ms | %.0f ms | %.0f ms | %.1f× | %.0f ms | %.1f | %.1f → %.1f (%.2f×) |\n", r.rate, r.directP50, r.directP99, r.p50, r.p99, r.p99/r.directP99, r.bindingP99, r.cpuPerThousand,
			r.directMembersCPUPerThousand, r.membersCPUPerThousand, r.membersCPUPerThousand/r.directMembersCPUPerThousand)
		if r.p99 <= 2*r.directP99 {
			highest = max(highest, r.rate)
		}
		// One line per rate for bench/propagation.sh, which takes the median over runs.
		fmt.Fprintf(os.Stderr, "result rate=%g p50_ms=%.0f p99_ms=%.0f binding_p50_ms=%.0f binding_p99_ms=%.0f baseline_p50_ms=%.0f baseline_p99_ms=%.0f cpu_per_1000=%.1f members_cpu_per_1000=%.1f baseline_members_cpu_per_1000=%.1f\n",
			r.rate, r.p50, r.p99, r.bindingP50, r.bindingP99, r.directP50, r.directP99, r.cpuPerThousand, r.membersCPUPerThousand, r.directMembersCPUPerThousand)
	}
	if len(results) > 1 {
		if highest > 0 {
			fmt.Printf("\nHighest rate with Navarkos' P99 within 2× the direct P99: %g Deployments/s (%g objects/s).\n", highest, highest*float64(nClusters))
		} else {
			fmt.Printf("\nNo rate swept kept Navarkos' P99 within 2× the direct P99.\n")
		}
	}
	if freezeMember {
		if err := timeFrozenMember(ctx, fl, c, names[len(names)-1]); err != nil {
			return err
		}
	}
	last := results[len(results)-1]
	rss := byProcess(fl.APIServerDir(), bf.PID, procfs.RSSOf)
	printShares(fmt.Sprintf("Control-plane RSS after the last rate (%d Deployments per rate, %d clusters)", nDeployments, nClusters), "MiB", 1<<20, rss)
	printCPU(last.cpuBefore, last.cpuAfter, last.wall)
	if err := printReconcileTimes(ctx, bf.MetricsURL); err != nil {
		return err
	}
	return printAPIRequests(ctx, fl.KubeconfigPath(), 12)
}

// result is one rate's measurements.
type result struct {
	rate                             float64
	directP50, directP99             float64
	p50, p99, bindingP50, bindingP99 float64
	cpuPerThousand                   float64
	// The members' own components' CPU per 1,000 objects, made directly and through Navarkos.
	directMembersCPUPerThousand, membersCPUPerThousand float64
	cpuBefore, cpuAfter                                map[string]int64
	wall                                               time.Duration
}

// measure creates n Deployments directly in every member at the rate (the baseline), then n
// on the fleet API at the same rate, and waits for each in every member.
func measure(ctx context.Context, bf *benchfleet.Process, members map[string]kubernetes.Interface, names []string, s *seen, n int, rate, idlePerSecond float64) (result, error) {
	r := result{rate: rate}
	fl, c := bf.Fleet, bf.Client
	tag := strconv.FormatFloat(rate, 'f', -1, 64)
	fmt.Fprintf(os.Stderr, "rate %s/s: creating %d Deployments directly in each of %d members\n", tag, n, len(names))
	directBefore, directStart := byProcess(fl.DataDir, bf.PID, cpuTime), time.Now()
	sampled := members[names[0]]
	requestsBefore, err := requestCounts(ctx, sampled)
	if err != nil {
		return r, err
	}
	direct, err := createPaced(ctx, n, rate, "direct-"+tag, func(d *appsv1.Deployment) error {
		var wg sync.WaitGroup
		errs := make([]error, len(names))
		for i, name := range names {
			wg.Go(func() {
				dd := d.DeepCopy()
				dd.Namespace = "bench"
				_, errs[i] = members[name].AppsV1().Deployments("bench").Create(ctx, dd, metav1.CreateOptions{})
			})
		}
		wg.Wait()
		return errors.Join(errs...)
	})
	if err != nil {
		return r, err
	}
	var baseLat []time.Duration
	if err := collect(ctx, direct, names, s, &baseLat); err != nil {
		return r, err
	}
	objects := float64(n*len(names)) / 1000
	// Only what the creations cost: the members' idle CPU over the phase is taken off.
	marginal := func(before, after map[string]int64, wall time.Duration) float64 {
		return (membersCPU(before, after).Seconds() - idlePerSecond*wall.Seconds()) / objects
	}
	r.directMembersCPUPerThousand = marginal(directBefore, byProcess(fl.DataDir, bf.PID, cpuTime), time.Since(directStart))
	requestsAfterDirect, err := requestCounts(ctx, sampled)
	if err != nil {
		return r, err
	}

	fmt.Fprintf(os.Stderr, "rate %s/s: creating %d Deployments on the fleet API\n", tag, n)
	// The controllers' CPU profile covers the creations and a little after.
	cpuProfileDone := make(chan error, 1)
	if profilePath != "" {
		seconds := int(math.Ceil(float64(n)/rate)) + 2
		go func() {
			cpuProfileDone <- fetch(ctx, fmt.Sprintf("%s/profile?seconds=%d", bf.PprofURL, seconds), profilePath)
		}()
	} else {
		cpuProfileDone <- nil
	}
	queuesBefore, err := snapshotQueues(ctx, bf.MetricsURL)
	if err != nil {
		return r, err
	}
	r.cpuBefore = byProcess(fl.DataDir, bf.PID, cpuTime)
	start := time.Now()
	created, err := createPaced(ctx, n, rate, "fleet-"+tag, func(d *appsv1.Deployment) error {
		d.Namespace, d.Labels = "bench", map[string]string{"bench": "fleet"}
		return c.Create(ctx, d)
	})
	if err != nil {
		return r, err
	}
	var lat, bound []time.Duration
	if err := collect(ctx, created, names, s, &lat); err != nil {
		return r, err
	}
	if err := collect(ctx, created, []string{bindingsPrefix}, s, &bound); err != nil {
		return r, err
	}
	r.cpuAfter, r.wall = byProcess(fl.DataDir, bf.PID, cpuTime), time.Since(start)
	queuesAfter, err := snapshotQueues(ctx, bf.MetricsURL)
	if err != nil {
		return r, err
	}
	printQueueWaits(fmt.Sprintf("%g Deployments/s", rate), queuesBefore, queuesAfter)
	if dumpPath != "" {
		if err := dump(strings.TrimSuffix(dumpPath, ".csv")+"-"+tag+".csv", created, append(slices.Clone(names), bindingsPrefix), s); err != nil {
			return r, err
		}
	}
	if err := <-cpuProfileDone; err != nil {
		return r, err
	}
	if memProfilePath != "" {
		if err := fetch(ctx, bf.PprofURL+"/heap?gc=1", memProfilePath); err != nil {
			return r, err
		}
	}
	p := func(xs []time.Duration, q float64) float64 {
		slices.Sort(xs)
		return float64(xs[int(q*float64(len(xs)-1))].Microseconds()) / 1000
	}
	r.directP50, r.directP99 = p(baseLat, 0.5), p(baseLat, 0.99)
	r.p50, r.p99 = p(lat, 0.5), p(lat, 0.99)
	r.bindingP50, r.bindingP99 = p(bound, 0.5), p(bound, 0.99)
	navarkosCPU := time.Duration(r.cpuAfter[navarkosProcess] - r.cpuBefore[navarkosProcess])
	r.cpuPerThousand = navarkosCPU.Seconds() / objects
	r.membersCPUPerThousand = marginal(r.cpuBefore, r.cpuAfter, r.wall)
	requestsAfterFleet, err := requestCounts(ctx, sampled)
	if err != nil {
		return r, err
	}
	printMemberRequests(names[0], n, requestsBefore, requestsAfterDirect, requestsAfterFleet)
	return r, nil
}

// fetch writes what url serves to path.
func fetch(ctx context.Context, url, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, resp.Body)
	return errors.Join(err, f.Close())
}

// createPaced creates n Deployments at the given rate and returns their creation times.
func createPaced(ctx context.Context, n int, rate float64, prefix string, create func(*appsv1.Deployment) error) (map[string]time.Time, error) {
	created := map[string]time.Time{}
	tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer tick.Stop()
	for i := range n {
		<-tick.C
		d := deployment(fmt.Sprintf("%s-%04d", prefix, i))
		start := time.Now()
		if err := create(d); err != nil {
			return nil, fmt.Errorf("failed to create Deployment %s: %w", d.Name, err)
		}
		created[d.Name] = start
	}
	return created, ctx.Err()
}

// collect waits until every created Deployment is seen in every member and appends the latencies.
func collect(ctx context.Context, created map[string]time.Time, clusters []string, s *seen, out *[]time.Duration) error {
	return benchfleet.WaitFor(ctx, 10*time.Minute, 50*time.Millisecond, func() bool {
		*out = (*out)[:0]
		for name, at := range created {
			for _, cl := range clusters {
				t, ok := s.get(cl + "/" + name)
				if !ok {
					return false
				}
				*out = append(*out, t.Sub(at))
			}
		}
		return true
	})
}

// bindingsPrefix keys the Bindings' arrival times in seen, next to the members' names.
const bindingsPrefix = "binding"

// watchBindings records when the Binding of each bench Deployment appears in the fleet API.
func watchBindings(ctx context.Context, kubeconfigPath string, s *seen) error {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfigPath)
	if err != nil {
		return err
	}
	c, err := client.NewWithWatch(cfg, client.Options{Scheme: setup.Scheme()})
	if err != nil {
		return err
	}
	w, err := c.Watch(ctx, &n6sv1alpha1.ResourceBindingList{}, client.InNamespace("bench"))
	if err != nil {
		return err
	}
	go func() {
		for ev := range w.ResultChan() {
			if b, ok := ev.Object.(*n6sv1alpha1.ResourceBinding); ok && ev.Type == watch.Added {
				s.record(bindingsPrefix+"/"+b.Spec.Resource.Name, time.Now())
			}
		}
	}()
	return nil
}

func watchMember(ctx context.Context, m kubernetes.Interface, cluster string, s *seen) error {
	w, err := m.AppsV1().Deployments("bench").Watch(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	go func() {
		for ev := range w.ResultChan() {
			if d, ok := ev.Object.(*appsv1.Deployment); ok && ev.Type == watch.Added {
				s.record(cluster+"/"+d.Name, time.Now())
			}
		}
	}()
	return nil
}

func deployment(name string) *appsv1.Deployment {
	l := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.DeploymentSpec{
			// No replicas: the measure is the object's propagation, not pod scheduling.
			Replicas: ptr.To[int32](0),
			Selector: &metav1.LabelSelector{MatchLabels: l},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: l}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "app:1"}}}},
		},
	}
}

// dump writes each latency with its creation time relative to the first Deployment.
func dump(path string, created map[string]time.Time, clusters []string, s *seen) error {
	var first time.Time
	for _, at := range created {
		if first.IsZero() || at.Before(first) {
			first = at
		}
	}
	var b strings.Builder
	b.WriteString("deployment,cluster,created_ms,latency_ms\n")
	for name, at := range created {
		for _, cl := range clusters {
			if t, ok := s.get(cl + "/" + name); ok {
				fmt.Fprintf(&b, "%s,%s,%d,%d\n", name, cl, at.Sub(first).Milliseconds(), t.Sub(at).Milliseconds())
			}
		}
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// timeFrozenMember stops one member's kube-apiserver (SIGSTOP) and times how long the
// Cluster Manager takes to mark the Cluster not Healthy, then how long it is Healthy again
// after SIGCONT.
func timeFrozenMember(ctx context.Context, fl localfleet.Fleet, c client.Client, name string) error {
	var pid int
	for _, p := range procfs.Under(fl.Runner().ClusterDir(name)) {
		if len(p.Cmdline) > 0 && filepath.Base(p.Cmdline[0]) == "kube-apiserver" {
			pid = p.PID
		}
	}
	if pid == 0 {
		return fmt.Errorf("no kube-apiserver process of member %s", name)
	}
	healthy := func() bool {
		cl := &n6sv1alpha1.Cluster{}
		return c.Get(ctx, client.ObjectKey{Name: name}, cl) == nil && meta.IsStatusConditionTrue(cl.Status.Conditions, n6sv1alpha1.ClusterHealthyCondition)
	}
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		return err
	}
	frozen := time.Now()
	err := benchfleet.WaitFor(ctx, 5*time.Minute, 100*time.Millisecond, func() bool { return !healthy() })
	detected := time.Since(frozen)
	if cerr := syscall.Kill(pid, syscall.SIGCONT); cerr != nil {
		return errors.Join(err, cerr)
	}
	if err != nil {
		return fmt.Errorf("the frozen member %s stayed Healthy: %w", name, err)
	}
	thawed := time.Now()
	if err := benchfleet.WaitFor(ctx, 5*time.Minute, 100*time.Millisecond, healthy); err != nil {
		return fmt.Errorf("member %s did not come back Healthy: %w", name, err)
	}
	fmt.Printf("\nMember %s frozen (SIGSTOP of its kube-apiserver): not Healthy after %.1f s (default health interval); Healthy again %.1f s after SIGCONT.\n",
		name, detected.Seconds(), time.Since(thawed).Seconds())
	return nil
}
