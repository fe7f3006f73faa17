package report

import (
	"context"
	"fmt"
	"strings"
	"time"

	"k8s.io/utils/ptr"

	"sigs.k8s.io/controller-runtime/pkg/client"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/placement"
)

// GetBinding reads the Binding of a fleet object (ns is "" for a cluster-scoped one), with a
// plain error when no placement selects the object.
func GetBinding(ctx context.Context, c client.Reader, kind, ns, name string) (*n6sv1alpha1.ResourceBinding, error) {
	b := &n6sv1alpha1.ResourceBinding{}
	key := n6sv1alpha1.BindingKey(kind, ns, name)
	if err := c.Get(ctx, key, b); err != nil {
		if client.IgnoreNotFound(err) == nil {
			return nil, fmt.Errorf("%s %s is not placed: no Placement selects it", kind, strings.TrimPrefix(ns+"/"+name, "/"))
		}
		return nil, fmt.Errorf("failed to get ResourceBinding %s: %w", key, err)
	}
	return b, nil
}

// Binding writes a Binding for people: the resource, its placement, the reason, and each cluster's state.
func Binding(b *n6sv1alpha1.ResourceBinding) string {
	var s strings.Builder
	r := b.Spec.Resource
	fmt.Fprintf(&s, "Resource:   %s %s/%s\n", r.Kind, r.Namespace, r.Name)
	fmt.Fprintf(&s, "Placement:  %s %s\n", b.Spec.Placement.Kind, b.Spec.Placement.Name)
	fmt.Fprintf(&s, "Why:        %s\n", b.Spec.Reason)
	if b.Spec.UnplacedReplicas > 0 {
		fmt.Fprintf(&s, "Unplaced:   %d replicas have no room\n", b.Spec.UnplacedReplicas)
	}
	state := map[string]n6sv1alpha1.ClusterResourceStatus{}
	for _, st := range b.Status.Clusters {
		state[st.Name] = st
	}
	if m := b.Spec.Rollout; m != nil {
		fmt.Fprintf(&s, "Moving:     %s\n", move(b, m, state))
	}
	s.WriteString("Clusters:\n")
	if len(b.Spec.Clusters) == 0 {
		s.WriteString("  none\n")
	}
	for _, tc := range b.Spec.Clusters {
		replicas := "all"
		if tc.Replicas != nil {
			replicas = fmt.Sprint(*tc.Replicas)
		}
		st, ok := state[tc.Name]
		switch {
		case !ok:
			fmt.Fprintf(&s, "  %s: %s replicas, not applied yet\n", tc.Name, replicas)
		case st.Message != "":
			fmt.Fprintf(&s, "  %s: %s replicas, %s (%d ready): %s\n", tc.Name, replicas, st.State, st.ReadyReplicas, st.Message)
		default:
			fmt.Fprintf(&s, "  %s: %s replicas, %s (%d ready)\n", tc.Name, replicas, st.State, st.ReadyReplicas)
		}
	}
	return s.String()
}

// move writes a move in progress for people: since when, each cluster whose replicas change
// from what it runs now to what it will run, and how many replicas are Ready.
func move(b *n6sv1alpha1.ResourceBinding, m *n6sv1alpha1.BindingRollout, state map[string]n6sv1alpha1.ClusterResourceStatus) string {
	now, target := replicasByCluster(b.Spec.Clusters), replicasByCluster(m.Target)
	var ready, wanted int32
	for c, st := range state {
		ready += min(st.ReadyReplicas, now[c])
	}
	for _, n := range target {
		wanted += n
	}
	wanted += b.Spec.UnplacedReplicas
	ready = min(ready, wanted) // a surge may have more Ready for a while
	msg := fmt.Sprintf("since %s: %s; %d of %d Ready", m.StartedAt.UTC().Format(time.RFC3339), placement.Changes(now, target), ready, wanted)
	if m.GracePeriodExpired {
		msg += "; the grace period expired, so the replicas that have a place moved without waiting"
	}
	return msg
}

func replicasByCluster(list []n6sv1alpha1.TargetCluster) map[string]int32 {
	out := map[string]int32{}
	for _, tc := range list {
		out[tc.Name] = ptr.Deref(tc.Replicas, 0)
	}
	return out
}
