package cluster

import (
	"errors"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/provider"
)

type scopeOption func(*scope)

// testScope builds the facts of one reconcile of an Online cluster from a local pool.
func testScope(opts ...scopeOption) *scope {
	s := &scope{
		cluster:        &n6sv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "c1", Generation: 3}, Spec: n6sv1alpha1.ClusterSpec{Pool: "p1", DesiredState: n6sv1alpha1.DesiredOnline}},
		pool:           &n6sv1alpha1.ClusterPool{ObjectMeta: metav1.ObjectMeta{Name: "p1"}, Spec: n6sv1alpha1.ClusterPoolSpec{NodesPerCluster: n6sv1alpha1.CountRange{Min: 1, Max: 5}, Price: n6sv1alpha1.Price{PerNodeHour: resource.MustParse("0.25")}}},
		providerName:   n6sv1alpha1.ProviderLocal,
		desiredNodes:   2,
		scalingManaged: true,
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

func running(managed, ready int32) scopeOption {
	return func(s *scope) {
		s.state = provider.StateRunning
		s.member = &memberFacts{version: "v1.37.2", managedNodes: managed, managedReadyNodes: ready, readyNodes: ready}
	}
}

func inState(st provider.State) scopeOption { return func(s *scope) { s.state = st } }

func desired(d n6sv1alpha1.DesiredState) scopeOption {
	return func(s *scope) { s.cluster.Spec.DesiredState = d }
}

func TestSetStatus(t *testing.T) {
	tests := []struct {
		name        string
		scope       *scope
		wantPhase   n6sv1alpha1.ClusterPhase
		wantReady   metav1.ConditionStatus
		wantReasons map[string]string
	}{
		{
			name:      "ready at the desired node count",
			scope:     testScope(running(2, 2)),
			wantPhase: n6sv1alpha1.ClusterPhaseReady, wantReady: metav1.ConditionTrue,
			wantReasons: map[string]string{
				n6sv1alpha1.ClusterProvisionedCondition: n6sv1alpha1.ClusterProvisionedReason,
				n6sv1alpha1.ClusterHealthyCondition:     n6sv1alpha1.ClusterHeartbeatReason,
				n6sv1alpha1.ClusterScalingCondition:     n6sv1alpha1.ClusterAtDesiredNodesReason,
				n6sv1alpha1.ClusterReadyCondition:       n6sv1alpha1.ClusterReadyReason,
			},
		},
		{
			name:        "new nodes not Ready yet",
			scope:       testScope(running(2, 1)),
			wantPhase:   n6sv1alpha1.ClusterPhaseScaling,
			wantReady:   metav1.ConditionFalse,
			wantReasons: map[string]string{n6sv1alpha1.ClusterScalingCondition: n6sv1alpha1.ClusterScalingUpReason, n6sv1alpha1.ClusterReadyCondition: n6sv1alpha1.ClusterScalingUpReason},
		},
		{
			name:        "surplus nodes being removed",
			scope:       testScope(running(4, 4)),
			wantPhase:   n6sv1alpha1.ClusterPhaseScaling,
			wantReady:   metav1.ConditionFalse,
			wantReasons: map[string]string{n6sv1alpha1.ClusterScalingCondition: n6sv1alpha1.ClusterScalingDownReason},
		},
		{
			name:        "nodes outside the pool's range",
			scope:       testScope(running(2, 2), func(s *scope) { s.desiredNodes = 9; s.nodesOutOfRange = true }),
			wantPhase:   n6sv1alpha1.ClusterPhasePending,
			wantReady:   metav1.ConditionFalse,
			wantReasons: map[string]string{n6sv1alpha1.ClusterScalingCondition: n6sv1alpha1.ClusterNodesOutOfRangeReason, n6sv1alpha1.ClusterReadyCondition: n6sv1alpha1.ClusterNodesOutOfRangeReason},
		},
		{
			name:      "joined cluster without managed nodes",
			scope:     testScope(running(0, 0), func(s *scope) { s.providerName = n6sv1alpha1.ProviderStatic; s.scalingManaged = false; s.pool = nil }),
			wantPhase: n6sv1alpha1.ClusterPhaseReady, wantReady: metav1.ConditionTrue,
			wantReasons: map[string]string{n6sv1alpha1.ClusterProvisionedCondition: n6sv1alpha1.ClusterJoinedReason, n6sv1alpha1.ClusterScalingCondition: n6sv1alpha1.ClusterNotManagedReason},
		},
		{
			name:      "unreachable",
			scope:     testScope(inState(provider.StateRunning), func(s *scope) { s.memberErr = errors.New("connection refused") }),
			wantPhase: n6sv1alpha1.ClusterPhaseUnhealthy, wantReady: metav1.ConditionFalse,
			wantReasons: map[string]string{
				n6sv1alpha1.ClusterProvisionedCondition: n6sv1alpha1.ClusterProvisionedReason,
				n6sv1alpha1.ClusterHealthyCondition:     n6sv1alpha1.ClusterUnreachableReason,
				n6sv1alpha1.ClusterReadyCondition:       n6sv1alpha1.ClusterUnreachableReason,
			},
		},
		{
			name:      "announcing a creation",
			scope:     testScope(inState(provider.StateAbsent), func(s *scope) { s.progress = n6sv1alpha1.ClusterProvisioningReason }),
			wantPhase: n6sv1alpha1.ClusterPhaseProvisioning, wantReady: metav1.ConditionFalse,
			wantReasons: map[string]string{
				n6sv1alpha1.ClusterProvisionedCondition: n6sv1alpha1.ClusterProvisioningReason,
				n6sv1alpha1.ClusterHealthyCondition:     n6sv1alpha1.ClusterProvisioningReason,
				n6sv1alpha1.ClusterReadyCondition:       n6sv1alpha1.ClusterProvisioningReason,
			},
		},
		{
			name: "creation failed",
			scope: testScope(inState(provider.StateIncomplete), func(s *scope) {
				s.progress = n6sv1alpha1.ClusterProvisioningReason
				s.providerErr = &opError{op: "create", err: errors.New("boom")}
			}),
			wantPhase: n6sv1alpha1.ClusterPhaseFailed, wantReady: metav1.ConditionFalse,
			wantReasons: map[string]string{n6sv1alpha1.ClusterProvisionedCondition: n6sv1alpha1.ClusterProviderFailedReason, n6sv1alpha1.ClusterReadyCondition: n6sv1alpha1.ClusterProviderFailedReason},
		},
		{
			name:      "scaling failed on a running cluster",
			scope:     testScope(running(1, 1), func(s *scope) { s.providerErr = &opError{op: "scale", err: errors.New("quota")} }),
			wantPhase: n6sv1alpha1.ClusterPhaseFailed, wantReady: metav1.ConditionFalse,
			wantReasons: map[string]string{n6sv1alpha1.ClusterProvisionedCondition: n6sv1alpha1.ClusterProvisionedReason, n6sv1alpha1.ClusterScalingCondition: n6sv1alpha1.ClusterProviderFailedReason},
		},
		{
			name: "missing pool",
			scope: testScope(func(s *scope) {
				s.blocker = &blocker{reason: n6sv1alpha1.ClusterPoolNotFoundReason, message: "no pool"}
			}),
			wantPhase: n6sv1alpha1.ClusterPhasePending, wantReady: metav1.ConditionFalse,
			wantReasons: map[string]string{n6sv1alpha1.ClusterProvisionedCondition: n6sv1alpha1.ClusterPoolNotFoundReason, n6sv1alpha1.ClusterHealthyCondition: n6sv1alpha1.ClusterPoolNotFoundReason},
		},
		{
			name:      "hibernated",
			scope:     testScope(desired(n6sv1alpha1.DesiredHibernated), inState(provider.StateStopped)),
			wantPhase: n6sv1alpha1.ClusterPhaseHibernated, wantReady: metav1.ConditionFalse,
			wantReasons: map[string]string{n6sv1alpha1.ClusterProvisionedCondition: n6sv1alpha1.ClusterProvisionedReason, n6sv1alpha1.ClusterReadyCondition: n6sv1alpha1.ClusterHibernatedReason},
		},
		{
			name:      "offline",
			scope:     testScope(desired(n6sv1alpha1.DesiredOffline), inState(provider.StateAbsent)),
			wantPhase: n6sv1alpha1.ClusterPhaseOffline, wantReady: metav1.ConditionFalse,
			wantReasons: map[string]string{n6sv1alpha1.ClusterProvisionedCondition: n6sv1alpha1.ClusterOfflineReason, n6sv1alpha1.ClusterReadyCondition: n6sv1alpha1.ClusterOfflineReason},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setStatus(tt.scope, time.Unix(1000, 0))
			st := tt.scope.cluster.Status
			if st.Phase != tt.wantPhase {
				t.Errorf("phase = %s, want %s", st.Phase, tt.wantPhase)
			}
			if got := meta.FindStatusCondition(st.Conditions, n6sv1alpha1.ClusterReadyCondition); got == nil || got.Status != tt.wantReady {
				t.Errorf("Ready = %+v, want status %s", got, tt.wantReady)
			}
			for _, typ := range []string{n6sv1alpha1.ClusterProvisionedCondition, n6sv1alpha1.ClusterHealthyCondition, n6sv1alpha1.ClusterScalingCondition, n6sv1alpha1.ClusterReadyCondition} {
				got := meta.FindStatusCondition(st.Conditions, typ)
				if got == nil || got.Reason == "" || got.ObservedGeneration != 3 {
					t.Errorf("condition %s = %+v: every condition must be set with a reason and the generation", typ, got)
					continue
				}
				if want, ok := tt.wantReasons[typ]; ok && got.Reason != want {
					t.Errorf("%s reason = %s (%s), want %s", typ, got.Reason, got.Message, want)
				}
			}
		})
	}
}

func TestSetStatusRecordsHeartbeatCostAndIdleness(t *testing.T) {
	s := testScope(running(2, 2))
	s.pool.Spec.Price.PerClusterHour = ptrQuantity("0.1")
	setStatus(s, time.Unix(1000, 0))
	st := s.cluster.Status
	if st.LastHeartbeatTime == nil || !st.LastHeartbeatTime.Time.Equal(time.Unix(1000, 0)) {
		t.Errorf("heartbeat = %v, want the clock's time", st.LastHeartbeatTime)
	}
	if st.CostPerHour == nil || st.CostPerHour.String() != "600m" {
		t.Errorf("cost = %v, want 0.1 + 2 × 0.25 = 600m", st.CostPerHour)
	}
	if st.IdleSince == nil || !st.IdleSince.Time.Equal(time.Unix(1000, 0)) {
		t.Errorf("idleSince = %v, want the first heartbeat without user pods", st.IdleSince)
	}
	// Idle since the first idle observation, not the latest.
	s.member.userPods = 0
	setStatus(s, time.Unix(2000, 0))
	if !s.cluster.Status.IdleSince.Time.Equal(time.Unix(1000, 0)) {
		t.Errorf("idleSince moved to %v; it must keep the start of the idle period", s.cluster.Status.IdleSince)
	}
	s.member.userPods = 3
	setStatus(s, time.Unix(3000, 0))
	if s.cluster.Status.IdleSince != nil {
		t.Errorf("idleSince = %v, want none while user pods run", s.cluster.Status.IdleSince)
	}
	// Hibernated clusters cost nothing and report no capacity.
	s.member, s.state = nil, provider.StateStopped
	setStatus(s, time.Unix(4000, 0))
	if s.cluster.Status.CostPerHour != nil || s.cluster.Status.Nodes != 0 {
		t.Errorf("stopped cluster: cost %v, nodes %d; want none", s.cluster.Status.CostPerHour, s.cluster.Status.Nodes)
	}
	// Unless the pool says what a hibernated cluster still costs.
	s.pool.Spec.Price.HibernatedPerClusterHour = ptrQuantity("0.04")
	setStatus(s, time.Unix(5000, 0))
	if st := s.cluster.Status; st.CostPerHour == nil || st.CostPerHour.String() != "40m" {
		t.Errorf("stopped cluster of a pool with a hibernated price: cost %v, want 40m", st.CostPerHour)
	}
	// A cluster gone from its provider costs nothing.
	s.state = provider.StateAbsent
	setStatus(s, time.Unix(6000, 0))
	if s.cluster.Status.CostPerHour != nil {
		t.Errorf("absent cluster: cost %v, want none", s.cluster.Status.CostPerHour)
	}
}

func ptrQuantity(s string) *resource.Quantity {
	q := resource.MustParse(s)
	return &q
}

// TestSetStatusOfABackgroundProvider: a provider that works in the background (Cluster API)
// says what it waits for, and its own conditions reach the Cluster with their reasons.
func TestSetStatusOfABackgroundProvider(t *testing.T) {
	s := testScope(inState(provider.StateProvisioning))
	s.providerName = n6sv1alpha1.ProviderCAPI
	s.progress = n6sv1alpha1.ClusterProvisioningReason
	s.observation = provider.Observation{
		State:   provider.StateProvisioning,
		Waiting: "ControlPlaneAvailable of Cluster API Cluster fleet/c1 (NotAvailable: no machine)",
		Conditions: []metav1.Condition{
			{Type: "ControlPlaneAvailable", Status: metav1.ConditionFalse, Reason: "NotAvailable", Message: "no machine"},
			{Type: n6sv1alpha1.ClusterMachinesReadyCondition, Status: metav1.ConditionFalse, Reason: "InstanceTerminated", Message: "Machine m1: gone"},
		},
	}
	setStatus(s, time.Unix(1000, 0))
	st := s.cluster.Status
	ready := meta.FindStatusCondition(st.Conditions, n6sv1alpha1.ClusterReadyCondition)
	if ready.Reason != n6sv1alpha1.ClusterProvisioningReason || ready.Message != "provider capi is making the cluster; waiting for "+s.observation.Waiting {
		t.Errorf("Ready = %s: %q, want Provisioning with what the provider waits for", ready.Reason, ready.Message)
	}
	if st.Phase != n6sv1alpha1.ClusterPhaseProvisioning {
		t.Errorf("phase = %s, want Provisioning", st.Phase)
	}
	for _, want := range s.observation.Conditions {
		got := meta.FindStatusCondition(st.Conditions, want.Type)
		if got == nil || got.Status != want.Status || got.Reason != want.Reason || got.Message != want.Message || got.ObservedGeneration != 3 {
			t.Errorf("condition %s = %+v, want the provider's with the generation", want.Type, got)
		}
	}

	s = testScope(inState(provider.StateDeleting), desired(n6sv1alpha1.DesiredOffline))
	s.providerName = n6sv1alpha1.ProviderCAPI
	s.progress = n6sv1alpha1.ClusterDeletingReason
	s.observation = provider.Observation{State: provider.StateDeleting, Waiting: "Cluster API to delete the Cluster fleet/c1 and its 2 Machines"}
	setStatus(s, time.Unix(1000, 0))
	provisioned := meta.FindStatusCondition(s.cluster.Status.Conditions, n6sv1alpha1.ClusterProvisionedCondition)
	if provisioned.Reason != n6sv1alpha1.ClusterDeletingReason || provisioned.Message != "provider capi is removing the cluster; waiting for "+s.observation.Waiting {
		t.Errorf("Provisioned = %s: %q, want Deleting with what is left", provisioned.Reason, provisioned.Message)
	}
}
