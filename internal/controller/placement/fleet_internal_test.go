package placement

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
)

func TestSchedulable(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	cond := func(typ string, status metav1.ConditionStatus, reason string, since time.Duration) metav1.Condition {
		return metav1.Condition{Type: typ, Status: status, Reason: reason, LastTransitionTime: metav1.NewTime(now.Add(-since))}
	}
	cluster := func(desired n6sv1alpha1.DesiredState, conds ...metav1.Condition) *n6sv1alpha1.Cluster {
		return &n6sv1alpha1.Cluster{Spec: n6sv1alpha1.ClusterSpec{DesiredState: desired}, Status: n6sv1alpha1.ClusterStatus{Conditions: conds}}
	}
	provisioned := cond(n6sv1alpha1.ClusterProvisionedCondition, metav1.ConditionTrue, "Provisioned", time.Hour)
	healthy := cond(n6sv1alpha1.ClusterHealthyCondition, metav1.ConditionTrue, "Healthy", time.Hour)
	tests := []struct {
		name       string
		cluster    *n6sv1alpha1.Cluster
		want       bool
		wantReason string
		wantNext   time.Duration
	}{
		{"Ready", cluster("", cond(n6sv1alpha1.ClusterReadyCondition, metav1.ConditionTrue, "Ready", time.Hour)), true, "", 0},
		{"scaling its nodes, healthy: keeps its workloads", cluster(n6sv1alpha1.DesiredOnline, provisioned, healthy,
			cond(n6sv1alpha1.ClusterReadyCondition, metav1.ConditionFalse, n6sv1alpha1.ClusterScalingDownReason, time.Second)), true, "", 0},
		{"unhealthy within the toleration", cluster("", provisioned,
			cond(n6sv1alpha1.ClusterHealthyCondition, metav1.ConditionFalse, "Unreachable", time.Minute)), true, "", 4 * time.Minute},
		{"unhealthy past the toleration", cluster("", provisioned,
			cond(n6sv1alpha1.ClusterHealthyCondition, metav1.ConditionFalse, "Unreachable", 10*time.Minute)), false, "unhealthy for longer than the failover toleration", 0},
		{"being made", cluster("", cond(n6sv1alpha1.ClusterProvisionedCondition, metav1.ConditionFalse, "Provisioning", time.Second)), false, "not Ready", 0},
		{"asked to hibernate", cluster(n6sv1alpha1.DesiredHibernated, provisioned, healthy), false, "not desired Online", 0},
	}
	for _, tt := range tests {
		got, reason, next := schedulable(tt.cluster, now, 5*time.Minute, 0)
		if got != tt.want || reason != tt.wantReason || next != tt.wantNext {
			t.Errorf("%s: schedulable = %v, %q, next %s; want %v, %q, next %s", tt.name, got, reason, next, tt.want, tt.wantReason, tt.wantNext)
		}
	}
}
