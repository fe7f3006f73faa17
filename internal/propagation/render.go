package propagation

import (
	"encoding/json"
	"fmt"
	"slices"

	jsonpatch "github.com/evanphx/json-patch/v5"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
)

// droppedAnnotations never leave the fleet API: they describe the fleet object, not the member's.
var droppedAnnotations = []string{"kubectl.kubernetes.io/last-applied-configuration", "deployment.kubernetes.io/revision"}

// Target is one cluster the object goes to.
type Target struct {
	// Cluster is the member's name; Labels its Cluster's labels, for override selectors.
	Cluster string
	Labels  map[string]string
	// Replicas replaces spec.replicas when set.
	Replicas *int32
}

// Render builds the object to apply in one member: the fleet object's spec and metadata,
// without server-set fields and status, with its replicas, the overrides that select the
// cluster, and Navarkos' ownership marks.
func Render(src *unstructured.Unstructured, t Target, overrides []n6sv1alpha1.ClusterOverride, binding string) (*unstructured.Unstructured, error) {
	out := &unstructured.Unstructured{Object: map[string]any{}}
	for k, v := range src.Object {
		if k != "metadata" && k != "status" {
			out.Object[k] = runtime.DeepCopyJSONValue(v)
		}
	}
	out.SetAPIVersion(src.GetAPIVersion())
	out.SetKind(src.GetKind())
	out.SetName(src.GetName())
	out.SetNamespace(src.GetNamespace())
	lbls := copyMap(src.GetLabels())
	annotations := copyMap(src.GetAnnotations())
	for _, a := range droppedAnnotations {
		delete(annotations, a)
	}
	if src.GetAPIVersion() == "v1" && src.GetKind() == "Service" {
		dropAllocated(out)
	}
	if t.Replicas != nil {
		if err := unstructured.SetNestedField(out.Object, int64(*t.Replicas), "spec", "replicas"); err != nil {
			return nil, fmt.Errorf("failed to set spec.replicas: %w", err)
		}
	}
	for i, o := range overrides {
		matches, err := Selects(o, t.Cluster, t.Labels)
		if err != nil {
			return nil, fmt.Errorf("overrides[%d]: %w", i, err)
		}
		if !matches {
			continue
		}
		if err := apply(out, o, lbls, annotations); err != nil {
			return nil, fmt.Errorf("overrides[%d]: %w", i, err)
		}
		// The API refuses patches of the identity; this holds whatever a patch does.
		if out.GetAPIVersion() != src.GetAPIVersion() || out.GetKind() != src.GetKind() || out.GetName() != src.GetName() || out.GetNamespace() != src.GetNamespace() {
			return nil, fmt.Errorf("overrides[%d]: jsonPatch may not change the object's apiVersion, kind, name or namespace", i)
		}
	}
	// Ownership marks go last, so that no override can remove or forge them.
	lbls[n6sv1alpha1.ManagedByLabel] = n6sv1alpha1.ManagedByValue
	annotations[n6sv1alpha1.BindingAnnotation] = binding
	out.SetLabels(lbls)
	out.SetAnnotations(annotations)
	return out, nil
}

// dropAllocated removes from a Service what the fleet API server allocated for its own
// copy: cluster IPs and node ports belong to each member, which allocates its own.
func dropAllocated(svc *unstructured.Unstructured) {
	unstructured.RemoveNestedField(svc.Object, "spec", "clusterIP")
	unstructured.RemoveNestedField(svc.Object, "spec", "clusterIPs")
	unstructured.RemoveNestedField(svc.Object, "spec", "healthCheckNodePort")
	ports, found, err := unstructured.NestedSlice(svc.Object, "spec", "ports")
	if err != nil || !found {
		return
	}
	for _, p := range ports {
		if port, ok := p.(map[string]any); ok {
			delete(port, "nodePort")
		}
	}
	_ = unstructured.SetNestedSlice(svc.Object, ports, "spec", "ports")
}

// Selects reports whether an override applies to a cluster.
func Selects(o n6sv1alpha1.ClusterOverride, cluster string, clusterLabels map[string]string) (bool, error) {
	if slices.Contains(o.ClusterNames, cluster) {
		return true, nil
	}
	if o.ClusterSelector == nil {
		return false, nil
	}
	sel, err := metav1.LabelSelectorAsSelector(o.ClusterSelector)
	if err != nil {
		return false, fmt.Errorf("clusterSelector: %w", err)
	}
	return sel.Matches(labels.Set(clusterLabels)), nil
}

// apply makes one override's changes, in a fixed order: replicas, images, env, labels, annotations, then the JSON patch.
func apply(obj *unstructured.Unstructured, o n6sv1alpha1.ClusterOverride, lbls, annotations map[string]string) error {
	if o.Replicas != nil {
		if err := unstructured.SetNestedField(obj.Object, int64(*o.Replicas), "spec", "replicas"); err != nil {
			return fmt.Errorf("replicas: %w", err)
		}
	}
	if len(o.Images) > 0 || len(o.Env) > 0 {
		if err := editContainers(obj, o); err != nil {
			return err
		}
	}
	for k, v := range o.Labels {
		lbls[k] = v
	}
	for k, v := range o.Annotations {
		annotations[k] = v
	}
	if len(o.JSONPatch) == 0 {
		return nil
	}
	patch, err := json.Marshal(o.JSONPatch)
	if err != nil {
		return fmt.Errorf("jsonPatch: %w", err)
	}
	decoded, err := jsonpatch.DecodePatch(patch)
	if err != nil {
		return fmt.Errorf("jsonPatch: %w", err)
	}
	doc, err := json.Marshal(obj.Object)
	if err != nil {
		return err
	}
	patched, err := decoded.Apply(doc)
	if err != nil {
		return fmt.Errorf("jsonPatch does not apply: %w", err)
	}
	// Unstructured's own decoder keeps integers as int64, as the API machinery expects.
	return obj.UnmarshalJSON(patched)
}

// editContainers sets images and environment variables in the pod template's containers.
// Objects without a pod template, such as the ConfigMaps placed with a workload, are left as they are.
func editContainers(obj *unstructured.Unstructured, o n6sv1alpha1.ClusterOverride) error {
	containers, found, err := unstructured.NestedSlice(obj.Object, "spec", "template", "spec", "containers")
	if err != nil {
		return fmt.Errorf("spec.template.spec.containers of %s: %w", obj.GetKind(), err)
	}
	if !found {
		return nil
	}
	for i, raw := range containers {
		c, ok := raw.(map[string]any)
		if !ok {
			continue
		}
		name, _ := c["name"].(string)
		for _, im := range o.Images {
			if im.Container == "" || im.Container == name {
				c["image"] = im.Image
			}
		}
		for _, e := range o.Env {
			if e.Container == "" || e.Container == name {
				c["env"] = setEnv(c["env"], e.Name, e.Value)
			}
		}
		containers[i] = c
	}
	return unstructured.SetNestedSlice(obj.Object, containers, "spec", "template", "spec", "containers")
}

func setEnv(env any, name, value string) []any {
	list, _ := env.([]any)
	for i, raw := range list {
		if e, ok := raw.(map[string]any); ok && e["name"] == name {
			list[i] = map[string]any{"name": name, "value": value}
			return list
		}
	}
	return append(list, map[string]any{"name": name, "value": value})
}

func copyMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}
