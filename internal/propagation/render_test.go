package propagation

import (
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
)

func fleetDeployment() *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{
			"name": "web", "namespace": "shop", "uid": "u1", "resourceVersion": "42", "generation": int64(3),
			"labels":      map[string]any{"app": "web"},
			"annotations": map[string]any{"kubectl.kubernetes.io/last-applied-configuration": "{}", "team": "a"},
		},
		"spec": map[string]any{
			"replicas": int64(9),
			"template": map[string]any{"spec": map[string]any{"containers": []any{
				map[string]any{"name": "web", "image": "web:1"},
				map[string]any{"name": "sidecar", "image": "proxy:1", "env": []any{map[string]any{"name": "MODE", "value": "a"}}},
			}}},
		},
		"status": map[string]any{"replicas": int64(9)},
	}}
}

func TestRenderStripsServerFieldsAndMarksOwnership(t *testing.T) {
	src := fleetDeployment()
	got, err := Render(src, Target{Cluster: "eu", Replicas: ptr.To[int32](4)}, nil, "shop/deployment-web")
	if err != nil {
		t.Fatal(err)
	}
	if got.GetUID() != "" || got.GetResourceVersion() != "" || got.GetGeneration() != 0 {
		t.Errorf("server-set metadata leaked: %v", got.Object["metadata"])
	}
	if _, has := got.Object["status"]; has {
		t.Error("status must not be applied to members")
	}
	if r, _, _ := unstructured.NestedInt64(got.Object, "spec", "replicas"); r != 4 {
		t.Errorf("replicas = %d, want the scheduler's 4", r)
	}
	if got.GetLabels()[n6sv1alpha1.ManagedByLabel] != "navarkos" || got.GetLabels()["app"] != "web" {
		t.Errorf("labels = %v", got.GetLabels())
	}
	ann := got.GetAnnotations()
	if ann[n6sv1alpha1.BindingAnnotation] != "shop/deployment-web" || ann["team"] != "a" || ann["kubectl.kubernetes.io/last-applied-configuration"] != "" {
		t.Errorf("annotations = %v", ann)
	}
	// The fleet object is untouched.
	if r, _, _ := unstructured.NestedInt64(src.Object, "spec", "replicas"); r != 9 || src.GetLabels()[n6sv1alpha1.ManagedByLabel] != "" {
		t.Error("Render changed the fleet object")
	}
}

func TestRenderLeavesServiceAllocationsToTheMember(t *testing.T) {
	src := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Service",
		"metadata": map[string]any{"name": "web", "namespace": "shop"},
		"spec": map[string]any{
			"type": "LoadBalancer", "clusterIP": "10.96.0.12", "clusterIPs": []any{"10.96.0.12"}, "healthCheckNodePort": int64(31000),
			"selector": map[string]any{"app": "web"},
			"ports":    []any{map[string]any{"port": int64(80), "targetPort": int64(8080), "nodePort": int64(30080)}},
		},
	}}
	got, err := Render(src, Target{Cluster: "eu"}, nil, "shop/service-web")
	if err != nil {
		t.Fatal(err)
	}
	spec := got.Object["spec"].(map[string]any)
	for _, f := range []string{"clusterIP", "clusterIPs", "healthCheckNodePort"} {
		if _, has := spec[f]; has {
			t.Errorf("spec.%s was applied: the member allocates its own", f)
		}
	}
	port := spec["ports"].([]any)[0].(map[string]any)
	if _, has := port["nodePort"]; has || port["port"] != int64(80) || spec["type"] != "LoadBalancer" {
		t.Errorf("ports %v, type %v", port, spec["type"])
	}
	if _, has := src.Object["spec"].(map[string]any)["clusterIP"]; !has {
		t.Error("Render changed the fleet Service")
	}
}

func TestRenderOverrides(t *testing.T) {
	overrides := []n6sv1alpha1.ClusterOverride{
		{ClusterNames: []string{"other"}, Images: []n6sv1alpha1.ImageOverride{{Image: "never:1"}}},
		{
			ClusterSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"topology.kubernetes.io/region": "eu-west"}},
			Images:          []n6sv1alpha1.ImageOverride{{Container: "web", Image: "web:2-eu"}},
			Env:             []n6sv1alpha1.EnvOverride{{Name: "REGION", Value: "eu"}, {Container: "sidecar", Name: "MODE", Value: "b"}},
			Labels:          map[string]string{"region": "eu"},
			Annotations:     map[string]string{"note": "eu"},
			Replicas:        ptr.To[int32](2),
		},
		{
			ClusterNames: []string{"eu-1"},
			JSONPatch: []n6sv1alpha1.JSONPatchOperation{
				{Op: "add", Path: "/spec/template/spec/priorityClassName", Value: &apiextensionsv1.JSON{Raw: []byte(`"high"`)}},
			},
		},
	}
	got, err := Render(fleetDeployment(), Target{Cluster: "eu-1", Labels: map[string]string{"topology.kubernetes.io/region": "eu-west"}, Replicas: ptr.To[int32](5)}, overrides, "b")
	if err != nil {
		t.Fatal(err)
	}
	containers, _, _ := unstructured.NestedSlice(got.Object, "spec", "template", "spec", "containers")
	web, sidecar := containers[0].(map[string]any), containers[1].(map[string]any)
	if web["image"] != "web:2-eu" || sidecar["image"] != "proxy:1" {
		t.Errorf("images = %v, %v", web["image"], sidecar["image"])
	}
	if env := web["env"].([]any); len(env) != 1 || env[0].(map[string]any)["value"] != "eu" {
		t.Errorf("web env = %v", env)
	}
	if env := sidecar["env"].([]any); len(env) != 2 || env[0].(map[string]any)["value"] != "b" {
		t.Errorf("sidecar env = %v: MODE must be replaced and REGION added", env)
	}
	if r, _, _ := unstructured.NestedInt64(got.Object, "spec", "replicas"); r != 2 {
		t.Errorf("replicas = %d, want the override's 2", r)
	}
	if pc, _, _ := unstructured.NestedString(got.Object, "spec", "template", "spec", "priorityClassName"); pc != "high" {
		t.Errorf("priorityClassName = %q, want the JSON patch's", pc)
	}
	if got.GetLabels()["region"] != "eu" || got.GetAnnotations()["note"] != "eu" {
		t.Errorf("metadata overrides missing: %v %v", got.GetLabels(), got.GetAnnotations())
	}
}

func TestRenderReportsAPatchThatDoesNotApply(t *testing.T) {
	overrides := []n6sv1alpha1.ClusterOverride{{
		ClusterNames: []string{"c"},
		JSONPatch:    []n6sv1alpha1.JSONPatchOperation{{Op: "replace", Path: "/spec/nothing/here", Value: &apiextensionsv1.JSON{Raw: []byte(`1`)}}},
	}}
	_, err := Render(fleetDeployment(), Target{Cluster: "c"}, overrides, "b")
	if err == nil || !strings.Contains(err.Error(), "overrides[0]: jsonPatch does not apply") {
		t.Fatalf("want a clear error naming the override, got %v", err)
	}
}

func TestRenderImageOverridesSkipObjectsWithoutContainers(t *testing.T) {
	cm := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "c"}, "data": map[string]any{"k": "v"}}}
	got, err := Render(cm, Target{Cluster: "c"}, []n6sv1alpha1.ClusterOverride{{
		ClusterNames: []string{"c"}, Images: []n6sv1alpha1.ImageOverride{{Image: "x"}}, Labels: map[string]string{"l": "1"},
	}}, "b")
	if err != nil {
		t.Fatalf("an image override must not fail a ConfigMap placed with its workload: %v", err)
	}
	if got.Object["data"].(map[string]any)["k"] != "v" || got.GetLabels()["l"] != "1" {
		t.Fatalf("a ConfigMap must keep its data and take the label override: %v", got.Object)
	}
	if _, has := got.Object["spec"]; has {
		t.Fatal("an image override must not invent a pod template")
	}
}

// TestRenderKeepsIdentityAndOwnership: no override turns the object into another one (kind,
// name, namespace) or removes or forges Navarkos' ownership marks, even when the API's own
// rule on patch paths is bypassed.
func TestRenderKeepsIdentityAndOwnership(t *testing.T) {
	for _, patch := range []n6sv1alpha1.JSONPatchOperation{
		{Op: "replace", Path: "/kind", Value: &apiextensionsv1.JSON{Raw: []byte(`"ClusterRoleBinding"`)}},
		{Op: "replace", Path: "/apiVersion", Value: &apiextensionsv1.JSON{Raw: []byte(`"rbac.authorization.k8s.io/v1"`)}},
		{Op: "add", Path: "/metadata/namespace", Value: &apiextensionsv1.JSON{Raw: []byte(`"kube-system"`)}},
		{Op: "replace", Path: "/metadata/name", Value: &apiextensionsv1.JSON{Raw: []byte(`"cluster-admin"`)}},
		{Op: "replace", Path: "/metadata", Value: &apiextensionsv1.JSON{Raw: []byte(`{"name":"x","namespace":"kube-system"}`)}},
	} {
		overrides := []n6sv1alpha1.ClusterOverride{{ClusterNames: []string{"c"}, JSONPatch: []n6sv1alpha1.JSONPatchOperation{patch}}}
		_, err := Render(fleetDeployment(), Target{Cluster: "c"}, overrides, "b")
		if err == nil || !strings.Contains(err.Error(), "may not change the object's apiVersion, kind, name or namespace") {
			t.Errorf("patch %s %s: got %v, want the identity kept", patch.Op, patch.Path, err)
		}
	}
	got, err := Render(fleetDeployment(), Target{Cluster: "c"}, []n6sv1alpha1.ClusterOverride{{
		ClusterNames: []string{"c"},
		Labels:       map[string]string{n6sv1alpha1.ManagedByLabel: "someone-else"},
		Annotations:  map[string]string{n6sv1alpha1.BindingAnnotation: "kube-system/forged"},
	}}, "shop/web")
	if err != nil {
		t.Fatal(err)
	}
	if got.GetLabels()[n6sv1alpha1.ManagedByLabel] != n6sv1alpha1.ManagedByValue || got.GetAnnotations()[n6sv1alpha1.BindingAnnotation] != "shop/web" {
		t.Errorf("ownership marks = %v, %v; overrides may not change them", got.GetLabels(), got.GetAnnotations())
	}
}
