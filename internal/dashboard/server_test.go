package dashboard

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/setup"
	"github.com/navarkos/navarkos/internal/testenv"
)

// The dashboard against a real kube-apiserver with the fleet CRDs.
var (
	k8s   client.Client
	cfg   *rest.Config
	suite *testenv.Suite
)

func TestMain(m *testing.M) {
	suite = &testenv.Suite{Scheme: setup.Scheme()}
	suite.Install = func(ctx context.Context, c client.Client) error {
		k8s, cfg = c, suite.Config
		return setup.InstallCRDs(ctx, c)
	}
	os.Exit(suite.Run(m))
}

// listen starts a dashboard for the test and returns its URL with the token.
func listen(t *testing.T) *url.URL {
	t.Helper()
	return listenWith(t, cfg, Options{})
}

// listenWith starts a dashboard reading the fleet API as restCfg, with opts, until the test ends.
func listenWith(t *testing.T, restCfg *rest.Config, opts Options) *url.URL {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	raw, done, err := Listen(ctx, restCfg, setup.Scheme(), "127.0.0.1:0", opts)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("the dashboard stopped with %v", err)
		}
	})
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func get(t *testing.T, c *http.Client, u string, header http.Header) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// Only a request with the token, to a loopback host name, gets anything; the tokenised URL
// sets a cookie and drops the token from the address bar.
func TestDashboardRefusesRequestsWithoutTheToken(t *testing.T) {
	u := listen(t)
	base := u.Scheme + "://" + u.Host
	plain := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tc := range []struct {
		name, path string
		header     http.Header
		want       int
	}{
		{"no token", "/", nil, http.StatusUnauthorized},
		{"no token, the API", "/api/fleet", nil, http.StatusUnauthorized},
		{"a wrong token", "/?token=0123456789abcdef0123456789abcdef", nil, http.StatusForbidden},
		{"a wrong cookie", "/api/fleet", http.Header{"Cookie": {cookieName + "=nope"}}, http.StatusUnauthorized},
		{"another host name", "/api/fleet", http.Header{"Authorization": {"Bearer " + u.Query().Get("token")}, "Host": {"evil.example"}}, http.StatusForbidden},
		{"the bearer token", "/api/fleet", http.Header{"Authorization": {"Bearer " + u.Query().Get("token")}}, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, base+tc.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.header {
				if k == "Host" {
					req.Host = v[0]
					continue
				}
				req.Header[k] = v
			}
			resp, err := plain.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Errorf("GET %s: %d, want %d", tc.path, resp.StatusCode, tc.want)
			}
		})
	}
	resp, _ := get(t, plain, u.String(), nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" || len(resp.Cookies()) != 1 || !resp.Cookies()[0].HttpOnly {
		t.Fatalf("the tokenised URL: %d to %q, cookies %v; want a redirect to / setting an HttpOnly cookie", resp.StatusCode, resp.Header.Get("Location"), resp.Cookies())
	}
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	resp, page := get(t, browser, u.String(), nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, `<script src="app.js"`) || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'self'") {
		t.Fatalf("the page after the token: %d, CSP %q:\n%s", resp.StatusCode, resp.Header.Get("Content-Security-Policy"), page)
	}
}

// The event stream sends the fleet at once and again when a cluster appears or changes, with
// no request from the page.
func TestDashboardStreamsTheFleetAsItChanges(t *testing.T) {
	ctx := t.Context()
	u := listen(t)
	makePool(t, "dash-eu", "eu-west", "0.2")
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.Scheme+"://"+u.Host+"/api/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+u.Query().Get("token"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	fleets := make(chan Fleet)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<22)
		event := ""
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: ") && event == "fleet":
				var f Fleet
				if json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &f) == nil {
					select {
					case fleets <- f:
					case <-ctx.Done():
						return
					}
				}
			}
		}
	}()
	await := func(what string, ok func(Fleet) bool) Fleet {
		t.Helper()
		deadline := time.After(30 * time.Second)
		var last Fleet
		for {
			select {
			case f := <-fleets:
				if ok(f) {
					return f
				}
				last = f
			case <-deadline:
				t.Fatalf("waited 30s for the stream to show %s; last: %+v", what, last)
			}
		}
	}
	find := func(f Fleet, name string) *Cluster {
		for _, r := range f.Regions {
			for _, p := range r.Pools {
				for i := range p.Clusters {
					if p.Clusters[i].Name == name {
						return &p.Clusters[i]
					}
				}
			}
		}
		return nil
	}
	await("the pool in eu-west", func(f Fleet) bool {
		return len(f.Regions) > 0 && slicesHasPool(f, "eu-west", "dash-eu")
	})
	c := &n6sv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "dash-1"}, Spec: n6sv1alpha1.ClusterSpec{Pool: "dash-eu"}}
	if err := k8s.Create(ctx, c); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = k8s.Delete(context.Background(), c) })
	await("the new cluster, pending", func(f Fleet) bool { x := find(f, "dash-1"); return x != nil && x.Phase == "Pending" })
	c.Status.Phase, c.Status.Nodes = n6sv1alpha1.ClusterPhaseReady, 3
	c.Status.CostPerHour = ptrQ("0.7")
	c.Status.Capacity.Allocatable.CPU, c.Status.Capacity.Used.CPU = resource.MustParse("12"), resource.MustParse("3")
	meta.SetStatusCondition(&c.Status.Conditions, metav1.Condition{Type: n6sv1alpha1.ClusterReadyCondition, Status: metav1.ConditionTrue, Reason: "Ready", Message: "the API answered; 3 nodes Ready"})
	if err := k8s.Status().Update(ctx, c); err != nil {
		t.Fatal(err)
	}
	f := await("the cluster Ready with 3 nodes", func(f Fleet) bool { x := find(f, "dash-1"); return x != nil && x.Phase == "Ready" && x.Nodes == 3 })
	got := find(f, "dash-1")
	var sum float64
	for _, r := range f.Regions {
		for _, p := range r.Pools {
			for _, x := range p.Clusters {
				sum += x.CostPerHour
			}
		}
	}
	if got.CPU.Used != 3 || got.CPU.Allocatable != 12 || got.CostPerHour != 0.7 || len(got.Conditions) != 1 || got.Conditions[0].Message != "the API answered; 3 nodes Ready" ||
		f.CostPerHour != sum || sum < 0.7 {
		t.Errorf("the cluster as streamed: %+v, fleet cost %v (the clusters' sum %v)", got, f.CostPerHour, sum)
	}
}

func slicesHasPool(f Fleet, region, pool string) bool {
	for _, r := range f.Regions {
		for _, p := range r.Pools {
			if r.Name == region && p.Name == pool {
				return true
			}
		}
	}
	return false
}

// makePool creates a ClusterPool of 4-CPU nodes for the test, deleted when it ends.
func makePool(t *testing.T, name, region, perNodeHour string) {
	t.Helper()
	pool := &n6sv1alpha1.ClusterPool{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: n6sv1alpha1.ClusterPoolSpec{
		Provider: "local", Region: region, NodeShape: n6sv1alpha1.NodeShape{CPU: resource.MustParse("4"), Memory: resource.MustParse("16Gi"), Pods: 110},
		Price:    n6sv1alpha1.Price{PerNodeHour: resource.MustParse(perNodeHour), PerClusterHour: ptrQ("0.1")},
		Clusters: n6sv1alpha1.CountRange{Max: 3}, NodesPerCluster: n6sv1alpha1.CountRange{Min: 1, Max: 10}}}
	if err := k8s.Create(t.Context(), pool); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = k8s.Delete(context.Background(), pool) })
}

func ptrQ(s string) *resource.Quantity {
	q := resource.MustParse(s)
	return &q
}

// A kubeconfig whose user may not read the fleet gets a clear refusal at once, not a
// dashboard that waits for ever.
func TestDashboardSaysWhenTheKubeconfigMayNotReadTheFleet(t *testing.T) {
	user, err := suite.Env.AddUser(envtest.User{Name: "nobody"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	_, _, err = Listen(ctx, user.Config(), setup.Scheme(), "127.0.0.1:0", Options{})
	if err == nil || !strings.Contains(err.Error(), "cannot read the fleet with this kubeconfig") || !strings.Contains(err.Error(), "forbidden") {
		t.Fatalf("a user without RBAC: %v, want a refusal saying the fleet cannot be read", err)
	}
	if _, _, err := Listen(t.Context(), cfg, setup.Scheme(), "0.0.0.0:0", Options{}); err == nil || !strings.Contains(err.Error(), "only on a loopback address") {
		t.Errorf("a non-loopback address: %v, want it refused", err)
	}
}
