package planner

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/fleetplan"
	"github.com/navarkos/navarkos/internal/planner"
)

const (
	// DefaultInterval is how often the planner looks at the fleet when nothing changes.
	DefaultInterval = 15 * time.Second
	// settleTimeout is how long the planner waits for its last changes to show in its cache
	// before it plans again regardless.
	settleTimeout = 10 * time.Second
	// minRunGap spaces the planner's runs, so that a busy fleet, whose Bindings change all the
	// time, does not keep it deciding without pause.
	minRunGap = 2 * time.Second
)

// fleetKey is the one request the planner reconciles: the whole fleet.
var fleetKey = reconcile.Request{NamespacedName: types.NamespacedName{Name: "fleet"}}

// Reconciler plans the fleet's clusters from its demand.
type Reconciler struct {
	// Client reads and writes the fleet API.
	Client client.Client
	// Recorder writes an Event for every decision.
	Recorder events.EventRecorder
	// Clock gives the planner its time.
	Clock clock.PassiveClock
	// Config tunes the planner; the zero value means planner.DefaultConfig.
	Config planner.Config
	// Interval is how often the planner runs without events; 0 means DefaultInterval.
	Interval time.Duration

	mu  sync.Mutex
	mem *planner.Memory
	// expect holds, for each cluster the last plan changed, what the cache must show before
	// the planner plans again, so that a slow cache never makes it create a cluster twice.
	expect      map[string]func(*n6sv1alpha1.Cluster) bool
	expectSince time.Time
	// seen and unseen, under eventsMu, hold the clusters that Cluster events showed since the
	// last plan, and those the last plan created that no event has shown yet: the planner waits
	// for those, even if they were deleted at once.
	eventsMu     sync.Mutex
	seen, unseen map[string]bool
	// timing holds the capacity changes being timed, by cluster.
	timing map[string]operation
	// lastRun is when the planner last decided.
	lastRun time.Time
}

// SetupWithManager runs the planner on every change of pools, clusters, placements and bindings.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	if r.Client == nil || r.Recorder == nil || r.Clock == nil {
		return errors.New("planner reconciler needs a Client, a Recorder and a Clock")
	}
	if r.Config == (planner.Config{}) {
		r.Config = planner.DefaultConfig()
	}
	if r.Interval == 0 {
		r.Interval = DefaultInterval
	}
	r.mem = planner.NewMemory()
	toFleet := handler.EnqueueRequestsFromMapFunc(func(context.Context, client.Object) []reconcile.Request {
		return []reconcile.Request{fleetKey}
	})
	return ctrl.NewControllerManagedBy(mgr).
		Named("planner").
		WithOptions(controller.Options{MaxConcurrentReconciles: 1}).
		Watches(&n6sv1alpha1.ClusterPool{}, toFleet).
		Watches(&n6sv1alpha1.Cluster{}, handler.EnqueueRequestsFromMapFunc(r.clusterEvent)).
		Watches(&n6sv1alpha1.ResourceBinding{}, toFleet).
		Watches(&n6sv1alpha1.Placement{}, toFleet).
		Watches(&n6sv1alpha1.ClusterPlacement{}, toFleet).
		Complete(r)
}

// Reconcile plans the fleet and carries out the plan.
func (r *Reconciler) Reconcile(ctx context.Context, _ ctrl.Request) (ctrl.Result, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	log := ctrl.LoggerFrom(ctx)
	now := r.Clock.Now()
	if wait := r.lastRun.Add(minRunGap).Sub(now); wait > 0 {
		return ctrl.Result{RequeueAfter: wait}, nil
	}
	// Check before reading: what the plan reads must include what the last plan did.
	if !r.settled(ctx, now) {
		log.V(1).Info("Waiting for the cache to show the last plan", "changed", len(r.expect))
		return ctrl.Result{RequeueAfter: time.Second}, nil
	}
	if err := r.measure(ctx, now); err != nil {
		return ctrl.Result{}, err
	}
	in, err := fleetplan.ReadInput(ctx, r.Client, now, r.Config)
	if err != nil {
		return ctrl.Result{}, err
	}
	r.lastRun = now
	plan := planner.Decide(in, r.mem)
	log.V(1).Info("Planned", "demands", len(in.Demands), "clusters", len(in.Clusters), "actions", len(plan.Actions), "unserved", len(plan.Unserved))
	observePlan(in, plan)
	r.expect, r.expectSince = map[string]func(*n6sv1alpha1.Cluster) bool{}, now
	r.eventsMu.Lock()
	r.seen, r.unseen = map[string]bool{}, map[string]bool{}
	r.eventsMu.Unlock()
	var errs []error
	for _, a := range plan.Actions {
		log.Info("Planner decision", "action", a.Kind, "cluster", a.Cluster, "pool", a.Pool, "nodes", a.Nodes, "reason", a.Reason)
		if err := r.carryOut(ctx, in, a, now); err != nil {
			errs = append(errs, err)
			continue
		}
		actionsTotal.WithLabelValues(string(a.Kind), a.Pool).Inc()
	}
	for _, q := range plan.QuotaReached {
		r.eventOnPlacement(ctx, in, q.Demand, corev1.EventTypeWarning, n6sv1alpha1.PlannerQuotaReachedReason, "No capacity added in pool %s for %s: %s", q.Pool, q.Demand, q)
	}
	for _, u := range plan.Unserved {
		r.eventOnPlacement(ctx, in, u.Demand, corev1.EventTypeWarning, n6sv1alpha1.PlannerCapacityUnavailableReason, "%d replicas of %s cannot be placed: %s", u.Replicas, u.Demand, u.Reason)
	}
	return ctrl.Result{RequeueAfter: r.Interval}, errors.Join(errs...)
}

// settled reports whether the cache shows the last plan's changes, or waiting has timed out.
func (r *Reconciler) settled(ctx context.Context, now time.Time) bool {
	if now.Sub(r.expectSince) > settleTimeout {
		return true
	}
	r.eventsMu.Lock()
	unseen := len(r.unseen)
	r.eventsMu.Unlock()
	if unseen > 0 {
		return false
	}
	if len(r.expect) == 0 {
		return true
	}
	clusters := &n6sv1alpha1.ClusterList{}
	if err := r.Client.List(ctx, clusters); err != nil {
		return false
	}
	byName := map[string]*n6sv1alpha1.Cluster{}
	for i := range clusters.Items {
		byName[clusters.Items[i].Name] = &clusters.Items[i]
	}
	// An expectation met once is dropped: what happens to the cluster later is news, not lag.
	for name, ok := range r.expect {
		if ok(byName[name]) {
			delete(r.expect, name)
		}
	}
	return len(r.expect) == 0
}

// clusterEvent marks a cluster as seen by the cache, and asks for a plan.
func (r *Reconciler) clusterEvent(_ context.Context, o client.Object) []reconcile.Request {
	r.eventsMu.Lock()
	defer r.eventsMu.Unlock()
	if r.seen != nil {
		r.seen[o.GetName()] = true
		delete(r.unseen, o.GetName())
	}
	return []reconcile.Request{fleetKey}
}

// created records a cluster the plan made, unless an event already showed it.
func (r *Reconciler) created(name string) {
	r.eventsMu.Lock()
	defer r.eventsMu.Unlock()
	if !r.seen[name] {
		r.unseen[name] = true
	}
}

// carryOut makes one decision on the Cluster objects, with an Event.
func (r *Reconciler) carryOut(ctx context.Context, in planner.Input, a planner.Action, now time.Time) error {
	switch a.Kind {
	case planner.Create:
		c := newCluster(in.Pools, a)
		if err := r.Client.Create(ctx, c); err != nil {
			return fmt.Errorf("failed to create a Cluster in pool %s: %w", a.Pool, err)
		}
		r.created(c.Name)
		r.startTiming(c.Name, a, now)
		r.Recorder.Eventf(c, nil, corev1.EventTypeNormal, n6sv1alpha1.PlannerCreatedReason, "Create", "Created with %d nodes (+%.3f/h): %s", a.Nodes, a.CostPerHour, a.Reason)
		return nil
	case planner.Delete:
		c := &n6sv1alpha1.Cluster{}
		if err := r.Client.Get(ctx, client.ObjectKey{Name: a.Cluster}, c); err != nil {
			return client.IgnoreNotFound(err)
		}
		r.Recorder.Eventf(c, nil, corev1.EventTypeNormal, n6sv1alpha1.PlannerDeletingReason, "Delete", "Deleting (%.3f/h): %s", a.CostPerHour, a.Reason)
		if err := r.Client.Delete(ctx, c); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("failed to delete Cluster %s: %w", a.Cluster, err)
		}
		r.expect[a.Cluster] = func(c *n6sv1alpha1.Cluster) bool { return c == nil || !c.DeletionTimestamp.IsZero() }
		return nil
	}
	c := &n6sv1alpha1.Cluster{}
	if err := r.Client.Get(ctx, client.ObjectKey{Name: a.Cluster}, c); err != nil {
		return fmt.Errorf("failed to get Cluster %s: %w", a.Cluster, err)
	}
	patch := client.MergeFrom(c.DeepCopy())
	e, err := edit(c, a)
	if err != nil {
		return err
	}
	if err := r.Client.Patch(ctx, c, patch); err != nil {
		return fmt.Errorf("failed to %s Cluster %s: %w", a.Kind, a.Cluster, err)
	}
	if e.timed {
		r.startTiming(a.Cluster, a, now)
	}
	r.expect[a.Cluster] = e.shows
	ctrl.LoggerFrom(ctx).V(1).Info("Cluster changed by the planner", "cluster", klog.KObj(c))
	r.Recorder.Eventf(c, nil, corev1.EventTypeNormal, e.reason, string(a.Kind), "%s: %s", e.note, a.Reason)
	return nil
}

// eventOnPlacement records an Event on the placement of a demand.
func (r *Reconciler) eventOnPlacement(ctx context.Context, in planner.Input, demand, eventType, reason, format string, args ...any) {
	for _, d := range in.Demands {
		if d.Name != demand {
			continue
		}
		ref := fleetplan.PlacementOf(d)
		obj := ref.EmptyObject()
		if err := r.Client.Get(ctx, client.ObjectKey{Namespace: ref.Namespace, Name: ref.Name}, obj); err != nil {
			return
		}
		r.Recorder.Eventf(obj, nil, eventType, reason, "Plan", format, args...)
		return
	}
}
