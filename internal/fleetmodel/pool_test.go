package fleetmodel

import (
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
)

func TestPoolTimeToCapacity(t *testing.T) {
	second := func(n int) *metav1.Duration { return &metav1.Duration{Duration: time.Duration(n) * time.Second} }
	declared := &n6sv1alpha1.TimeToCapacity{Create: *second(60), Wake: *second(10), Scale: *second(20)}
	measured := &n6sv1alpha1.MeasuredTimes{Create: second(4), Wake: second(2)}
	tests := []struct {
		name                string
		spec                *n6sv1alpha1.TimeToCapacity
		status              *n6sv1alpha1.MeasuredTimes
		create, wake, scale time.Duration
	}{
		{"defaults", nil, nil, DefaultCreateTime, DefaultWakeTime, DefaultScaleTime},
		{"measured, with defaults for what was not measured", nil, measured, 4 * time.Second, 2 * time.Second, DefaultScaleTime},
		{"declared wins over measured", declared, measured, time.Minute, 10 * time.Second, 20 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &n6sv1alpha1.ClusterPool{
				ObjectMeta: metav1.ObjectMeta{Name: "p"},
				Spec: n6sv1alpha1.ClusterPoolSpec{Provider: n6sv1alpha1.ProviderLocal, Region: "r", TimeToCapacity: tt.spec,
					NodeShape: n6sv1alpha1.NodeShape{CPU: resource.MustParse("4"), Memory: resource.MustParse("16Gi"), Pods: 110},
					Price:     n6sv1alpha1.Price{PerNodeHour: resource.MustParse("0.1")}},
				Status: n6sv1alpha1.ClusterPoolStatus{MeasuredTimeToCapacity: tt.status},
			}
			got := Pool(p)
			if got.CreateTime != tt.create || got.WakeTime != tt.wake || got.ScaleTime != tt.scale {
				t.Fatalf("create %s wake %s scale %s, want %s %s %s", got.CreateTime, got.WakeTime, got.ScaleTime, tt.create, tt.wake, tt.scale)
			}
		})
	}
}
