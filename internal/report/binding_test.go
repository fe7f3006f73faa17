package report

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
)

func TestBinding(t *testing.T) {
	b := &n6sv1alpha1.ResourceBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "deployment-web"},
		Spec: n6sv1alpha1.ResourceBindingSpec{
			Resource:  n6sv1alpha1.ResourceReference{Kind: "Deployment", Namespace: "shop", Name: "web"},
			Placement: n6sv1alpha1.PlacementReference{Kind: "Placement", Namespace: "shop", Name: "web"},
			Clusters:  []n6sv1alpha1.TargetCluster{{Name: "eu", Replicas: ptr.To[int32](2)}, {Name: "us", Replicas: ptr.To[int32](4)}, {Name: "ap", Replicas: ptr.To[int32](1)}},
			Reason:    "3 of 3 clusters eligible; chose ...",
		},
		Status: n6sv1alpha1.ResourceBindingStatus{Clusters: []n6sv1alpha1.ClusterResourceStatus{
			{Name: "eu", State: n6sv1alpha1.ResourceFailed, Message: "overrides[0]: jsonPatch does not apply"},
			{Name: "us", State: n6sv1alpha1.ResourceApplied, ReadyReplicas: 4},
		}},
	}
	want := `Resource:   Deployment shop/web
Placement:  Placement web
Why:        3 of 3 clusters eligible; chose ...
Clusters:
  eu: 2 replicas, Failed (0 ready): overrides[0]: jsonPatch does not apply
  us: 4 replicas, Applied (4 ready)
  ap: 1 replicas, not applied yet
`
	if got := Binding(b); got != want {
		t.Errorf("ResourceBinding =\n%s\nwant\n%s", got, want)
	}
}

func TestBindingShowsAMoveInProgress(t *testing.T) {
	started := metav1.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	b := &n6sv1alpha1.ResourceBinding{
		Spec: n6sv1alpha1.ResourceBindingSpec{
			Resource:  n6sv1alpha1.ResourceReference{Kind: "Deployment", Namespace: "shop", Name: "web"},
			Placement: n6sv1alpha1.PlacementReference{Kind: "Placement", Namespace: "shop", Name: "web"},
			Clusters:  []n6sv1alpha1.TargetCluster{{Name: "eu", Replicas: ptr.To[int32](4)}, {Name: "us", Replicas: ptr.To[int32](4)}},
			Reason:    "...",
			Rollout: &n6sv1alpha1.BindingRollout{
				Target:    []n6sv1alpha1.TargetCluster{{Name: "us", Replicas: ptr.To[int32](6)}},
				StartedAt: started,
			},
		},
		Status: n6sv1alpha1.ResourceBindingStatus{Clusters: []n6sv1alpha1.ClusterResourceStatus{
			{Name: "eu", State: n6sv1alpha1.ResourceApplied, ReadyReplicas: 4},
			{Name: "us", State: n6sv1alpha1.ResourceApplied, ReadyReplicas: 2},
		}},
	}
	want := "Moving:     since 2026-12-07T10:00:00Z: eu 4→0, us 4→6; 6 of 6 Ready\n"
	if got := Binding(b); !strings.Contains(got, want) {
		t.Errorf("ResourceBinding =\n%s\nwant a line\n%s", got, want)
	}
}

// TestBindingCountsASurgeAsNoMoreThanWanted: while a surge runs, more replicas than wanted
// may be Ready; the move says as many as wanted are.
func TestBindingCountsASurgeAsNoMoreThanWanted(t *testing.T) {
	b := &n6sv1alpha1.ResourceBinding{Spec: n6sv1alpha1.ResourceBindingSpec{
		Clusters: []n6sv1alpha1.TargetCluster{{Name: "eu", Replicas: ptr.To[int32](6)}, {Name: "us", Replicas: ptr.To[int32](2)}},
		Rollout:  &n6sv1alpha1.BindingRollout{Target: []n6sv1alpha1.TargetCluster{{Name: "us", Replicas: ptr.To[int32](6)}}},
	}, Status: n6sv1alpha1.ResourceBindingStatus{Clusters: []n6sv1alpha1.ClusterResourceStatus{
		{Name: "eu", State: n6sv1alpha1.ResourceApplied, ReadyReplicas: 6},
		{Name: "us", State: n6sv1alpha1.ResourceApplied, ReadyReplicas: 2},
	}}}
	if got := Binding(b); !strings.Contains(got, "eu 6→0, us 2→6; 6 of 6 Ready") {
		t.Errorf("ResourceBinding =\n%s\nwant the move with 6 of 6 Ready", got)
	}
}
