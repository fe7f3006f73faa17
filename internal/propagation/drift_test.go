package propagation

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestUnchanged(t *testing.T) {
	desired := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": "web", "labels": map[string]any{"app": "web"}, "annotations": map[string]any{"n6s.io/binding": "shop/deployment-web"}},
		"spec":     map[string]any{"replicas": int64(2)},
	}}
	hash, err := Hash(desired)
	if err != nil {
		t.Fatal(err)
	}
	live := func(generation int64, rv string, labels map[string]string) *unstructured.Unstructured {
		u := desired.DeepCopy()
		u.SetGeneration(generation)
		u.SetResourceVersion(rv)
		u.SetLabels(labels)
		return u
	}
	kept := map[string]string{"app": "web", "pod-template-hash": "x"}
	tests := []struct {
		name string
		live *unstructured.Unstructured
		last Applied
		want bool
	}{
		{"same generation, status moved on", live(3, "99", kept), Applied{Hash: hash, Generation: 3, ResourceVersion: "42"}, true},
		{"template changed since", live(3, "42", kept), Applied{Hash: [32]byte{1}, Generation: 3, ResourceVersion: "42"}, false},
		{"spec edited by hand", live(4, "99", kept), Applied{Hash: hash, Generation: 3, ResourceVersion: "42"}, false},
		{"label removed by hand", live(3, "99", map[string]string{"other": "x"}), Applied{Hash: hash, Generation: 3, ResourceVersion: "42"}, false},
		{"no generation, untouched", live(0, "42", kept), Applied{Hash: hash, ResourceVersion: "42"}, true},
		{"no generation, written since", live(0, "43", kept), Applied{Hash: hash, ResourceVersion: "42"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Unchanged(desired, tt.live, hash, tt.last); got != tt.want {
				t.Errorf("Unchanged = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestHashIsStable(t *testing.T) {
	a := &unstructured.Unstructured{Object: map[string]any{"kind": "ConfigMap", "data": map[string]any{"a": "1", "b": "2", "c": "3"}}}
	b := &unstructured.Unstructured{Object: map[string]any{"data": map[string]any{"c": "3", "b": "2", "a": "1"}, "kind": "ConfigMap"}}
	ha, _ := Hash(a)
	hb, _ := Hash(b)
	if ha != hb {
		t.Error("the same object built in another order hashes differently")
	}
	b.Object["data"].(map[string]any)["c"] = "4"
	if hc, _ := Hash(b); hc == ha {
		t.Error("a changed object hashes the same")
	}
}

func TestMemberChangeMatters(t *testing.T) {
	deployment := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": "web", "resourceVersion": "1", "generation": int64(1), "labels": map[string]any{"app": "web"}},
		"status":   map[string]any{"replicas": int64(2), "readyReplicas": int64(1), "conditions": []any{map[string]any{"type": "Progressing"}}},
	}}
	configMap := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "c", "resourceVersion": "1"},
	}}
	next := func(u *unstructured.Unstructured, change func(*unstructured.Unstructured)) *unstructured.Unstructured {
		out := u.DeepCopy()
		out.SetResourceVersion("2")
		change(out)
		return out
	}
	tests := []struct {
		name    string
		old     *unstructured.Unstructured
		updated *unstructured.Unstructured
		want    bool
	}{
		{"a resync", deployment, deployment.DeepCopy(), false},
		{"conditions only", deployment, next(deployment, func(u *unstructured.Unstructured) {
			_ = unstructured.SetNestedSlice(u.Object, []any{map[string]any{"type": "Available"}}, "status", "conditions")
			_ = unstructured.SetNestedField(u.Object, int64(1), "status", "observedGeneration")
		}), false},
		{"a ready replica more", deployment, next(deployment, func(u *unstructured.Unstructured) {
			_ = unstructured.SetNestedField(u.Object, int64(2), "status", "readyReplicas")
		}), true},
		{"a counter dropped to zero", deployment, next(deployment, func(u *unstructured.Unstructured) {
			unstructured.RemoveNestedField(u.Object, "status", "readyReplicas")
		}), true},
		{"spec edited", deployment, next(deployment, func(u *unstructured.Unstructured) { u.SetGeneration(2) }), true},
		{"a label removed", deployment, next(deployment, func(u *unstructured.Unstructured) { u.SetLabels(nil) }), true},
		{"an annotation added", deployment, next(deployment, func(u *unstructured.Unstructured) { u.SetAnnotations(map[string]string{"x": "y"}) }), true},
		{"being deleted", deployment, next(deployment, func(u *unstructured.Unstructured) {
			now := metav1.Now()
			u.SetDeletionTimestamp(&now)
		}), true},
		{"any write to a kind without generation", configMap, next(configMap, func(*unstructured.Unstructured) {}), true},
	}
	for _, tt := range tests {
		if got := MemberChangeMatters(tt.old, tt.updated, nil); got != tt.want {
			t.Errorf("%s: MemberChangeMatters = %v, want %v", tt.name, got, tt.want)
		}
	}

	// With Navarkos' last apply known, only its own labels and annotations count.
	last := &Applied{Labels: map[string]string{"app": "web"}, Annotations: map[string]string{"n6s.io/binding": "shop/deployment-web"}}
	ours := deployment.DeepCopy()
	ours.SetAnnotations(last.Annotations)
	withLast := []struct {
		name    string
		updated *unstructured.Unstructured
		want    bool
	}{
		{"the member's controller adds its own annotation", next(ours, func(u *unstructured.Unstructured) {
			u.SetAnnotations(map[string]string{"n6s.io/binding": "shop/deployment-web", "deployment.kubernetes.io/revision": "1"})
		}), false},
		{"someone adds a label", next(ours, func(u *unstructured.Unstructured) { u.SetLabels(map[string]string{"app": "web", "team": "x"}) }), false},
		{"Navarkos' annotation removed", next(ours, func(u *unstructured.Unstructured) { u.SetAnnotations(nil) }), true},
		{"Navarkos' label changed", next(ours, func(u *unstructured.Unstructured) { u.SetLabels(map[string]string{"app": "api"}) }), true},
	}
	for _, tt := range withLast {
		if got := MemberChangeMatters(ours, tt.updated, last); got != tt.want {
			t.Errorf("%s: MemberChangeMatters = %v, want %v", tt.name, got, tt.want)
		}
	}
}
