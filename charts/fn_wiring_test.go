package charts

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// The tests below hold the chart to how Fn v0.3.749 works (issue 16), one numbered defect each.

// renderFn renders the Fn chart with values given as YAML.
func renderFn(t *testing.T, values string) *Rendered {
	t.Helper()
	vals := map[string]any{}
	if err := yaml.Unmarshal([]byte(values), &vals); err != nil {
		t.Fatal(err)
	}
	ch, err := Load(Fn)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Render(t.Context(), ch, "fn", "fn", vals)
	if err != nil {
		t.Fatalf("values %q: %v", values, err)
	}
	return out
}

// find decodes the rendered object of a kind and name, hooks included, into a typed object.
func find[T any](t *testing.T, out *Rendered, kind, name string) *T {
	t.Helper()
	for _, obj := range append(slices.Clone(out.Objects), out.Hooks...) {
		if obj.GetKind() == kind && obj.GetName() == name {
			into := new(T)
			fromUnstructured(t, obj, into)
			return into
		}
	}
	t.Fatalf("the chart renders no %s %s", kind, name)
	return nil
}

func has(out *Rendered, kind, name string) bool {
	return slices.ContainsFunc(out.Objects, func(o *unstructured.Unstructured) bool {
		return o.GetKind() == kind && o.GetName() == name
	})
}

func envOf(c corev1.Container) map[string]corev1.EnvVar {
	env := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		env[e.Name] = e
	}
	return env
}

// 1. Flow posts to API_URL/FUNCTION_ID, and only the lb routes /invoke.
func TestFnFlowCallsTheLbInvokeRoute(t *testing.T) {
	flow := find[appsv1.Deployment](t, renderFn(t, "flow: {enabled: true}"), "Deployment", "fn-flow")
	if got := envOf(flow.Spec.Template.Spec.Containers[0])["API_URL"].Value; got != "http://fn-lb:90/invoke" {
		t.Errorf("Flow's API_URL is %q, want the lb's /invoke", got)
	}
}

// 2. The api builds each function's invokeEndpoint from FN_PUBLIC_LB_URL.
func TestFnPublicURLIsTheInvokeEndpointBase(t *testing.T) {
	for _, tc := range []struct{ name, values, want string }{
		{"publicURL", "publicURL: http://localhost:8090/", "http://localhost:8090"},
		{"Ingress with TLS", "ingress: {enabled: true, hosts: [fn.example.com], tls: [{secretName: t}]}", "https://fn.example.com"},
		{"Ingress without TLS", "ingress: {enabled: true, hosts: [fn.example.com]}", "http://fn.example.com"},
		{"neither", "{}", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := renderFn(t, tc.values)
			api := find[appsv1.Deployment](t, out, "Deployment", "fn-api")
			if got := envOf(api.Spec.Template.Spec.Containers[0])["FN_PUBLIC_LB_URL"].Value; got != tc.want {
				t.Errorf("FN_PUBLIC_LB_URL %q, want %q", got, tc.want)
			}
			if strings.Contains(out.Notes, "call-url") {
				t.Error("the notes tell the user to set call-url, which the fn CLI does not have")
			}
			if tc.want == "" && !strings.Contains(out.Notes, "--set publicURL=") {
				t.Errorf("without a public URL the notes do not say how to set one:\n%s", out.Notes)
			}
		})
	}
}

// 3. Fn has no message queue setting any more: nothing sets FN_MQ_URL, and a database other
// than sqlite lets the api scale with a rolling update.
func TestFnHasNoQueueAndScalesOnADatabase(t *testing.T) {
	out := renderFn(t, "datastore: {type: postgres, host: pg, password: x}\napi: {replicas: 3}")
	if strings.Contains(out.Manifest, "FN_MQ_URL") {
		t.Error("the chart sets FN_MQ_URL, which Fn removed")
	}
	api := find[appsv1.Deployment](t, out, "Deployment", "fn-api")
	if *api.Spec.Replicas != 3 || api.Spec.Strategy.Type == appsv1.RecreateDeploymentStrategyType || len(api.Spec.Template.Spec.Volumes) != 1 {
		t.Errorf("api on PostgreSQL: %d replicas, strategy %q, volumes %v; want 3, rolling, only /tmp", *api.Spec.Replicas, api.Spec.Strategy.Type, api.Spec.Template.Spec.Volumes)
	}
	if has(out, "PersistentVolumeClaim", "fn-data") {
		t.Error("a data claim is made with no sqlite to keep")
	}
	sqlite := find[appsv1.Deployment](t, renderFn(t, "{}"), "Deployment", "fn-api")
	if sqlite.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType {
		t.Error("with sqlite the api is not recreated: two pods would write one file")
	}
}

// 4. The lb keeps one connection per runner address: each runner is listed by its own name.
func TestFnRunnersAreEachTheirOwnAddress(t *testing.T) {
	out := renderFn(t, "runner: {replicas: 3, grpcPort: 9000}")
	runners := find[appsv1.StatefulSet](t, out, "StatefulSet", "fn-runner")
	svc := find[corev1.Service](t, out, "Service", "fn-runner")
	if runners.Spec.ServiceName != svc.Name || svc.Spec.ClusterIP != corev1.ClusterIPNone || *runners.Spec.Replicas != 3 {
		t.Errorf("runners: StatefulSet of %d under Service %q, which has cluster IP %q; want 3 under the headless fn-runner",
			*runners.Spec.Replicas, runners.Spec.ServiceName, svc.Spec.ClusterIP)
	}
	lb := find[appsv1.Deployment](t, out, "Deployment", "fn-lb")
	want := "fn-runner-0.fn-runner:9000,fn-runner-1.fn-runner:9000,fn-runner-2.fn-runner:9000"
	if got := envOf(lb.Spec.Template.Spec.Containers[0])["FN_RUNNER_ADDRESSES"].Value; got != want {
		t.Errorf("FN_RUNNER_ADDRESSES %q, want %q", got, want)
	}
	if has(out, "HorizontalPodAutoscaler", "fn-runner") || has(out, "Deployment", "fn-runner") {
		t.Error("runners are still a Deployment or autoscaled: the lb would never hear of the runners added")
	}
}

// 5. Runners size their functions by their own limits, and clean images before their scratch
// space fills; the cgroup v1 need is said and checked.
func TestFnRunnerLimitsAndCgroups(t *testing.T) {
	out := renderFn(t, "runner: {resources: {limits: {memory: 6Gi, cpu: 1500m}}, overheadMemory: 1Gi, dockerStorage: {sizeLimit: 40Gi}}")
	runner := find[appsv1.StatefulSet](t, out, "StatefulSet", "fn-runner").Spec.Template.Spec.Containers[0]
	env := envOf(runner)
	if got := env["FN_MAX_TOTAL_MEMORY_BYTES"].Value; got != strconv.FormatInt(5<<30, 10) {
		t.Errorf("FN_MAX_TOTAL_MEMORY_BYTES %q, want the 6Gi limit less the 1Gi overhead", got)
	}
	if ref := env["FN_MAX_TOTAL_CPU_MCPUS"].ValueFrom; ref == nil || ref.ResourceFieldRef == nil || ref.ResourceFieldRef.Resource != "limits.cpu" ||
		ref.ResourceFieldRef.Divisor.String() != "1m" {
		t.Errorf("FN_MAX_TOTAL_MCPUS is %+v, want the CPU limit in millicores", env["FN_MAX_TOTAL_CPU_MCPUS"])
	}
	clean, _ := strconv.ParseInt(env["FN_IMAGE_CLEAN_MAX_SIZE"].Value, 10, 64)
	if clean <= 0 || clean >= 40<<30 {
		t.Errorf("FN_IMAGE_CLEAN_MAX_SIZE %q, want a size below the 40Gi scratch space", env["FN_IMAGE_CLEAN_MAX_SIZE"].Value)
	}
	if _, set := envOf(find[appsv1.StatefulSet](t, renderFn(t, "{}"), "StatefulSet", "fn-runner").Spec.Template.Spec.Containers[0])["FN_MAX_TOTAL_CPU_MCPUS"]; set {
		t.Error("FN_MAX_TOTAL_CPU_MCPUS is set without a CPU limit")
	}
	readme, err := os.ReadFile(filepath.Join(Fn, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for where, text := range map[string]string{"NOTES.txt": out.Notes, "README.md": string(readme)} {
		if !strings.Contains(text, "cgroup v1") {
			t.Errorf("%s does not say that runners need cgroup v1", where)
		}
	}
	check := find[corev1.Pod](t, out, "Pod", "fn-test-runner-cgroup")
	if !strings.Contains(strings.Join(check.Spec.Containers[0].Args, " "), "/sys/fs/cgroup/cgroup.controllers") {
		t.Error("the helm test does not check the runners' nodes for cgroup v1")
	}
}

// 6. Flow's MySQL driver needs mysql_native_password, which MySQL 8.4 no longer loads.
func TestFnBundledMySQLSpeaksToFlow(t *testing.T) {
	out := renderFn(t, "datastore: {type: mysql, password: s3cret}\nmysql: {enabled: true}\nflow: {enabled: true}")
	args := find[appsv1.StatefulSet](t, out, "StatefulSet", "fn-mysql").Spec.Template.Spec.Containers[0].Args
	for _, want := range []string{"--mysql-native-password=ON", "--authentication-policy=mysql_native_password"} {
		if !slices.Contains(args, want) {
			t.Errorf("the bundled MySQL's args %v lack %s", args, want)
		}
	}
}

// 7. A password with characters that mean something in a URL reaches the database intact.
func TestFnDatastorePasswordIsEscapedInTheURL(t *testing.T) {
	const password = `p@ss/w?rd#%:x y+z`
	out := renderFn(t, "datastore: {type: postgres, host: pg.example, password: '"+password+"', params: sslmode=require}")
	secret := find[corev1.Secret](t, out, "Secret", "fn-db")
	u, err := url.Parse(string(secret.Data["url"]))
	if err != nil {
		t.Fatalf("the datastore URL does not parse: %v", err)
	}
	if got, _ := u.User.Password(); got != password || u.Host != "pg.example:5432" || u.Path != "/fn" || u.RawQuery != "sslmode=require" {
		t.Errorf("the URL gives password %q, host %q, path %q, query %q", got, u.Host, u.Path, u.RawQuery)
	}
	api := find[appsv1.Deployment](t, out, "Deployment", "fn-api")
	if ref := envOf(api.Spec.Template.Spec.Containers[0])["FN_DB_URL"].ValueFrom; ref == nil || ref.SecretKeyRef == nil || ref.SecretKeyRef.Key != "url" {
		t.Errorf("FN_DB_URL does not come from the Secret's url: %+v", ref)
	}
	// An existing Secret's password goes in as the kubelet expands it.
	api = find[appsv1.Deployment](t, renderFn(t, "datastore: {type: postgres, host: pg, existingSecret: db}"), "Deployment", "fn-api")
	if got := envOf(api.Spec.Template.Spec.Containers[0])["FN_DB_URL"].Value; got != "postgres://fn:$(FN_DB_PASSWORD)@pg:5432/fn" {
		t.Errorf("FN_DB_URL with an existing Secret's password: %q", got)
	}
	// An existing Secret may hold the whole URL.
	api = find[appsv1.Deployment](t, renderFn(t, "datastore: {type: postgres, host: pg, existingSecret: db, existingSecretUrlKey: dsn}"), "Deployment", "fn-api")
	if ref := envOf(api.Spec.Template.Spec.Containers[0])["FN_DB_URL"].ValueFrom; ref == nil || ref.SecretKeyRef == nil || ref.SecretKeyRef.Name != "db" || ref.SecretKeyRef.Key != "dsn" {
		t.Errorf("FN_DB_URL does not come from the existing Secret's URL key: %+v", ref)
	}
}

// 8. Only invocations are published by default; the runners' policy is on; every pod can pull
// from a private registry, and functions' images too.
func TestFnExposureDefaults(t *testing.T) {
	out := renderFn(t, "ingress: {enabled: true, hosts: [fn.example.com]}\nhttpRoute: {enabled: true, parentRefs: [{name: gw}]}\n"+
		"imagePullSecrets: [{name: regcred}]\nrunner: {registryAuth: {existingSecret: regcred}}\nflow: {enabled: true}\nflowUI: {enabled: true}\n"+
		"datastore: {type: mysql, password: s3cret}\nmysql: {enabled: true}")
	paths := func(out *Rendered) []string {
		var got []string
		for _, p := range find[networkingv1.Ingress](t, out, "Ingress", "fn").Spec.Rules[0].HTTP.Paths {
			got = append(got, p.Path)
		}
		return got
	}
	if got := paths(out); !slices.Equal(got, []string{"/invoke", "/t"}) {
		t.Errorf("the Ingress publishes %v, want only /invoke and /t", got)
	}
	if route := find[unstructured.Unstructured](t, out, "HTTPRoute", "fn"); strings.Contains(fmt.Sprint(route.Object), "/v2") {
		t.Error("the HTTPRoute publishes /v2 by default")
	}
	published := renderFn(t, "publishAPI: true\ningress: {enabled: true, hosts: [fn.example.com]}")
	if got := paths(published); !slices.Contains(got, "/v2") {
		t.Errorf("publishAPI: the Ingress publishes %v", got)
	}
	if !strings.Contains(published.Notes, "WARNING") || !strings.Contains(published.Notes, "no authentication") {
		t.Errorf("publishAPI: the notes give no warning:\n%s", published.Notes)
	}
	if !has(renderFn(t, "{}"), "NetworkPolicy", "fn-runner") {
		t.Error("the runners' NetworkPolicy is off by default")
	}
	pods := 0
	for _, obj := range append(slices.Clone(out.Objects), out.Hooks...) {
		var spec *corev1.PodSpec
		switch obj.GetKind() {
		case "Deployment":
			spec = &find[appsv1.Deployment](t, out, obj.GetKind(), obj.GetName()).Spec.Template.Spec
		case "StatefulSet":
			spec = &find[appsv1.StatefulSet](t, out, obj.GetKind(), obj.GetName()).Spec.Template.Spec
		case "Pod":
			spec = &find[corev1.Pod](t, out, obj.GetKind(), obj.GetName()).Spec
		default:
			continue
		}
		pods++
		if !slices.Contains(spec.ImagePullSecrets, corev1.LocalObjectReference{Name: "regcred"}) {
			t.Errorf("%s %s has no imagePullSecrets", obj.GetKind(), obj.GetName())
		}
	}
	if pods < 8 {
		t.Errorf("only %d pod templates checked", pods)
	}
	runner := find[appsv1.StatefulSet](t, out, "StatefulSet", "fn-runner").Spec.Template.Spec.Containers[0]
	if ref := envOf(runner)["FN_DOCKER_AUTH"].ValueFrom; ref == nil || ref.SecretKeyRef == nil || ref.SecretKeyRef.Name != "regcred" || ref.SecretKeyRef.Key != ".dockerconfigjson" {
		t.Errorf("FN_DOCKER_AUTH is %+v, want the registry Secret's .dockerconfigjson", ref)
	}
}

// 9. The api and lb are probed over HTTP where Fn serves it.
func TestFnProbesUseHTTP(t *testing.T) {
	out := renderFn(t, "{}")
	for _, name := range []string{"fn-api", "fn-lb"} {
		c := find[appsv1.Deployment](t, out, "Deployment", name).Spec.Template.Spec.Containers[0]
		for probe, p := range map[string]*corev1.Probe{"readiness": c.ReadinessProbe, "liveness": c.LivenessProbe} {
			if p == nil || p.HTTPGet == nil {
				t.Errorf("%s's %s probe is not an HTTP GET", name, probe)
			}
		}
	}
}
