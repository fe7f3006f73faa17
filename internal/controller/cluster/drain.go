package cluster

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	ctrl "sigs.k8s.io/controller-runtime"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/provider"
)

const (
	// drainPollRequeue re-checks a draining cluster for replicas still placed on it.
	drainPollRequeue = 2 * time.Second
	// drainNamesShown bounds the workloads a Draining message names.
	drainNamesShown = 3
	drainingReason  = n6sv1alpha1.ClusterDrainingReason
)

// holdForDrain keeps a running cluster up while ResourceBindings still place replicas on
// it, so that going Offline, Hibernated or away never takes a workload down: the scheduler,
// which no longer chooses the cluster, moves its replicas make before break, and the cluster
// acts once none are left. Its health is checked meanwhile, so that its Ready replicas keep
// counting. A cluster that cannot be reached serves nothing and is not held. It reports
// whether the cluster is held.
func (r *Reconciler) holdForDrain(ctx context.Context, s *scope) (bool, ctrl.Result, error) {
	still, err := r.replicasPlacedOn(ctx, s.cluster.Name)
	if err != nil || still == "" {
		return false, ctrl.Result{}, err
	}
	if err := r.observe(ctx, s); err != nil {
		return true, ctrl.Result{}, err
	}
	if s.state != provider.StateRunning && s.state != provider.StateDegraded {
		return false, ctrl.Result{}, nil
	}
	// A cluster the provider made has its kubeconfig from the provider, not from the spec.
	if err := r.ensureKubeconfig(ctx, s); err != nil {
		return true, ctrl.Result{}, err
	}
	r.checkHealth(ctx, s)
	if s.member == nil {
		return false, ctrl.Result{}, nil
	}
	s.draining = still
	if conditionReason(s.cluster, n6sv1alpha1.ClusterReadyCondition) != drainingReason {
		r.Recorder.Eventf(s.cluster, nil, corev1.EventTypeNormal, drainingReason, "Drain", "%s", n6sv1alpha1.Truncate(still, maxEventNote))
	}
	return true, ctrl.Result{RequeueAfter: drainPollRequeue}, nil
}

// replicasPlacedOn says which workloads still have replicas bound to the cluster, and which
// of them have nowhere else to run; "" when none.
func (r *Reconciler) replicasPlacedOn(ctx context.Context, cluster string) (string, error) {
	list := &n6sv1alpha1.ResourceBindingList{}
	if err := r.Client.List(ctx, list); err != nil {
		return "", fmt.Errorf("failed to list ResourceBindings: %w", err)
	}
	var names []string
	var replicas int32
	stuck := 0
	for i := range list.Items {
		b := &list.Items[i]
		at := slices.IndexFunc(b.Spec.Clusters, func(tc n6sv1alpha1.TargetCluster) bool { return tc.Name == cluster })
		if at < 0 || b.Spec.Clusters[at].Replicas == nil || *b.Spec.Clusters[at].Replicas == 0 {
			continue
		}
		n := *b.Spec.Clusters[at].Replicas
		replicas += n
		name := fmt.Sprintf("%s/%s (%d)", b.Spec.Resource.Namespace, b.Spec.Resource.Name, n)
		if b.Spec.UnplacedReplicas > 0 {
			stuck++
			name = fmt.Sprintf("%s/%s (%d, %d with nowhere else to run)", b.Spec.Resource.Namespace, b.Spec.Resource.Name, n, b.Spec.UnplacedReplicas)
		}
		names = append(names, name)
	}
	if len(names) == 0 {
		return "", nil
	}
	slices.Sort(names)
	shown := strings.Join(names[:min(len(names), drainNamesShown)], ", ")
	if len(names) > drainNamesShown {
		shown += fmt.Sprintf(" and %d more", len(names)-drainNamesShown)
	}
	msg := fmt.Sprintf("staying up until %d replicas of %d workloads are Ready elsewhere: %s", replicas, len(names), shown)
	if stuck > 0 {
		msg += fmt.Sprintf("; %d of them have nowhere else to run, so this cluster keeps them until capacity appears", stuck)
	}
	return msg, nil
}
