package charts

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/action"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"
)

// chartNamespaces is where each chart is rendered and dry-run applied.
var chartNamespaces = map[string]string{Fn: "fn", Navarkos: "navarkos-system"}

// valuesFiles reads a chart's ci/*-values.yaml files.
func valuesFiles(t *testing.T, name string) map[string]map[string]any {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(name, "ci", "*-values.yaml"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no values files in %s/ci: %v", name, err)
	}
	out := map[string]map[string]any{}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		vals := map[string]any{}
		if err := yaml.Unmarshal(data, &vals); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		out[filepath.Base(p)] = vals
	}
	return out
}

// TestLintStrict is `helm lint --strict` of each chart with each of its values files.
func TestLintStrict(t *testing.T) {
	for name := range chartNamespaces {
		for file, vals := range valuesFiles(t, name) {
			lint := action.NewLint()
			lint.Strict = true
			lint.Namespace = chartNamespaces[name]
			lint.KubeVersion = &KubeVersion
			res := lint.Run([]string{name}, vals)
			if res.TotalChartsLinted != 1 || len(res.Errors) > 0 {
				t.Errorf("helm lint --strict %s -f %s: %d linted, errors: %v (messages %v)", name, file, res.TotalChartsLinted, res.Errors, res.Messages)
			}
		}
	}
}

// TestRenderedObjectsPassTheAPIServer renders each chart with each values file and
// server-side dry-run applies every object, hooks included, to a real kube-apiserver
// with strict field validation, so that the API itself validates the output.
func TestRenderedObjectsPassTheAPIServer(t *testing.T) {
	ctx, c := t.Context(), k8s
	// The dry run must be able to fail: an unknown field is refused.
	bad := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Service", "metadata": map[string]any{"name": "bad", "namespace": "default"},
		"spec": map[string]any{"ports": []any{map[string]any{"port": int64(80)}}, "tyep": "ClusterIP"},
	}}
	if err := dryRunApply(ctx, c, bad); err == nil || !strings.Contains(err.Error(), "tyep") {
		t.Fatalf("a Service with an unknown field passed the dry run: %v", err)
	}
	for name, ns := range chartNamespaces {
		ch, err := Load(name)
		if err != nil {
			t.Fatal(err)
		}
		for file, vals := range valuesFiles(t, name) {
			t.Run(name+"/"+strings.TrimSuffix(file, "-values.yaml"), func(t *testing.T) {
				out, err := Render(ctx, ch, name, ns, vals)
				if err != nil {
					t.Fatalf("render: %v", err)
				}
				if len(out.Objects) == 0 || out.Notes == "" {
					t.Fatalf("render gave %d objects and notes %q", len(out.Objects), out.Notes)
				}
				for _, obj := range append(out.Objects, out.Hooks...) {
					if err := dryRunApply(ctx, c, obj); err != nil {
						t.Errorf("%s %s/%s refused: %v", obj.GetKind(), obj.GetNamespace(), obj.GetName(), err)
					}
					// The control plane's pools go to the fleet API: its CRDs check them.
					for _, pool := range poolsOf(t, obj) {
						if err := dryRunApply(ctx, c, pool); err != nil {
							t.Errorf("ClusterPool %s of the pools ConfigMap refused: %v", pool.GetName(), err)
						}
					}
				}
			})
		}
	}
}

func dryRunApply(ctx context.Context, c client.Client, obj *unstructured.Unstructured) error {
	return c.Apply(ctx, client.ApplyConfigurationFromUnstructured(obj),
		client.FieldOwner("chart-test"), client.ForceOwnership, client.DryRunAll)
}

// TestBadValuesAreRejected checks that the schema refuses bad values and says which field is wrong.
func TestBadValuesAreRejected(t *testing.T) {
	ch, err := Load(Fn)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, values string
		want         []string
	}{
		{"api replicas > 1 with sqlite", "api: {replicas: 2}", []string{"/api/replicas", "maximum: got 2, want 1"}},
		{"mysql without a DB secret", "datastore: {type: mysql, host: db.example}",
			[]string{"/datastore/existingSecret", "/datastore/password"}},
		{"a mysql password Fn would garble", "datastore: {type: mysql, host: db.example, password: 'p@ss'}", []string{"/datastore/password", "does not match pattern"}},
		{"runner autoscaling", "runner: {autoscaling: {enabled: true}}", []string{"additional properties 'autoscaling' not allowed"}},
		{"runner without a memory limit", "runner: {resources: {limits: {memory: null, cpu: 2}}}", []string{"/runner/resources/limits", "memory"}},
		{"runner scratch space not in bytes", "runner: {dockerStorage: {sizeLimit: lots}}", []string{"/runner/dockerStorage/sizeLimit"}},
		{"runner memory below its overhead", "runner: {resources: {limits: {memory: 256Mi}}}", []string{"must be more than runner.overheadMemory"}},
		{"public URL without a scheme", "publicURL: fn.example.com", []string{"/publicURL"}},
		{"the old queue", "queue: {type: redis}", []string{"additional properties 'queue' not allowed"}},
		{"unknown service type", "lb: {service: {type: Public}}", []string{"/lb/service/type", "'ClusterIP', 'NodePort', 'LoadBalancer'"}},
		{"unknown key", "apiReplicas: 3", []string{"additional properties 'apiReplicas' not allowed"}},
		{"external database without a host", "datastore: {type: postgres, password: x}", []string{"/datastore/host"}},
		{"bundled MySQL with sqlite", "mysql: {enabled: true}", []string{"/datastore/type", "mysql"}},
		{"Flow UI without Flow", "flowUI: {enabled: true}", []string{"/flow/enabled"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vals := map[string]any{}
			if err := yaml.Unmarshal([]byte(tc.values), &vals); err != nil {
				t.Fatal(err)
			}
			_, err := Render(t.Context(), ch, "fn", "fn", vals)
			if err == nil {
				t.Fatalf("values %q were accepted", tc.values)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("the error does not say %q:\n%v", w, err)
				}
			}
		})
	}
}

// poolsOf decodes the ClusterPools of the control plane's pools ConfigMap.
func poolsOf(t *testing.T, obj *unstructured.Unstructured) []*unstructured.Unstructured {
	t.Helper()
	raw, found, _ := unstructured.NestedString(obj.Object, "data", "pools.yaml")
	if obj.GetKind() != "ConfigMap" || !found {
		return nil
	}
	pools, err := Decode(raw, "")
	if err != nil {
		t.Fatalf("the pools ConfigMap does not decode: %v", err)
	}
	if len(pools) == 0 {
		t.Fatal("the pools ConfigMap holds no ClusterPool")
	}
	return pools
}

// TestReadmeListsEveryValue keeps each chart's values table in step with its values.yaml.
func TestReadmeListsEveryValue(t *testing.T) {
	for name := range chartNamespaces {
		readme, err := os.ReadFile(filepath.Join(name, "README.md"))
		if err != nil {
			t.Fatal(err)
		}
		raw, err := os.ReadFile(filepath.Join(name, "values.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		values := map[string]any{}
		if err := yaml.Unmarshal(raw, &values); err != nil {
			t.Fatal(err)
		}
		for _, key := range valueKeys(values, "") {
			if !strings.Contains(string(readme), "| `"+key+"` |") {
				t.Errorf("%s/README.md has no row for value %s", name, key)
			}
		}
	}
}

// valueKeys are the documented keys: leaves, and maps documented whole (resources, security contexts...).
func valueKeys(values map[string]any, prefix string) []string {
	var keys []string
	for k, v := range values {
		key := prefix + k
		m, isMap := v.(map[string]any)
		documentedWhole := strings.HasSuffix(key, "resources") || strings.HasSuffix(key, "ecurityContext") ||
			strings.HasSuffix(key, "nodeSelector") || strings.HasSuffix(key, "annotations") || key == "providers.static"
		if isMap && len(m) > 0 && !documentedWhole {
			keys = append(keys, valueKeys(m, key+".")...)
			continue
		}
		keys = append(keys, key)
	}
	return keys
}

// TestControlPlaneDNSZones: the chart passes each of dns.zones to the controllers as
// --dns-zone, navarkos.local. by default, and its schema refuses a value that is no zone.
func TestControlPlaneDNSZones(t *testing.T) {
	ch, err := Load(Navarkos)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ values, want string }{
		{"{}", "--dns-zone=navarkos.local."},
		{"dns: {zones: [shop.example.com, navarkos.local.]}", "--dns-zone=shop.example.com\n            - --dns-zone=navarkos.local."},
	} {
		vals := map[string]any{}
		if err := yaml.Unmarshal([]byte(tc.values), &vals); err != nil {
			t.Fatal(err)
		}
		out, err := Render(t.Context(), ch, "navarkos", "navarkos-system", vals)
		if err != nil {
			t.Fatalf("values %s: %v", tc.values, err)
		}
		if !strings.Contains(out.Manifest, tc.want) {
			t.Errorf("values %s: the controllers' arguments lack %q", tc.values, tc.want)
		}
	}
	for _, bad := range []string{"dns: {zones: []}", "dns: {zones: [-shop.example.com.]}", "dns: {zones: ['Shop Example.']}", "dns: {zones: [local]}"} {
		vals := map[string]any{}
		if err := yaml.Unmarshal([]byte(bad), &vals); err != nil {
			t.Fatal(err)
		}
		if _, err := Render(t.Context(), ch, "navarkos", "navarkos-system", vals); err == nil || !strings.Contains(err.Error(), "/dns/zones") {
			t.Errorf("values %s: %v, want a refusal naming /dns/zones", bad, err)
		}
	}
}
