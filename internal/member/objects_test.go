package member

import (
	"reflect"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestTrimKeepsWhatPropagationReadsBack(t *testing.T) {
	in := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{
			"name": "web", "namespace": "shop", "uid": "u1", "resourceVersion": "7", "generation": int64(2),
			"labels": map[string]any{"app": "web"}, "annotations": map[string]any{"n6s.io/binding": "shop/deployment-web"},
			"managedFields": []any{map[string]any{"manager": "navarkos"}}, "creationTimestamp": "2026-01-01T00:00:00Z",
		},
		"spec":   map[string]any{"replicas": int64(3), "template": map[string]any{"spec": map[string]any{"containers": []any{}}}},
		"status": map[string]any{"readyReplicas": int64(3)},
	}}
	out, err := trim(in)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{
			"name": "web", "namespace": "shop", "uid": "u1", "resourceVersion": "7", "generation": int64(2),
			"labels": map[string]any{"app": "web"}, "annotations": map[string]any{"n6s.io/binding": "shop/deployment-web"},
		},
		"spec":   map[string]any{"replicas": int64(3)},
		"status": map[string]any{"readyReplicas": int64(3)},
	}
	if got := out.(*unstructured.Unstructured).Object; !reflect.DeepEqual(got, want) {
		t.Errorf("trim =\n%v\nwant\n%v", got, want)
	}
	cm := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "c"}, "data": map[string]any{"big": "x"}}}
	out, _ = trim(cm)
	if _, ok := out.(*unstructured.Unstructured).Object["data"]; ok {
		t.Error("trim kept a ConfigMap's data")
	}
}
