package e2e

import (
	"context"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/dashboard"
	"github.com/navarkos/navarkos/internal/dns"
	"github.com/navarkos/navarkos/internal/planner"
	"github.com/navarkos/navarkos/internal/setup"
	"github.com/navarkos/navarkos/internal/testenv"
)

// TestDashboardOnALocalFleet drives the dashboard in a real headless Chromium against a real
// local fleet, with its planner and DNS server: the map shows clusters made while the page
// is open, without a reload; the cost and demand plots fill; the planner's decision is on its
// timeline; a workload shows its clusters and reason, and links to a member's object; a
// global name shows its targets and the DNS server's answer for a region, and a frozen member
// turns unhealthy on the page; the simulator draws its plots for a shipped trace; the page
// logs no error; a request without the token is refused. With NAVARKOS_SCREENSHOTS set to a
// directory, it saves a screenshot of each page there (the README's).
func TestDashboardOnALocalFleet(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	server := &dns.Server{Addr: "127.0.0.1:0"}
	geo := &dns.GeoTable{Prefixes: []dns.GeoPrefix{
		{Prefix: netip.MustParsePrefix("10.1.0.0/16"), Region: "us-east"},
		{Prefix: netip.MustParsePrefix("10.2.0.0/16"), Region: "eu-west"},
	}}
	cfg := planner.DefaultConfig()
	cfg.StabilizationWindow = 10 * time.Second
	f := startFleetWith(t, setup.Options{HealthInterval: healthInterval, Planner: setup.PlannerOptions{Interval: 2 * time.Second, Config: cfg},
		DNS: setup.DNSOptions{Server: server, Geo: geo}})
	// The server runs with the manager, so its port is known only once it listens.
	g.Eventually(server.BoundAddr, 30*time.Second, poll).ShouldNot(BeEmpty(), "waiting for the fleet's DNS server to listen")
	dashCtx, stop := context.WithCancel(ctx)
	raw, done, err := dashboard.Listen(dashCtx, f.cfg, setup.Scheme(), "127.0.0.1:0", dashboard.Options{DNSServer: server.BoundAddr(), Geo: geo,
		SampleEvery: time.Second, HistoryFile: filepath.Join(t.TempDir(), "history.jsonl")})
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("the dashboard stopped with %v", err)
		}
	})
	u, err := url.Parse(raw)
	g.Expect(err).NotTo(HaveOccurred())
	base := u.Scheme + "://" + u.Host + "/"

	// Without the token, nothing.
	resp, err := http.Get(base + "api/fleet")
	g.Expect(err).NotTo(HaveOccurred())
	resp.Body.Close()
	g.Expect(resp.StatusCode).To(Equal(http.StatusUnauthorized), "a request without the token")

	page, problems := testenv.Browser(t)
	shots := os.Getenv("NAVARKOS_SCREENSHOTS")
	screenshot := func(name string) {
		if shots == "" {
			return
		}
		png := testenv.Within(t, page, 30*time.Second, "a screenshot of "+name, chromedp.FullScreenshot(100))
		g.Expect(os.WriteFile(filepath.Join(shots, name+".png"), png, 0o644)).To(Succeed())
	}
	wait := func(what, css string) {
		t.Helper()
		testenv.Within(t, page, clusterTimeout, what, chromedp.WaitVisible(chromedp.CSS(css)))
	}
	testenv.Within(t, page, 30*time.Second, "the map with the local pools", chromedp.Steps(
		chromedp.Navigate(raw),
		chromedp.WaitVisible(chromedp.CSS(`[data-pool="local-us-east"]`)),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := chromedp.Evaluate[bool](`window.loadedOnce = true`)(ctx, t)
			return err
		})))

	// Two clusters by hand, a web app duplicated in both behind a global name, and a batch
	// job the planner makes a cluster for.
	for name, pool := range map[string]string{"us": "local-us-east", "eu": "local-eu-west"} {
		g.Expect(f.client.Create(ctx, &n6sv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: n6sv1alpha1.ClusterSpec{Pool: pool, Nodes: ptr.To[int32](1)}})).To(Succeed())
	}
	g.Expect(f.client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}})).To(Succeed())
	g.Expect(f.client.Create(ctx, fleetDeployment("web", 2))).To(Succeed())
	g.Expect(f.client.Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web"},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, Selector: map[string]string{"app": "web"},
			Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(8080)}}}})).To(Succeed())
	g.Expect(f.client.Create(ctx, &n6sv1alpha1.Placement{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web"},
		Spec: n6sv1alpha1.PlacementSpec{
			ResourceSelectors: []n6sv1alpha1.ResourceSelector{{APIVersion: "apps/v1", Kind: "Deployment", Name: "web"}, {APIVersion: "v1", Kind: "Service", Name: "web"}},
			ClusterAffinity:   &n6sv1alpha1.ClusterAffinity{ClusterNames: []string{"us", "eu"}},
			Replicas:          &n6sv1alpha1.ReplicaScheduling{Mode: n6sv1alpha1.ReplicaModeDuplicated},
			Provisioning:      &n6sv1alpha1.Provisioning{Policy: n6sv1alpha1.ProvisioningNever},
		}})).To(Succeed())
	g.Expect(f.client.Create(ctx, &n6sv1alpha1.GlobalIngress{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web"},
		Spec: n6sv1alpha1.GlobalIngressSpec{Hosts: []string{"shop.navarkos.local"}, Backend: n6sv1alpha1.GlobalIngressBackend{ServiceName: "web"}, TTL: 5,
			Strategy: n6sv1alpha1.DNSStrategy{Type: n6sv1alpha1.StrategyGeo}, HealthCheck: n6sv1alpha1.HealthCheck{Interval: n6sv1alpha1.DurationOf(time.Second)}}})).To(Succeed())
	batch := fleetDeployment("batch", 2)
	batch.Spec.Template.Spec.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")}
	g.Expect(f.client.Create(ctx, batch)).To(Succeed())
	g.Expect(f.client.Create(ctx, &n6sv1alpha1.Placement{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "batch"},
		Spec: n6sv1alpha1.PlacementSpec{
			ResourceSelectors: []n6sv1alpha1.ResourceSelector{{APIVersion: "apps/v1", Kind: "Deployment", Name: "batch"}},
			ClusterAffinity:   &n6sv1alpha1.ClusterAffinity{Regions: []string{"ap-south"}},
			Provisioning:      &n6sv1alpha1.Provisioning{Pools: []string{"local-ap-south"}},
		}})).To(Succeed())

	// The map: both clusters and the planner's appear and turn Ready, with no reload.
	wait("cluster us Ready on the map", `[data-pool="local-us-east"] [data-cluster="us"][data-phase="Ready"]`)
	wait("cluster eu Ready on the map", `[data-pool="local-eu-west"] [data-cluster="eu"][data-phase="Ready"]`)
	wait("the planner's cluster Ready on the map", `[data-pool="local-ap-south"] [data-phase="Ready"]`)
	g.Expect(testenv.Within(t, page, 5*time.Second, "the reload mark", chromedp.Evaluate[bool](`window.loadedOnce === true`))).To(BeTrue(), "the page reloaded")
	screenshot("fleet-map")

	// The planner: its Create on the timeline, with the cost it added.
	testenv.Within(t, page, 5*time.Second, "the planner page", chromedp.Navigate(base+"#planner"))
	wait("the planner's Create on its timeline", `.timeline li[data-action="Create"]`)
	entry := testenv.Within(t, page, 5*time.Second, "the timeline entry", chromedp.Text(chromedp.CSS(`.timeline li[data-action="Create"]`)))
	g.Expect(entry).To(And(ContainSubstring("Cluster local-ap-south"), ContainSubstring("/h"), ContainSubstring("shop/batch")), "the Create on the timeline")
	screenshot("planner")

	// Workloads: web in both clusters, with the engine's reason, and a link to a member's object.
	testenv.Within(t, page, 5*time.Second, "the workloads page", chromedp.Navigate(base+"#workloads"))
	web := `[data-binding="shop/deployment-web"]`
	wait("web applied in us", web+` [data-cluster="us"][data-state="Applied"]`)
	wait("web applied in eu", web+` [data-cluster="eu"][data-state="Applied"]`)
	reason := testenv.Within(t, page, 5*time.Second, "web's reason", chromedp.Text(chromedp.CSS(web+` .reason`)))
	g.Expect(reason).NotTo(Or(BeEmpty(), Equal("no reason yet")), "the engine's reason for web")
	screenshot("workloads")
	link := testenv.Within(t, page, 5*time.Second, "the link to web in us", chromedp.AttributeValue(chromedp.CSS(web+` [data-cluster="us"] a`), "href"))
	g.Expect(link.Exists).To(BeTrue())
	testenv.Within(t, page, 10*time.Second, "web as member us has it", chromedp.Navigate(base+link.Value))
	object := testenv.Within(t, page, 10*time.Second, "the member object's text", chromedp.Text(chromedp.CSS("body")))
	g.Expect(object).To(And(ContainSubstring("in cluster us"), ContainSubstring("kind: Deployment"), ContainSubstring("name: web")))

	// Global names: both targets healthy; the DNS server's answer as eu-west; then eu frozen.
	testenv.Within(t, page, 10*time.Second, "the global names page", chromedp.Navigate(base+"#names"))
	host := `[data-host="shop.navarkos.local"]`
	wait("us healthy behind the name", host+` [data-target="us"][data-healthy="true"]`)
	wait("eu healthy behind the name", host+` [data-target="eu"][data-healthy="true"]`)
	euAddress := testenv.Within(t, page, 5*time.Second, "eu's address", chromedp.Text(chromedp.CSS(host+` [data-target="eu"] td:nth-child(3)`)))
	testenv.Within(t, page, 30*time.Second, "an answer as eu-west", chromedp.Steps(
		chromedp.SetValue(chromedp.CSS(`#dns-region`), "eu-west"),
		chromedp.Click(chromedp.CSS(`[data-ask="shop.navarkos.local"]`)),
		chromedp.WaitVisible(chromedp.CSS(host+` .answer-slot > *`))))
	answer := testenv.Within(t, page, 5*time.Second, "the answer", chromedp.Text(chromedp.CSS(host+` .answer-slot`)))
	g.Expect(answer).To(And(ContainSubstring("NOERROR"), ContainSubstring("as 10.2.0.0/16"), ContainSubstring(euAddress)), "the server's Geo answer for eu-west")
	thaw := f.freezeAPIServer(t, "eu")
	wait("the frozen eu unhealthy on the page", host+` [data-target="eu"][data-healthy="false"]`)
	screenshot("global-names")
	thaw()

	// Cost and demand: both plots drawn from the samples.
	testenv.Within(t, page, 5*time.Second, "the cost page", chromedp.Navigate(base+"#cost"))
	wait("the cost plot", `[data-plot="cost"] path[data-series="cost per hour"]`)
	wait("the demand plot", `[data-plot="demand"] path[data-series="placed"]`)
	summary := testenv.Within(t, page, 5*time.Second, "the cost summary", chromedp.Text(chromedp.CSS(`#cost-summary`)))
	g.Expect(summary).To(ContainSubstring("replicas placed"))
	screenshot("cost")

	// The simulator: the shipped bursty trace, every policy's plot.
	testenv.Within(t, page, 5*time.Second, "the simulator page", chromedp.Navigate(base+"#simulator"))
	testenv.Within(t, page, 2*time.Minute, "the simulator's plots of bursty", chromedp.Steps(
		chromedp.WaitReady(chromedp.CSS(`#sim-trace option[value="bursty"]`)),
		chromedp.SetValue(chromedp.CSS(`#sim-trace`), "bursty"),
		chromedp.SetValue(chromedp.CSS(`#sim-pools`), "pools.yaml"),
		chromedp.Click(chromedp.CSS(`#sim-run`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-plot="sim-cost"] path[data-series="planner"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-plot="sim-capacity"] path[data-series="demand"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.sim tr[data-policy="lowerbound"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.frontier tr[data-hold="never"]`))))
	screenshot("simulator")

	if p := problems(); len(p) > 0 {
		t.Errorf("the dashboard logged errors:\n%s", strings.Join(p, "\n"))
	}
}
