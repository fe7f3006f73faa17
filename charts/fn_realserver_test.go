package charts

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/navarkos/navarkos/internal/testenv"
)

// TestFnRealServerRunsWhatTheChartDeploys renders the chart and runs its api and lb roles as
// real Fn servers (bin/fnserver, built from github.com/fnproject/fn v0.3.749), each with the
// exact environment its Deployment sets, against a real PostgreSQL whose password needs
// escaping in a URL. What a pod has and a process here has not is mapped, and nothing else:
//   - each Service name and port (fn-api:80, fn-lb:90) becomes 127.0.0.1 and the port the
//     process listens on, as the Service would forward it; the containers' ports are values
//     (api.containerPort, lb.containerPort) set to free ports;
//   - the datastore host pg.test and each runner's pod name become loopback addresses
//     (127.0.0.1, 127.0.0.2 and 127.0.0.3), as cluster DNS would resolve them;
//   - Secret references are read from the Secret the chart renders.
//
// No container runtime exists here, so no pure runner runs and no function executes: the test
// goes up to the runner call, which the lb reports with the runner addresses it tried.
func TestFnRealServerRunsWhatTheChartDeploys(t *testing.T) {
	if err := testenv.RequireBinaries("fnserver"); err != nil {
		t.Fatal(err)
	}
	// Every character a URL gives a meaning to.
	const password = `p@ss/w?rd#%:x y`
	pg := testenv.StartPostgres(t, "fn", password, "fn")
	apiPort, lbPort := testenv.FreePort(t), testenv.FreePort(t)
	values := map[string]any{
		"datastore": map[string]any{"type": "postgres", "host": "pg.test", "port": pg.Port, "password": password, "params": "sslmode=disable"},
		"api":       map[string]any{"containerPort": apiPort},
		"lb":        map[string]any{"containerPort": lbPort},
		"ingress":   map[string]any{"enabled": true, "hosts": []any{"fn.example.test"}, "tls": []any{map[string]any{"secretName": "fn-tls"}}},
		"flow":      map[string]any{"enabled": true},
	}
	ch, err := Load(Fn)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Render(t.Context(), ch, "fn", "fn", values)
	if err != nil {
		t.Fatal(err)
	}
	loopback := strings.NewReplacer(
		fmt.Sprintf("fn-api:%d", 80), fmt.Sprintf("127.0.0.1:%d", apiPort),
		fmt.Sprintf("fn-lb:%d", 90), fmt.Sprintf("127.0.0.1:%d", lbPort),
		fmt.Sprintf("pg.test:%d", pg.Port), fmt.Sprintf("127.0.0.1:%d", pg.Port),
		"fn-runner-0.fn-runner:9191", "127.0.0.2:9191",
		"fn-runner-1.fn-runner:9191", "127.0.0.3:9191",
	)
	api := deploymentEnv(t, out, "fn-api", loopback)
	lb := deploymentEnv(t, out, "fn-lb", loopback)
	flow := deploymentEnv(t, out, "fn-flow", loopback)
	if got := lb["FN_RUNNER_ADDRESSES"]; got != "127.0.0.2:9191,127.0.0.3:9191" {
		t.Fatalf("the lb's runners are %q: want each runner pod by its own name", got)
	}

	apiURL := fmt.Sprintf("http://127.0.0.1:%d", apiPort)
	lbURL := fmt.Sprintf("http://127.0.0.1:%d", lbPort)
	apiLogs := startFnServer(t, api)
	awaitHTTP(t, apiURL+"/v2/apps", apiLogs, "the api to reach PostgreSQL and list apps")
	lbLogs := startFnServer(t, lb)
	awaitHTTP(t, lbURL+"/", lbLogs, "the lb to answer its ping")

	// The app and function API: the api stores them in PostgreSQL, through the URL with the
	// escaped password.
	var app struct{ ID string }
	call(t, http.MethodPost, apiURL+"/v2/apps", `{"name":"hello"}`, http.StatusOK, &app)
	var fn struct {
		ID          string
		Annotations map[string]string
	}
	call(t, http.MethodPost, apiURL+"/v2/fns", fmt.Sprintf(`{"app_id":%q,"name":"echo","image":"fnproject/hello:0.0.1","memory":128}`, app.ID), http.StatusOK, &fn)
	rows, err := pg.Query("fn", "SELECT name FROM apps")
	if err != nil || strings.TrimSpace(rows) != "hello" {
		t.Fatalf("apps in PostgreSQL: %q, %v; want the app the api made", rows, err)
	}

	// The invoke endpoint the API reports is the public URL's, which `fn invoke` calls.
	call(t, http.MethodGet, apiURL+"/v2/fns/"+fn.ID, "", http.StatusOK, &fn)
	if got, want := fn.Annotations["fnproject.io/fn/invokeEndpoint"], "https://fn.example.test/invoke/"+fn.ID; got != want {
		t.Errorf("invokeEndpoint %q, want %q", got, want)
	}

	// Through the lb: it finds the function through the api, then tries every runner, and keeps
	// trying (for up to its placer timeout, 6 min) since none runs here. The call is given up
	// after a moment; the lb's log says which runners it tried for it.
	invoke(t, lbURL+"/invoke/"+fn.ID)
	for _, runner := range []string{"127.0.0.2:9191", "127.0.0.3:9191"} {
		awaitLog(t, lbLogs, runnerTried(fn.ID, runner), "the lb to try runner "+runner)
	}

	// Flow calls API_URL/FUNCTION_ID: that address must route invocations, as the lb does.
	flowCall := strings.TrimSuffix(flow["API_URL"], "/") + "/" + fn.ID
	if !strings.HasPrefix(flowCall, lbURL+"/invoke/") {
		t.Fatalf("Flow's API_URL is %q: want the lb's /invoke", flow["API_URL"])
	}
	before := len(runnerTried(fn.ID, "").FindAllString(lbLogs(), -1))
	invoke(t, flowCall)
	pollUntil(t, 30*time.Second, func() bool { return len(runnerTried(fn.ID, "").FindAllString(lbLogs(), -1)) > before },
		func() string { return "the lb to try a runner for Flow's call\n" + lbLogs() })
	// The api itself serves no invocations: Flow pointed at it, as before, got this.
	if status, body := invoke(t, apiURL+"/invoke/"+fn.ID); status != http.StatusNotFound {
		t.Errorf("the api answered an invocation with %d %s, want 404", status, body)
	}
}

// runnerTried matches the lb's log line for a runner it tried for a call of function fn; an
// empty runner matches any.
func runnerTried(fn, runner string) *regexp.Regexp {
	addr := `[0-9.:]+`
	if runner != "" {
		addr = regexp.QuoteMeta(runner)
	}
	return regexp.MustCompile(`msg="Unable to create client to runner node".* call_id=(\S+) .*fn_id=` + fn + ` runner_addr="` + addr + `"`)
}

// deploymentEnv is the environment of a rendered Deployment's first container, with Secret
// references read from the rendered Secrets, $(VAR) references expanded as the kubelet does,
// and each value mapped to loopback.
func deploymentEnv(t *testing.T, out *Rendered, name string, loopback *strings.Replacer) map[string]string {
	t.Helper()
	secrets := map[string]map[string]string{}
	var d *appsv1.Deployment
	for _, obj := range out.Objects {
		switch obj.GetKind() {
		case "Secret":
			s := &corev1.Secret{}
			fromUnstructured(t, obj, s)
			secrets[s.Name] = map[string]string{}
			for k, v := range s.Data {
				secrets[s.Name][k] = string(v)
			}
			for k, v := range s.StringData {
				secrets[s.Name][k] = v
			}
		case "Deployment":
			if obj.GetName() == name {
				d = &appsv1.Deployment{}
				fromUnstructured(t, obj, d)
			}
		}
	}
	if d == nil {
		t.Fatalf("the chart renders no Deployment %s", name)
	}
	env := map[string]string{}
	for _, e := range d.Spec.Template.Spec.Containers[0].Env {
		value := e.Value
		switch {
		case e.ValueFrom == nil:
			value = expandEnv(value, env)
		case e.ValueFrom.SecretKeyRef != nil:
			ref := e.ValueFrom.SecretKeyRef
			v, ok := secrets[ref.Name][ref.Key]
			if !ok {
				t.Fatalf("%s: env %s refers to Secret %s key %s, which the chart does not render", name, e.Name, ref.Name, ref.Key)
			}
			value = v
		default:
			t.Fatalf("%s: env %s comes from a source the test does not map", name, e.Name)
		}
		env[e.Name] = loopback.Replace(value)
	}
	return env
}

// expandEnv expands $(NAME) with the variables defined before, as the kubelet does: $$ is a
// literal $, and a reference to an undefined variable stays as it is.
func expandEnv(value string, env map[string]string) string {
	return envReference.ReplaceAllStringFunc(value, func(ref string) string {
		if ref == "$$" {
			return "$"
		}
		if v, ok := env[ref[2:len(ref)-1]]; ok {
			return v
		}
		return ref
	})
}

var envReference = regexp.MustCompile(`\$\$|\$\([A-Za-z_][A-Za-z0-9_]*\)`)

func fromUnstructured(t *testing.T, obj *unstructured.Unstructured, into any) {
	t.Helper()
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, into); err != nil {
		t.Fatalf("%s %s: %v", obj.GetKind(), obj.GetName(), err)
	}
}

// startFnServer runs bin/fnserver with exactly env (and PATH) until the test ends.
func startFnServer(t *testing.T, env map[string]string) func() string {
	t.Helper()
	cmd := exec.Command(filepath.Join(testenv.BinDir(), "fnserver"))
	cmd.Dir = t.TempDir()
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	return testenv.StartCommand(t, cmd)
}

// awaitHTTP polls a URL until it answers 200.
func awaitHTTP(t *testing.T, url string, logs func() string, what string) {
	t.Helper()
	var last string
	pollUntil(t, time.Minute, func() bool {
		resp, err := http.Get(url)
		if err != nil {
			last = err.Error()
			return false
		}
		_ = resp.Body.Close()
		last = resp.Status
		return resp.StatusCode == http.StatusOK
	}, func() string { return fmt.Sprintf("%s (GET %s, last %s)\n%s", what, url, last, logs()) })
}

// awaitLog polls a process's output until it matches.
func awaitLog(t *testing.T, logs func() string, re *regexp.Regexp, what string) {
	t.Helper()
	pollUntil(t, 30*time.Second, func() bool { return re.MatchString(logs()) },
		func() string { return fmt.Sprintf("%s (%s in its log)\n%s", what, re, logs()) })
}

// pollUntil checks done every 100 ms until it holds, and fails with what was awaited once
// within has passed.
func pollUntil(t *testing.T, within time.Duration, done func() bool, awaited func() string) {
	t.Helper()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(within)
	for !done() {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("waited %s for %s", within, awaited())
		}
	}
}

func call(t *testing.T, method, url, body string, want int, into any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %d %s, want %d", method, url, resp.StatusCode, raw, want)
	}
	if err := json.Unmarshal(raw, into); err != nil {
		t.Fatalf("%s %s: %v in %s", method, url, err, raw)
	}
}

// invoke posts an empty body and returns the status and body, or 0 if no answer came within
// 3 s: an invocation that waits for a runner. Any 4xx but 404 fails the test.
func invoke(t *testing.T, url string) (int, string) {
	t.Helper()
	client := &http.Client{Timeout: 3 * time.Second}
	resp, err := client.Post(url, "application/json", bytes.NewReader(nil))
	if err != nil {
		var timeout interface{ Timeout() bool }
		if errors.As(err, &timeout) && timeout.Timeout() {
			return 0, ""
		}
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != http.StatusNotFound {
		t.Fatalf("POST %s: %d %s", url, resp.StatusCode, raw)
	}
	return resp.StatusCode, string(raw)
}
