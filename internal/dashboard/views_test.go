package dashboard

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/dns"
	"github.com/navarkos/navarkos/internal/setup"
)

// api reads one of the dashboard's JSON answers into out, and returns the status.
func api(t *testing.T, u *url.URL, path string, out any) int {
	t.Helper()
	resp, body := get(t, http.DefaultClient, u.Scheme+"://"+u.Host+path, http.Header{"Authorization": {"Bearer " + u.Query().Get("token")}})
	if resp.StatusCode == http.StatusOK && out != nil {
		if err := json.Unmarshal([]byte(body), out); err != nil {
			t.Fatalf("GET %s: %v in %s", path, err, body)
		}
	}
	return resp.StatusCode
}

// eventually polls check until it passes or the deadline, failing with what was awaited.
func eventually(t *testing.T, what string, check func() error) {
	t.Helper()
	err := wait.PollUntilContextTimeout(t.Context(), 50*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		return check() == nil, nil
	})
	if err != nil {
		t.Fatalf("waited 30s for %s: %v", what, check())
	}
}

func create(t *testing.T, objs ...client.Object) {
	t.Helper()
	for _, o := range objs {
		if err := k8s.Create(t.Context(), o); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = k8s.Delete(context.Background(), o) })
	}
}

func namespace(t *testing.T, name string) {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if err := k8s.Create(t.Context(), ns); err != nil && !strings.Contains(err.Error(), "already exists") {
		t.Fatal(err)
	}
}

// workload makes a Deployment, its Placement and the Binding the scheduler would have made,
// with placed replicas in each named cluster and the rest unplaced.
func workload(t *testing.T, ns, name string, replicas int32, placed map[string]int32) *n6sv1alpha1.ResourceBinding {
	t.Helper()
	namespace(t, ns)
	labels := map[string]string{"app": name}
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: appsv1.DeploymentSpec{Replicas: ptr.To(replicas),
		Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx", Resources: corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m"), corev1.ResourceMemory: resource.MustParse("256Mi")}}}}}}}}
	p := &n6sv1alpha1.Placement{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: n6sv1alpha1.PlacementSpec{
		ResourceSelectors: []n6sv1alpha1.ResourceSelector{{APIVersion: "apps/v1", Kind: "Deployment", Name: name}}}}
	b := &n6sv1alpha1.ResourceBinding{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "deployment-" + name}, Spec: n6sv1alpha1.ResourceBindingSpec{
		Resource:  n6sv1alpha1.ResourceReference{APIVersion: "apps/v1", Kind: "Deployment", Namespace: ns, Name: name},
		Placement: n6sv1alpha1.PlacementReference{Kind: "Placement", Namespace: ns, Name: name},
		Reason:    fmt.Sprintf("cheapest: %d clusters by cost", len(placed)), UnplacedReplicas: replicas}}
	for c, n := range placed {
		b.Spec.Clusters = append(b.Spec.Clusters, n6sv1alpha1.TargetCluster{Name: c, Replicas: ptr.To(n)})
		b.Spec.UnplacedReplicas -= n
	}
	slices.SortFunc(b.Spec.Clusters, func(a, b n6sv1alpha1.TargetCluster) int { return strings.Compare(a.Name, b.Name) })
	create(t, d, p, b)
	return b
}

// The cost and demand history is sampled from the fleet, adds up to a running cost, and is
// still there after the dashboard restarts.
func TestDashboardHistorySurvivesARestart(t *testing.T) {
	file := filepath.Join(t.TempDir(), "history.jsonl")
	makePool(t, "hist-us", "us-east", "0.2")
	c := &n6sv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "hist-1"}, Spec: n6sv1alpha1.ClusterSpec{Pool: "hist-us"}}
	create(t, c)
	c.Status.Phase, c.Status.CostPerHour = n6sv1alpha1.ClusterPhaseReady, ptrQ("1.5")
	if err := k8s.Status().Update(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	b := workload(t, "hist", "web", 5, map[string]int32{"hist-1": 3})
	b.Status.Clusters = []n6sv1alpha1.ClusterResourceStatus{{Name: "hist-1", State: n6sv1alpha1.ResourceApplied, ReadyReplicas: 2}}
	if err := k8s.Status().Update(t.Context(), b); err != nil {
		t.Fatal(err)
	}
	opts := Options{HistoryFile: file, SampleEvery: 100 * time.Millisecond}
	ctx, stop := context.WithCancel(t.Context())
	first, done, err := Listen(ctx, cfg, setup.Scheme(), "127.0.0.1:0", opts)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(first)
	var h History
	eventually(t, "samples with the cluster's cost and the workload's replicas", func() error {
		api(t, u, "/api/history", &h)
		if len(h.Samples) < 3 {
			return fmt.Errorf("%d samples", len(h.Samples))
		}
		last := h.Samples[len(h.Samples)-1]
		if last.CostPerHour < 1.5 || last.Requested < 5 || last.Placed < 3 || last.Ready < 2 {
			return fmt.Errorf("last sample %+v", last)
		}
		return nil
	})
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	before := h.Samples
	// Reopened, it has the samples of the first run, older than any of its own.
	u = listenWith(t, cfg, opts)
	api(t, u, "/api/history", &h)
	if len(h.Samples) < len(before) || h.Samples[0] != before[0] {
		t.Fatalf("after a restart: %d samples from %+v; before it %d from %+v", len(h.Samples), h.Samples[0], len(before), before[0])
	}
	if h.TotalCost <= 0 || h.Covered <= 0 {
		t.Errorf("running cost %v over %v h, want it counted", h.TotalCost, h.Covered)
	}
}

func TestRunningCostCountsEachSampleUntilTheNextButNotGaps(t *testing.T) {
	now := time.UnixMilli(10_000_000)
	samples := []Sample{{Time: 0, CostPerHour: 3.6}, {Time: 60_000, CostPerHour: 7.2}, {Time: 5_000_000, CostPerHour: 36}}
	cost, hours := runningCost(samples, time.Minute, now)
	// 3.6/h for 60 s, 7.2/h for at most 120 s (the gap to 5000 s is not watched), 36/h for 120 s.
	want := 3.6*60/3600 + 7.2*120/3600 + 36.0*120/3600
	if math.Abs(cost-want) > 1e-9 || math.Abs(hours-300.0/3600) > 1e-9 {
		t.Errorf("running cost %v over %v h, want %v over %v h", cost, hours, want, 300.0/3600)
	}
}

// The history file drops what is older than a day, and skips a line cut short.
func TestHistoryFileKeepsOneDay(t *testing.T) {
	file := filepath.Join(t.TempDir(), "h.jsonl")
	now := time.Unix(1_000_000, 0)
	old, recent := now.Add(-25*time.Hour).UnixMilli(), now.Add(-time.Hour).UnixMilli()
	data := fmt.Sprintf("{\"s\":{\"t\":%d,\"cost\":1}}\n{\"s\":{\"t\":%d,\"cost\":2}}\n{\"d\":{\"uid\":\"a\",\"t\":%d,\"action\":\"Create\"}}\n{\"s\":{\"t\":", old, recent, recent)
	if err := os.WriteFile(file, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	h, err := openHistory(file, now)
	if err != nil {
		t.Fatal(err)
	}
	h.addDecision(Decision{UID: "a", Time: recent, Action: "Create"}, now) // seen: kept once
	h.addSample(Sample{Time: now.UnixMilli(), CostPerHour: 3}, now)
	h.close()
	h, err = openHistory(file, now)
	if err != nil {
		t.Fatal(err)
	}
	defer h.close()
	samples, decisions := h.since(now.Add(-historyKept))
	if len(samples) != 2 || samples[0].CostPerHour != 2 || samples[1].CostPerHour != 3 || len(decisions) != 1 {
		t.Errorf("kept %+v and %+v, want the two recent samples and one decision", samples, decisions)
	}
}

// The planner page shows the planner's decisions from its Events, with their cost, kept
// after the Event is gone; and what the planner would do now, with the runner-up it beat.
func TestDashboardPlannerPageShowsDecisionsAndThePlanOfNow(t *testing.T) {
	makePool(t, "plan-us", "us-east", "0.2")
	makePool(t, "plan-eu", "eu-west", "0.3")
	c := &n6sv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "plan-1"}, Spec: n6sv1alpha1.ClusterSpec{Pool: "plan-us"}}
	create(t, c)
	e := &eventsv1.Event{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "plan-1.created"},
		EventTime: metav1.NewMicroTime(time.Now()), ReportingController: n6sv1alpha1.PlannerComponent, ReportingInstance: n6sv1alpha1.PlannerComponent + "-x",
		Action: "Create", Reason: n6sv1alpha1.PlannerCreatedReason, Type: corev1.EventTypeNormal,
		Regarding: corev1.ObjectReference{Kind: "Cluster", Name: "plan-1", APIVersion: n6sv1alpha1.GroupVersion.String()},
		Note:      "Created with 2 nodes (+0.500/h): shop/web needs 6 replicas"}
	other := e.DeepCopy()
	other.Name, other.ReportingController, other.ReportingInstance, other.Note = "plan-1.other", "someone-else", "x", "not the planner's (+9.000/h)"
	create(t, e, other)
	workload(t, "plan", "web", 6, nil)
	file := filepath.Join(t.TempDir(), "history.jsonl")
	u := listenWith(t, cfg, Options{HistoryFile: file})
	var page PlannerPage
	eventually(t, "the planner's decision and a plan", func() error {
		api(t, u, "/api/planner", &page)
		if len(page.Decisions) != 1 || page.Now == nil {
			return fmt.Errorf("%+v", page)
		}
		return nil
	})
	d := page.Decisions[0]
	if d.Action != "Create" || d.Object != "Cluster plan-1" || d.CostChange == nil || *d.CostChange != 0.5 || !strings.Contains(d.Note, "shop/web needs 6") {
		t.Errorf("decision %+v, want the planner's Create of plan-1 at +0.5/h", d)
	}
	i := slices.IndexFunc(page.Now.Actions, func(a PlannedAction) bool { return a.Demand == "plan/web" })
	if i < 0 {
		t.Fatalf("the plan of now %+v has no action for plan/web's 6 unplaced replicas", page.Now)
	}
	if a := page.Now.Actions[i]; a.Pool != "plan-us" || a.RunnerUp == "" || strings.Contains(a.Reason, "next best") {
		t.Errorf("action %+v: want the cheaper pool plan-us, with the runner-up apart from the reason", a)
	}
	// The Event expires; the decision stays, from the history file.
	if err := k8s.Delete(t.Context(), e); err != nil {
		t.Fatal(err)
	}
	u = listenWith(t, cfg, Options{HistoryFile: file})
	api(t, u, "/api/planner", &page)
	if len(page.Decisions) != 1 || page.Decisions[0].UID != d.UID {
		t.Errorf("after the Event went and the dashboard restarted: %+v", page.Decisions)
	}
}

// The workloads page shows each Binding's clusters, reason and state; a user whose RBAC
// allows one namespace sees that namespace's workloads only, and no member object of another.
func TestDashboardWorkloadsFollowTheCallersRBAC(t *testing.T) {
	a := workload(t, "team-a", "web", 4, map[string]int32{"wl-1": 3, "wl-2": 1})
	a.Status.Clusters = []n6sv1alpha1.ClusterResourceStatus{{Name: "wl-1", State: n6sv1alpha1.ResourceApplied, ReadyReplicas: 3},
		{Name: "wl-2", State: n6sv1alpha1.ResourceFailed, Message: "quota exceeded"}}
	if err := k8s.Status().Update(t.Context(), a); err != nil {
		t.Fatal(err)
	}
	workload(t, "team-b", "api", 2, map[string]int32{"wl-1": 2})
	// Member wl-1's kubeconfig Secret holds no usable kubeconfig: a link to it says so.
	makePool(t, "wl-pool", "us-east", "0.2")
	namespace(t, n6sv1alpha1.SystemNamespace)
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: n6sv1alpha1.SystemNamespace, Name: "wl-1-kubeconfig"},
		Data: map[string][]byte{"kubeconfig": []byte("users: [{name: x, user: {exec: {command: /bin/sh}}}]")}}
	member := &n6sv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "wl-1"}, Spec: n6sv1alpha1.ClusterSpec{Pool: "wl-pool"}}
	create(t, secret, member)
	member.Status.KubeconfigSecretRef = &n6sv1alpha1.SecretReference{Namespace: secret.Namespace, Name: secret.Name, Key: "kubeconfig"}
	if err := k8s.Status().Update(t.Context(), member); err != nil {
		t.Fatal(err)
	}

	admin := listen(t)
	resp, body := get(t, http.DefaultClient, admin.Scheme+"://"+admin.Host+"/api/member?binding=team-a/deployment-web&cluster=wl-1",
		http.Header{"Authorization": {"Bearer " + admin.Query().Get("token")}})
	if resp.StatusCode != http.StatusBadGateway || !strings.Contains(body, "cluster wl-1") || !strings.Contains(body, "exec") {
		t.Errorf("a member whose kubeconfig runs a command: %d %q, want 502 naming the cluster and the refused exec", resp.StatusCode, body)
	}
	var all Workloads
	api(t, admin, "/api/workloads", &all)
	var got *BindingView
	namespaces := map[string]bool{}
	for _, p := range all.Placements {
		namespaces[p.Namespace] = true
		for i := range p.Bindings {
			if p.Namespace == "team-a" && p.Bindings[i].Name == a.Name {
				got = &p.Bindings[i]
			}
		}
	}
	if got == nil || !namespaces["team-b"] {
		t.Fatalf("the admin's workloads %+v: want team-a's and team-b's", all)
	}
	if got.Resource != "Deployment team-a/web" || got.Replicas != 4 || got.Ready != 3 || got.Reason != "cheapest: 2 clusters by cost" || len(got.Clusters) != 2 ||
		got.Clusters[1].State != "Failed" || got.Clusters[1].Message != "quota exceeded" || !strings.HasPrefix(got.Clusters[0].Link, "api/member?") {
		t.Errorf("team-a/web as shown: %+v", got)
	}

	// A user who may read the fleet's clusters, and placements and bindings in team-a only.
	user, err := suite.Env.AddUser(envtest.User{Name: "alice"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	read := []string{"get", "list", "watch"}
	create(t,
		&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "fleet-viewer"}, Rules: []rbacv1.PolicyRule{{APIGroups: []string{"n6s.io"}, Resources: []string{"clusters", "clusterpools"}, Verbs: read}}},
		&rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "alice-fleet"}, RoleRef: rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "fleet-viewer"},
			Subjects: []rbacv1.Subject{{Kind: "User", Name: "alice"}}},
		&rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "workloads"}, Rules: []rbacv1.PolicyRule{{APIGroups: []string{"n6s.io"}, Resources: []string{"placements", "resourcebindings", "globalingresses"}, Verbs: read}}},
		&rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "alice"}, RoleRef: rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "workloads"},
			Subjects: []rbacv1.Subject{{Kind: "User", Name: "alice"}}})
	u := listenWith(t, user.Config(), Options{Namespaces: []string{"team-a", "team-b"}})
	var mine Workloads
	if status := api(t, u, "/api/workloads", &mine); status != http.StatusOK {
		t.Fatalf("alice's workloads: %d", status)
	}
	if len(mine.Placements) != 1 || mine.Placements[0].Namespace != "team-a" || mine.Scope != "team-a" {
		t.Errorf("alice sees %+v, want team-a's workloads only", mine)
	}
	var fleet Fleet
	if status := api(t, u, "/api/fleet", &fleet); status != http.StatusOK {
		t.Errorf("alice's fleet map: %d, want it shown", status)
	}
	if status := api(t, u, "/api/member?binding=team-b/deployment-api&cluster=wl-1", nil); status != http.StatusForbidden {
		t.Errorf("alice asking for team-b's member object: %d, want 403", status)
	}
	for path, want := range map[string]int{
		"/api/member?binding=team-a/deployment-web":                   http.StatusBadRequest,
		"/api/member?binding=nonsense&cluster=wl-1":                   http.StatusBadRequest,
		"/api/member?binding=team-a/deployment-web&cluster=elsewhere": http.StatusNotFound,
		// Alice may read the Binding, not the member's kubeconfig Secret: the API's 403.
		"/api/member?binding=team-a/deployment-web&cluster=wl-1": http.StatusForbidden,
	} {
		if status := api(t, u, path, nil); status != want {
			t.Errorf("alice: GET %s: %d, want %d", path, status, want)
		}
	}
	if status := api(t, u, "/api/names", nil); status != http.StatusOK {
		t.Errorf("alice's global names in team-a: %d", status)
	}
}

// The global names page shows each host's targets, and asks the real DNS server as a client
// of a region's subnet; it asks only for hosts of GlobalIngresses the caller may read.
func TestDashboardAsksTheDNSServerAsARegion(t *testing.T) {
	server := &dns.Server{Addr: "127.0.0.1:0"}
	geo := &dns.GeoTable{Prefixes: []dns.GeoPrefix{{Prefix: netip.MustParsePrefix("10.1.0.0/16"), Region: "us-east"}, {Prefix: netip.MustParsePrefix("10.2.0.0/16"), Region: "eu-west"}}}
	server.SetGeo(geo)
	server.SetZones(&dns.Zone{Origin: "navarkos.local.", Serial: 1, NS: []string{"ns1.navarkos.local."}, Admin: "hostmaster.navarkos.local.", TTL: 60, NegativeTTL: 5,
		Hosts: map[string]dns.Host{"shop.navarkos.local.": {TTL: 5, Policy: dns.Policy{Strategy: dns.Geo}, Targets: []dns.Target{
			{Cluster: "us-1", Region: "us-east", Addresses: []netip.Addr{netip.MustParseAddr("192.0.2.1")}, Healthy: true},
			{Cluster: "eu-1", Region: "eu-west", Addresses: []netip.Addr{netip.MustParseAddr("192.0.2.2")}, Healthy: true}}}}})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	if err := server.Start(ctx); err != nil {
		t.Fatal(err)
	}
	namespace(t, "names")
	gi := &n6sv1alpha1.GlobalIngress{ObjectMeta: metav1.ObjectMeta{Namespace: "names", Name: "shop"}, Spec: n6sv1alpha1.GlobalIngressSpec{
		Hosts: []string{"shop.navarkos.local"}, Backend: n6sv1alpha1.GlobalIngressBackend{ServiceName: "web"}, Strategy: n6sv1alpha1.DNSStrategy{Type: n6sv1alpha1.StrategyGeo}}}
	create(t, gi)
	gi.Status.Hosts = []n6sv1alpha1.HostStatus{{Host: "shop.navarkos.local", Targets: []n6sv1alpha1.TargetStatus{
		{Cluster: "us-1", Region: "us-east", Addresses: []string{"192.0.2.1"}, Healthy: true},
		{Cluster: "eu-1", Region: "eu-west", Addresses: []string{"192.0.2.2"}, Healthy: false, Reason: "probe: connection refused"}}}}
	if err := k8s.Status().Update(t.Context(), gi); err != nil {
		t.Fatal(err)
	}
	u := listenWith(t, cfg, Options{DNSServer: server.BoundAddr(), Geo: geo})
	var names Names
	eventually(t, "the host with its targets", func() error {
		api(t, u, "/api/names", &names)
		for _, n := range names.Names {
			if n.Name == "shop" && len(n.Hosts) == 1 && len(n.Hosts[0].Targets) == 2 {
				return nil
			}
		}
		return fmt.Errorf("%+v", names)
	})
	if len(names.Regions) != 2 || names.Regions[0] != (RegionSubnet{Region: "eu-west", Subnet: "10.2.0.0/16"}) {
		t.Errorf("regions %+v", names.Regions)
	}
	for region, want := range map[string]string{"us-east": "192.0.2.1", "eu-west": "192.0.2.2"} {
		var a Answer
		if status := api(t, u, "/api/dns?host=shop.navarkos.local&region="+region, &a); status != http.StatusOK {
			t.Fatalf("asking as %s: %d", region, status)
		}
		if a.Rcode != "NOERROR" || len(a.Records) != 1 || !strings.HasSuffix(a.Records[0], want) || a.Scope == 0 {
			t.Errorf("as %s: %+v, want the server's answer %s with a scope", region, a, want)
		}
	}
	for path, want := range map[string]int{
		"/api/dns?host=other.navarkos.local":                     http.StatusNotFound,
		"/api/dns?host=shop.navarkos.local&region=mars":          http.StatusBadRequest,
		"/api/dns?host=shop.navarkos.local&subnet=not-a-network": http.StatusBadRequest,
	} {
		if status := api(t, u, path, nil); status != want {
			t.Errorf("GET %s: %d, want %d", path, status, want)
		}
	}
}

// The simulator runs a shipped trace through every policy, as `navarkos simulate` does, with
// a series for the plots; bad uploads are refused with the parser's words.
func TestDashboardSimulatesAShippedTrace(t *testing.T) {
	u := listen(t)
	post := func(body string, header http.Header) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, u.Scheme+"://"+u.Host+"/api/simulate", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+u.Query().Get("token"))
		req.Header.Set("Content-Type", "application/json")
		for k, v := range header {
			req.Header[k] = v
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(out)
	}
	status, body := post(`{"trace":"bursty"}`, nil)
	if status != http.StatusOK {
		t.Fatalf("simulating bursty: %d %s", status, body)
	}
	var sim Simulation
	if err := json.Unmarshal([]byte(body), &sim); err != nil {
		t.Fatal(err)
	}
	if sim.Hours != 6 || len(sim.Reports) != 6 {
		t.Fatalf("%v hours, %d reports", sim.Hours, len(sim.Reports))
	}
	for _, r := range sim.Reports {
		if local := r.Policy == "localitybound"; local != (len(r.Frontier) > 0) || local && r.Frontier.Floor() < r.UnplacedFloorReplicaSeconds {
			t.Errorf("policy %s: a frontier of %d oracles, the last at %v replica-s (the floor %v); want one for the locality bound alone, above the floor", r.Policy, len(r.Frontier), r.Frontier.Floor(), r.UnplacedFloorReplicaSeconds)
		}
		bound := r.Policy == "lowerbound" || r.Policy == "localitybound"
		if bound != (len(r.Series) == 0) {
			t.Errorf("policy %s has %d points", r.Policy, len(r.Series))
			continue
		}
		var peak float64
		for _, p := range r.Series {
			peak = max(peak, p.DemandCPU)
		}
		if !bound && (len(r.Series) < 300 || peak == 0 || r.Cost <= 0) {
			t.Errorf("policy %s: %d points, peak demand %v CPU, cost %v", r.Policy, len(r.Series), peak, r.Cost)
		}
	}
	for _, tc := range []struct {
		body   string
		header http.Header
		want   int
		says   string
	}{
		{`{"trace":"../../etc/passwd"}`, nil, http.StatusBadRequest, "no shipped trace"},
		{`{"traceCSV":"time,workload\nsoon,x\n","pools":"pools.yaml"}`, nil, http.StatusBadRequest, "the uploaded trace"},
		{`{"trace":"bursty","poolsYAML":"kind: ClusterPool\nspec: {price: 3}\n"}`, nil, http.StatusBadRequest, "the uploaded pools"},
		{`{"trace":"bursty","extra":1}`, nil, http.StatusBadRequest, "unknown field"},
		{`{"traceCSV":"` + longTrace + `","pools":"pools.yaml"}`, nil, http.StatusBadRequest, "at most 168h0m0s"},
		{`{"trace":"bursty"}`, http.Header{"Origin": {"http://evil.example"}}, http.StatusForbidden, "its own pages"},
		{`{"trace":"bursty"}`, http.Header{"Content-Type": {"text/plain"}}, http.StatusUnsupportedMediaType, "application/json"},
	} {
		if status, body := post(tc.body, tc.header); status != tc.want || !strings.Contains(body, tc.says) {
			t.Errorf("POST %s: %d %q, want %d saying %q", tc.body, status, body, tc.want, tc.says)
		}
	}
	var choices SimulatorChoices
	api(t, u, "/api/simulator", &choices)
	if !slices.Contains(choices.Traces, "onprem-teams") || choices.PoolsFor["onprem-teams"] != "pools-onprem.yaml" || !slices.Contains(choices.Pools, "pools.yaml") {
		t.Errorf("choices %+v", choices)
	}
}

// longTrace is a trace 100 days long, as JSON string content.
const longTrace = `t_seconds,workload,replicas,cpu_millis,memory_mib,regions,constraints\n0,shop/web,3,500,1024,,\n8640000,shop/web,3,500,1024,,\n`

// TestBindingDemandCountsAMoveOnce: a ResourceBinding in the middle of a move runs its
// surge on top of the replicas it moves, but asks for and places only its replicas.
func TestBindingDemandCountsAMoveOnce(t *testing.T) {
	b := &n6sv1alpha1.ResourceBinding{Spec: n6sv1alpha1.ResourceBindingSpec{
		Clusters:         []n6sv1alpha1.TargetCluster{{Name: "eu", Replicas: ptr.To[int32](6)}, {Name: "us", Replicas: ptr.To[int32](2)}},
		UnplacedReplicas: 1,
		Rollout:          &n6sv1alpha1.BindingRollout{Target: []n6sv1alpha1.TargetCluster{{Name: "us", Replicas: ptr.To[int32](6)}}},
	}}
	if requested, placed := bindingDemand(b); requested != 7 || placed != 6 {
		t.Errorf("a move of 6 with 1 unplaced asks %d and places %d; want 7 and 6", requested, placed)
	}
	b.Spec.Rollout = nil
	if requested, placed := bindingDemand(b); requested != 9 || placed != 8 {
		t.Errorf("8 bound with 1 unplaced asks %d and places %d; want 9 and 8", requested, placed)
	}
}
