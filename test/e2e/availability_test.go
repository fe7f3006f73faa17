package e2e

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/localfleet"
	"github.com/navarkos/navarkos/internal/member"
	"github.com/navarkos/navarkos/internal/testenv"
)

// plannerFlags make the planner decide within seconds: it looks every 2 s, a cluster that
// just came online or grew may be drained once 10 s have passed, and a move costs so little
// that a drain pays it back within seconds of the lull in demand the planner has watched.
var plannerFlags = []string{"--plan-interval", "2s", "--scale-down-stabilization", "10s", "--disruption-cost", "0.001"}

const (
	// availabilityReplicas is the workload's size; the Placement allows none unavailable.
	availabilityReplicas = 6
	// availabilityPodDelay is how long each pod takes to become Ready, as on a real node.
	availabilityPodDelay = 3 * time.Second
	// samplePeriod is how often the members' Ready replicas are summed.
	samplePeriod = 200 * time.Millisecond
	// memberReadTimeout bounds one read of one member, so that a member going away shows as
	// no Ready replicas rather than a stalled sample.
	memberReadTimeout = time.Second
)

// TestAvailabilityWhileTheFleetChanges runs a 6-replica workload whose pods take 3 s to
// become Ready through the routine changes of a fleet, under `navarkos up` with its planner,
// and sums the Ready replicas of every member every 200 ms. With maxUnavailable 0, the sum
// must never fall below 6 in any phase: a cluster scaled down and up, a region change, a
// cluster set Offline, one set Hibernated, a crash and restart of `navarkos up`, and a
// consolidation the planner decides.
func TestAvailabilityWhileTheFleetChanges(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	dataDir := t.TempDir()
	fl := localfleet.Fleet{DataDir: dataDir, BinDir: testenv.BinDir()}
	up := startUp(t, dataDir, plannerFlags...)
	c := fleetClient(t, fl)
	for _, pool := range []string{"local-eu-west", "local-us-east"} {
		setPodReadyDelay(t, c, pool, availabilityPodDelay)
	}
	for name, pool := range map[string]string{"avail-eu": "local-eu-west", "avail-us": "local-us-east"} {
		g.Expect(c.Create(ctx, &n6sv1alpha1.Cluster{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec:       n6sv1alpha1.ClusterSpec{Pool: pool, Nodes: ptr.To[int32](2)},
		})).To(Succeed())
	}
	for _, name := range []string{"avail-eu", "avail-us"} {
		waitForCluster(g, c, name, n6sv1alpha1.ClusterPhaseReady)
	}
	g.Expect(c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}})).To(Succeed())
	g.Expect(c.Create(ctx, availabilityDeployment())).To(Succeed())
	placement := &n6sv1alpha1.Placement{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web"},
		Spec: n6sv1alpha1.PlacementSpec{
			ResourceSelectors: []n6sv1alpha1.ResourceSelector{{APIVersion: "apps/v1", Kind: "Deployment", Name: "web"}},
			ClusterAffinity:   &n6sv1alpha1.ClusterAffinity{Regions: []string{"eu-west"}},
			Replicas:          &n6sv1alpha1.ReplicaScheduling{Mode: n6sv1alpha1.ReplicaModeDivided, Division: n6sv1alpha1.DivisionCapacity},
			Provisioning:      &n6sv1alpha1.Provisioning{Policy: n6sv1alpha1.ProvisioningNever},
		},
	}
	g.Expect(c.Create(ctx, placement)).To(Succeed())
	defer func() {
		if t.Failed() && up.cmd.ProcessState == nil {
			logFleet(t, c) // a phase gave up; the fleet still runs
		}
	}()
	s := startSampler(t, c)
	s.awaitReady(g, availabilityReplicas, "the first placement")

	s.phase(t, "scale down and up", func() {
		patchClusterSpec(t, c, "avail-eu", func(cl *n6sv1alpha1.Cluster) { cl.Spec.Nodes = ptr.To[int32](1) })
		waitForNodes(g, c, "avail-eu", 1)
		patchClusterSpec(t, c, "avail-eu", func(cl *n6sv1alpha1.Cluster) { cl.Spec.Nodes = ptr.To[int32](2) })
		waitForNodes(g, c, "avail-eu", 2)
		s.awaitSettled(g, map[string]int32{"avail-eu": availabilityReplicas})
	})
	s.phase(t, "region change", func() {
		setRegions(t, c, placement, "us-east")
		s.awaitSettled(g, map[string]int32{"avail-us": availabilityReplicas})
	})
	s.phase(t, "regions widened", func() {
		setRegions(t, c, placement, "eu-west", "us-east")
		g.Consistently(func(g Gomega) {
			g.Expect(bindingClusters(g, c)).To(Equal(map[string]int32{"avail-us": availabilityReplicas}))
		}, 3*time.Second, poll).Should(Succeed(), "replicas that run in an allowed region stay")
	})
	s.phase(t, "cluster set Offline", func() {
		patchClusterSpec(t, c, "avail-us", func(cl *n6sv1alpha1.Cluster) { cl.Spec.DesiredState = n6sv1alpha1.DesiredOffline })
		waitForCluster(g, c, "avail-us", n6sv1alpha1.ClusterPhaseOffline)
		s.awaitSettled(g, map[string]int32{"avail-eu": availabilityReplicas})
	})
	patchClusterSpec(t, c, "avail-us", func(cl *n6sv1alpha1.Cluster) { cl.Spec.DesiredState = n6sv1alpha1.DesiredOnline })
	waitForCluster(g, c, "avail-us", n6sv1alpha1.ClusterPhaseReady)
	s.phase(t, "cluster set Hibernated", func() {
		patchClusterSpec(t, c, "avail-eu", func(cl *n6sv1alpha1.Cluster) { cl.Spec.DesiredState = n6sv1alpha1.DesiredHibernated })
		waitForCluster(g, c, "avail-eu", n6sv1alpha1.ClusterPhaseHibernated)
		s.awaitSettled(g, map[string]int32{"avail-us": availabilityReplicas})
	})
	s.phase(t, "navarkos up crashes and restarts", func() {
		_ = up.stop(t, syscall.SIGKILL)
		up = startUp(t, dataDir, plannerFlags...)
		// Nothing moves or scales that would not have without the restart.
		g.Consistently(func(g Gomega) {
			g.Expect(bindingClusters(g, c)).To(Equal(map[string]int32{"avail-us": availabilityReplicas}))
			g.Expect(clusterNodes(g, c, "avail-us")).To(Equal(int32(2)))
		}, 10*time.Second, poll).Should(Succeed(), "nothing may move or scale after the restart")
	})
	consolidate(t, c, s, placement)
	s.stop()
	s.report(t)
	if t.Failed() {
		logFleet(t, c)
	}
	g.Expect(up.stop(t, syscall.SIGTERM)).To(Succeed(), "navarkos up must exit cleanly:\n%s", up.output.String())
}

// consolidate puts one replica on avail-eu and five on avail-us, then hands both clusters
// to the planner, whose consolidation drains avail-eu into avail-us: its whole cost saved.
func consolidate(t *testing.T, c client.Client, s *sampler, p *n6sv1alpha1.Placement) {
	g := NewWithT(t)
	patchClusterSpec(t, c, "avail-eu", func(cl *n6sv1alpha1.Cluster) { cl.Spec.DesiredState = n6sv1alpha1.DesiredOnline })
	waitForCluster(g, c, "avail-eu", n6sv1alpha1.ClusterPhaseReady)
	setSpread(t, c, p, &n6sv1alpha1.SpreadConstraint{MinClusters: 2})
	s.awaitSettled(g, map[string]int32{"avail-eu": 1, "avail-us": availabilityReplicas - 1})
	setSpread(t, c, p, nil)
	s.phase(t, "consolidation by the planner", func() {
		for _, name := range []string{"avail-eu", "avail-us"} {
			patchClusterSpec(t, c, name, func(cl *n6sv1alpha1.Cluster) { cl.Labels[n6sv1alpha1.PlannerLabel] = n6sv1alpha1.PlannerManaged })
		}
		g.Eventually(func(g Gomega) {
			cl := &n6sv1alpha1.Cluster{}
			g.Expect(c.Get(context.Background(), client.ObjectKey{Name: "avail-eu"}, cl)).To(Succeed())
			g.Expect(cl.Annotations).To(HaveKey(n6sv1alpha1.DrainPodLimitAnnotation))
		}, clusterTimeout, poll).Should(Succeed(), "waiting for the planner to drain avail-eu")
		s.awaitSettled(g, map[string]int32{"avail-us": availabilityReplicas})
	})
}

// sampler sums the Ready replicas of shop/web over every member, every samplePeriod.
type sampler struct {
	fleet client.Client
	// members are clients of the members by cluster name and endpoint.
	members map[string]kubernetes.Interface
	done    chan struct{}
	stopped sync.WaitGroup

	mu      sync.Mutex
	current *phaseStats
	phases  []*phaseStats
	last    int32
	// taken counts the samples, so that a wait can ask for ones taken after it began.
	taken int
}

// phaseStats are the samples of one phase.
type phaseStats struct {
	name        string
	start, end  time.Time
	lowest      int32
	samples     int
	lowestSince time.Time
	// ahead is the longest time the fleet's Deployment reported more Ready replicas than the
	// members' Deployments did; aheadSince starts the stretch in progress.
	ahead, aheadSince time.Duration
}

// record adds one reading, taken at since into the phase.
func (p *phaseStats) record(r reading, since time.Duration) {
	p.samples++
	if r.serving < p.lowest {
		p.lowest, p.lowestSince = r.serving, p.start.Add(since)
	}
	switch {
	case r.fleetReports <= r.membersReport:
		p.aheadSince = -1
	case p.aheadSince < 0:
		p.aheadSince = since
	default:
		p.ahead = max(p.ahead, since-p.aheadSince)
	}
}

func startSampler(t *testing.T, fleet client.Client) *sampler {
	s := &sampler{fleet: fleet, members: map[string]kubernetes.Interface{}, done: make(chan struct{}), last: -1}
	s.stopped.Add(1)
	go s.run()
	t.Cleanup(s.stop)
	return s
}

func (s *sampler) run() {
	defer s.stopped.Done()
	tick := time.NewTicker(samplePeriod)
	defer tick.Stop()
	for {
		r := s.sample()
		s.mu.Lock()
		s.last = r.serving
		s.taken++
		if p := s.current; p != nil {
			p.record(r, time.Since(p.start))
		}
		s.mu.Unlock()
		select {
		case <-s.done:
			return
		case <-tick.C:
		}
	}
}

// sample sums the Ready replicas the members report now; a member that does not answer has none.
// reading is one sample: the Ready pods the members serve, the Ready replicas their
// Deployments report, and the Ready replicas the fleet's Deployment reports, their sum.
type reading struct {
	serving, membersReport, fleetReports int32
}

func (s *sampler) sample() reading {
	ctx, cancel := context.WithTimeout(context.Background(), memberReadTimeout)
	defer cancel()
	var r reading
	fleetDeployment := &appsv1.Deployment{}
	if err := s.fleet.Get(ctx, client.ObjectKey{Namespace: "shop", Name: "web"}, fleetDeployment); err == nil {
		r.fleetReports = fleetDeployment.Status.ReadyReplicas
	}
	clusters := &n6sv1alpha1.ClusterList{}
	if err := s.fleet.List(ctx, clusters); err == nil {
		for _, cl := range clusters.Items {
			key := cl.Name + "@" + cl.Status.Endpoint
			if _, ok := s.members[key]; !ok && cl.Status.Phase == n6sv1alpha1.ClusterPhaseReady {
				if m := memberClient(ctx, s.fleet, cl.Name); m != nil {
					s.members[key] = m
				}
			}
		}
	}
	// Each member is read on its own, so that one that hangs costs no other its answer.
	// A member that fails is asked again with a new client next time: a cluster made anew
	// after Offline may answer at the same address with new credentials.
	var serving, reported atomic.Int32
	var wg sync.WaitGroup
	var failed sync.Map
	for key, m := range s.members {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), memberReadTimeout)
			defer cancel()
			n, err := servingPods(ctx, m)
			if err != nil {
				failed.Store(key, true)
			}
			serving.Add(n)
			if d, err := m.AppsV1().Deployments("shop").Get(ctx, "web", metav1.GetOptions{}); err == nil {
				reported.Add(d.Status.ReadyReplicas)
			}
		})
	}
	wg.Wait()
	failed.Range(func(key, _ any) bool {
		delete(s.members, key.(string))
		return true
	})
	r.serving, r.membersReport = serving.Load(), reported.Load()
	return r
}

// servingPods counts the Ready pods of shop/web that a member runs and does not delete: the
// pods its Services send traffic to. (A node drain releases pods from their ReplicaSet while
// their replacements start, so the Deployment's own count is lower than what serves.)
func servingPods(ctx context.Context, m kubernetes.Interface) (int32, error) {
	pods, err := m.CoreV1().Pods("shop").List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
	if err != nil {
		return 0, err
	}
	var n int32
	for _, p := range pods.Items {
		if p.DeletionTimestamp != nil {
			continue
		}
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
				n++
			}
		}
	}
	return n, nil
}

// memberClient is a client of a member with a short timeout, or nil when its kubeconfig cannot be read yet.
func memberClient(ctx context.Context, fleet client.Client, name string) kubernetes.Interface {
	data, err := member.Kubeconfig(ctx, fleet, name)
	if err != nil {
		return nil
	}
	cfg, err := clientcmd.RESTConfigFromKubeConfig(data)
	if err != nil {
		return nil
	}
	cfg.Timeout = memberReadTimeout
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil
	}
	return cs
}

// phase runs one change of the fleet and records the lowest Ready replicas while it runs.
func (s *sampler) phase(t *testing.T, name string, change func()) {
	t.Helper()
	s.mu.Lock()
	p := &phaseStats{name: name, start: time.Now(), lowest: s.last, aheadSince: -1}
	s.current = p
	s.phases = append(s.phases, p)
	s.mu.Unlock()
	t.Logf("phase %q starts with the replicas on %v", name, bindingClusters(NewWithT(t), s.fleet))
	change()
	s.mu.Lock()
	p.end, s.current = time.Now(), nil
	s.mu.Unlock()
	t.Logf("phase %q: lowest Ready %d of %d over %d samples in %s; the fleet's status ran ahead of the members' for %s at most",
		name, p.lowest, availabilityReplicas, p.samples, p.end.Sub(p.start).Round(100*time.Millisecond), p.ahead.Round(100*time.Millisecond))
	if p.lowest < availabilityReplicas {
		t.Errorf("phase %q: Ready replicas fell to %d at %s, below %d (replicas − maxUnavailable)",
			name, p.lowest, p.lowestSince.Format(time.TimeOnly), availabilityReplicas)
	}
}

func (s *sampler) stop() {
	select {
	case <-s.done:
	default:
		close(s.done)
	}
	s.stopped.Wait()
}

// report prints every phase's lowest and duration as one table, for the docs.
func (s *sampler) report(t *testing.T) {
	msg := "phase | lowest Ready | duration | fleet status ahead of the members\n"
	for _, p := range s.phases {
		msg += fmt.Sprintf("%s | %d of %d | %s | %s\n", p.name, p.lowest, availabilityReplicas, p.end.Sub(p.start).Round(100*time.Millisecond), p.ahead.Round(100*time.Millisecond))
	}
	t.Log("\n" + msg)
}

// awaitReady waits until the members report n Ready replicas in two samples taken after the
// wait began, so that a sample from before a change never ends a phase.
func (s *sampler) awaitReady(g Gomega, n int32, what string) {
	s.mu.Lock()
	from := s.taken
	s.mu.Unlock()
	streak, seen := 0, from
	g.Eventually(func() int {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.taken != seen {
			seen = s.taken
			if s.last == n {
				streak++
			} else {
				streak = 0
			}
		}
		return streak
	}, clusterTimeout, samplePeriod/4).Should(BeNumerically(">=", 2), "waiting for %d Ready replicas: %s", n, what)
}

// awaitSettled waits until the workload's ResourceBinding holds want, with no move in
// progress, and the members report every replica Ready.
func (s *sampler) awaitSettled(g Gomega, want map[string]int32) {
	g.Eventually(func(g Gomega) {
		g.Expect(bindingClusters(g, s.fleet)).To(Equal(want))
		b := &n6sv1alpha1.ResourceBinding{}
		g.Expect(s.fleet.Get(context.Background(), client.ObjectKey{Namespace: "shop", Name: "deployment-web"}, b)).To(Succeed())
		g.Expect(b.Spec.Rollout).To(BeNil(), "a move is still in progress")
	}, clusterTimeout, poll).Should(Succeed(), "waiting for the replicas to settle on %v", want)
	s.awaitReady(g, availabilityReplicas, fmt.Sprintf("settled on %v", want))
}

func availabilityDeployment() *appsv1.Deployment {
	d := fleetDeployment("web", availabilityReplicas)
	d.Namespace = "shop"
	d.Spec.Template.Spec.Containers[0].Resources.Requests = corev1.ResourceList{
		corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("64Mi"),
	}
	return d
}

func bindingClusters(g Gomega, c client.Client) map[string]int32 {
	b := &n6sv1alpha1.ResourceBinding{}
	g.Expect(c.Get(context.Background(), client.ObjectKey{Namespace: "shop", Name: "deployment-web"}, b)).To(Succeed())
	out := map[string]int32{}
	for _, tc := range b.Spec.Clusters {
		out[tc.Name] = ptr.Deref(tc.Replicas, -1)
	}
	return out
}

func clusterNodes(g Gomega, c client.Client, name string) int32 {
	cl := &n6sv1alpha1.Cluster{}
	g.Expect(c.Get(context.Background(), client.ObjectKey{Name: name}, cl)).To(Succeed())
	return ptr.Deref(cl.Spec.Nodes, -1)
}

func waitForCluster(g Gomega, c client.Client, name string, phase n6sv1alpha1.ClusterPhase) {
	g.Eventually(func(g Gomega) {
		cl := &n6sv1alpha1.Cluster{}
		g.Expect(c.Get(context.Background(), client.ObjectKey{Name: name}, cl)).To(Succeed())
		g.Expect(cl.Status.Phase).To(Equal(phase), "conditions: %+v", cl.Status.Conditions)
	}, clusterTimeout, poll).Should(Succeed(), "waiting for Cluster %s to be %s", name, phase)
}

func waitForNodes(g Gomega, c client.Client, name string, nodes int32) {
	g.Eventually(func(g Gomega) {
		cl := &n6sv1alpha1.Cluster{}
		g.Expect(c.Get(context.Background(), client.ObjectKey{Name: name}, cl)).To(Succeed())
		expectReady(g, cl, nodes)
	}, clusterTimeout, poll).Should(Succeed(), "waiting for Cluster %s to be Ready with %d nodes", name, nodes)
}

// patchClusterSpec changes a Cluster with a merge patch, retrying on the cache's lag.
func patchClusterSpec(t *testing.T, c client.Client, name string, change func(*n6sv1alpha1.Cluster)) {
	t.Helper()
	NewWithT(t).Eventually(func() error {
		cl := &n6sv1alpha1.Cluster{}
		if err := c.Get(context.Background(), client.ObjectKey{Name: name}, cl); err != nil {
			return err
		}
		patch := client.MergeFrom(cl.DeepCopy())
		change(cl)
		return c.Patch(context.Background(), cl, patch)
	}, clusterTimeout, poll).Should(Succeed(), "patching Cluster %s", name)
}

// patchPlacement changes the Placement with a merge patch, retrying on conflicts.
func patchPlacement(t *testing.T, c client.Client, p *n6sv1alpha1.Placement, what string, change func(*n6sv1alpha1.PlacementSpec)) {
	t.Helper()
	NewWithT(t).Eventually(func() error {
		if err := c.Get(context.Background(), client.ObjectKeyFromObject(p), p); err != nil {
			return err
		}
		patch := client.MergeFrom(p.DeepCopy())
		change(&p.Spec)
		return c.Patch(context.Background(), p, patch)
	}, clusterTimeout, poll).Should(Succeed(), "setting the Placement's %s", what)
}

func setRegions(t *testing.T, c client.Client, p *n6sv1alpha1.Placement, regions ...string) {
	t.Helper()
	patchPlacement(t, c, p, "regions", func(s *n6sv1alpha1.PlacementSpec) { s.ClusterAffinity.Regions = regions })
}

func setSpread(t *testing.T, c client.Client, p *n6sv1alpha1.Placement, spread *n6sv1alpha1.SpreadConstraint) {
	t.Helper()
	patchPlacement(t, c, p, "spread", func(s *n6sv1alpha1.PlacementSpec) { s.Spread = spread })
}

func setPodReadyDelay(t *testing.T, c client.Client, pool string, delay time.Duration) {
	t.Helper()
	NewWithT(t).Eventually(func() error {
		p := &n6sv1alpha1.ClusterPool{}
		if err := c.Get(context.Background(), client.ObjectKey{Name: pool}, p); err != nil {
			return err
		}
		patch := client.MergeFrom(p.DeepCopy())
		if p.Spec.Template == nil {
			p.Spec.Template = &n6sv1alpha1.ProviderTemplate{}
		}
		if p.Spec.Template.Local == nil {
			p.Spec.Template.Local = &n6sv1alpha1.LocalTemplate{}
		}
		p.Spec.Template.Local.PodReadyDelay = n6sv1alpha1.DurationOf(delay)
		return c.Patch(context.Background(), p, patch)
	}, clusterTimeout, poll).Should(Succeed(), "setting the pod delay of pool %s", pool)
}

// logFleet logs the Clusters, the workload's ResourceBinding and the Events of its namespace.
func logFleet(t *testing.T, c client.Client) {
	ctx := context.Background()
	clusters := &n6sv1alpha1.ClusterList{}
	if err := c.List(ctx, clusters); err == nil {
		for _, cl := range clusters.Items {
			t.Logf("Cluster %s: desired %s, phase %s, nodes %d, annotations %v, conditions %+v", cl.Name, cl.Spec.DesiredState, cl.Status.Phase, cl.Status.Nodes, cl.Annotations, cl.Status.Conditions)
		}
	}
	b := &n6sv1alpha1.ResourceBinding{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: "shop", Name: "deployment-web"}, b); err == nil {
		t.Logf("ResourceBinding: spec %+v, status %+v", b.Spec, b.Status)
	}
	events := &eventsv1.EventList{}
	if err := c.List(ctx, events, client.InNamespace("shop")); err == nil {
		for _, e := range events.Items {
			t.Logf("Event %s %s/%s %s: %s", e.EventTime.Format(time.TimeOnly), e.Regarding.Kind, e.Regarding.Name, e.Reason, e.Note)
		}
	}
}
