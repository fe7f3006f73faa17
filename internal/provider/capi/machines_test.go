package capi

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
)

func machine(name string, conds ...metav1.Condition) clusterv1.Machine {
	m := clusterv1.Machine{ObjectMeta: metav1.ObjectMeta{Name: name}}
	m.Status.Conditions = conds
	return m
}

func cond(typ string, status metav1.ConditionStatus, reason, msg string) metav1.Condition {
	return metav1.Condition{Type: typ, Status: status, Reason: reason, Message: msg}
}

func TestMachinesReady(t *testing.T) {
	ready := cond(clusterv1.MachineReadyCondition, metav1.ConditionTrue, "Ready", "")
	notReady := cond(clusterv1.MachineReadyCondition, metav1.ConditionFalse, "NotReady", "")
	tests := []struct {
		name                  string
		machines              []clusterv1.Machine
		status                metav1.ConditionStatus
		reason, wantInMessage string
	}{
		{"no machines", nil, metav1.ConditionTrue, "MachinesReady", "0 Machines Ready"},
		{"all ready", []clusterv1.Machine{machine("a", ready), machine("b", ready)}, metav1.ConditionTrue, "MachinesReady", "2 Machines Ready"},
		{
			name: "a failure wins over one still coming up, whatever the names",
			machines: []clusterv1.Machine{
				machine("a-coming", notReady, cond(clusterv1.MachineInfrastructureReadyCondition, metav1.ConditionUnknown, "Provisioning", "waiting for the VM")),
				machine("b-failing", notReady, cond(clusterv1.MachineBootstrapConfigReadyCondition, metav1.ConditionTrue, "Ready", ""),
					cond(clusterv1.MachineInfrastructureReadyCondition, metav1.ConditionFalse, "InstanceTerminated", "the instance\nwas terminated")),
				machine("c", ready),
			},
			status: metav1.ConditionFalse, reason: "InstanceTerminated",
			wantInMessage: "Machine b-failing: InfrastructureReady: the instance was terminated (2 of 3 Machines not Ready)",
		},
		{
			name:     "only coming up",
			machines: []clusterv1.Machine{machine("a", notReady, cond(clusterv1.MachineNodeReadyCondition, metav1.ConditionUnknown, "NodeDoesNotExist", "no node yet"))},
			status:   metav1.ConditionFalse, reason: "NodeDoesNotExist", wantInMessage: "Machine a: NodeReady: no node yet (1 of 1 Machines not Ready)",
		},
		{"not ready without a cause", []clusterv1.Machine{machine("a")}, metav1.ConditionFalse, "MachinesNotReady", "1 of 1 Machines not Ready"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := machinesReady(tc.machines)
			if got.Type != n6sv1alpha1.ClusterMachinesReadyCondition || got.Status != tc.status || got.Reason != tc.reason {
				t.Errorf("got %s=%s reason %s, want %s reason %s", got.Type, got.Status, got.Reason, tc.status, tc.reason)
			}
			if got.Message != tc.wantInMessage {
				t.Errorf("message %q, want %q", got.Message, tc.wantInMessage)
			}
		})
	}
}
