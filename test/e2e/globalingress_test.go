package e2e

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"testing"
	"time"

	mdns "github.com/miekg/dns"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/dns"
	"github.com/navarkos/navarkos/internal/setup"
	"github.com/navarkos/navarkos/internal/testenv"
)

// TestGlobalIngress serves one name from three real clusters in three regions through the
// embedded DNS server: every cluster's load-balancer address is answered; a cluster whose
// replicas go to zero leaves the answers and comes back with them; Failover and Geo answers
// follow the strategy and the client's subnet; AXFR gives the zone.
func TestGlobalIngress(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	server := &dns.Server{Addr: "127.0.0.1:0"}
	geo := &dns.GeoTable{
		Prefixes: []dns.GeoPrefix{
			{Prefix: netip.MustParsePrefix("10.1.0.0/16"), Region: "us-east"},
			{Prefix: netip.MustParsePrefix("10.2.0.0/16"), Region: "eu-west"},
			{Prefix: netip.MustParsePrefix("10.3.0.0/16"), Region: "ap-south"},
		},
		Nearest: map[string][]string{"ap-south": {"eu-west", "us-east"}},
	}
	// A real BIND, primary for the same zone, gets the records by RFC 2136 beside the embedded server.
	bind := testenv.StartBIND(t, "navarkos.local")
	rfc2136 := &dns.RFC2136{Server: bind, Zones: []string{"navarkos.local."}, KeyName: "navarkos", Secret: testenv.BINDKey}
	f := startFleetWith(t, setup.Options{HealthInterval: healthInterval, Planner: setup.PlannerOptions{Disabled: true},
		DNS: setup.DNSOptions{Server: server, Geo: geo, Endpoints: true, RFC2136: rfc2136}})
	g.Expect(testenv.InstallExternalDNSCRD(ctx, f.client)).To(Succeed())
	f.startMembers(t, map[string]string{"us": "local-us-east", "eu": "local-eu-west", "ap": "local-ap-south"})

	g.Expect(f.client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}})).To(Succeed())
	g.Expect(f.client.Create(ctx, fleetDeployment("web", 2))).To(Succeed())
	g.Expect(f.client.Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web"},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, Selector: map[string]string{"app": "web"},
			Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(8080)}}},
	})).To(Succeed())
	g.Expect(f.client.Create(ctx, &n6sv1alpha1.Placement{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web"},
		Spec: n6sv1alpha1.PlacementSpec{ResourceSelectors: []n6sv1alpha1.ResourceSelector{
			{APIVersion: "apps/v1", Kind: "Deployment", Name: "web"},
			{APIVersion: "v1", Kind: "Service", Name: "web"},
		}},
	})).To(Succeed())
	gi := &n6sv1alpha1.GlobalIngress{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web"},
		Spec: n6sv1alpha1.GlobalIngressSpec{
			Hosts: []string{"shop.navarkos.local"}, Backend: n6sv1alpha1.GlobalIngressBackend{ServiceName: "web"}, TTL: 5,
			HealthCheck: n6sv1alpha1.HealthCheck{Interval: n6sv1alpha1.DurationOf(time.Second)},
		},
	}
	g.Expect(f.client.Create(ctx, gi)).To(Succeed())

	// Every cluster's address is answered, each a distinct loopback address.
	addrOf := map[string]string{}
	g.Eventually(func(g Gomega) {
		got := f.getGlobalIngress(g, "web")
		g.Expect(got.Status.Hosts).To(HaveLen(1))
		for _, tgt := range got.Status.Hosts[0].Targets {
			g.Expect(tgt.Healthy).To(BeTrue(), "target %+v", tgt)
			g.Expect(tgt.Addresses).To(HaveLen(1))
			addrOf[tgt.Cluster] = tgt.Addresses[0]
		}
		g.Expect(addrOf).To(HaveLen(3))
		g.Expect(lookup(g, server.BoundAddr(), "")).To(ConsistOf(addrOf["us"], addrOf["eu"], addrOf["ap"]))
	}, clusterTimeout, poll).Should(Succeed(), "waiting for three healthy targets in the answers")
	for _, a := range addrOf {
		g.Expect(netip.MustParseAddr(a).IsLoopback()).To(BeTrue(), "%s must be a loopback address", a)
	}
	// BIND holds the same three addresses, with Navarkos's ownership marker.
	g.Eventually(func(g Gomega) {
		g.Expect(lookupOn(g, bind, "tcp")).To(ConsistOf(addrOf["us"], addrOf["eu"], addrOf["ap"]))
	}, clusterTimeout, poll).Should(Succeed(), "waiting for BIND to hold the three addresses")
	// ExternalDNS gets one DNSEndpoint for the host, with every cluster's address merged.
	g.Eventually(func(g Gomega) {
		ep := &unstructured.Unstructured{}
		ep.SetGroupVersionKind(n6sv1alpha1.DNSEndpointGVK)
		g.Expect(f.client.Get(ctx, client.ObjectKey{Namespace: "shop", Name: "web-shop.navarkos.local"}, ep)).To(Succeed())
		endpoints, _, _ := unstructured.NestedSlice(ep.Object, "spec", "endpoints")
		g.Expect(endpoints).To(HaveLen(1))
		targets, _, _ := unstructured.NestedStringSlice(endpoints[0].(map[string]any), "targets")
		g.Expect(targets).To(ConsistOf(addrOf["us"], addrOf["eu"], addrOf["ap"]))
	}, clusterTimeout, poll).Should(Succeed(), "waiting for the DNSEndpoint with three targets")

	// eu's replicas go to zero: its address leaves the answers, and comes back with them.
	start := time.Now()
	setReplicasOverride(t, f, ptr.To[int32](0))
	g.Eventually(func(g Gomega) {
		g.Expect(lookup(g, server.BoundAddr(), "")).To(ConsistOf(addrOf["us"], addrOf["ap"]))
	}, clusterTimeout, poll).Should(Succeed(), "waiting for eu's address to leave the answers")
	g.Eventually(func(g Gomega) {
		g.Expect(lookupOn(g, bind, "tcp")).To(ConsistOf(addrOf["us"], addrOf["ap"]))
	}, clusterTimeout, poll).Should(Succeed(), "waiting for BIND to drop eu's address")
	t.Logf("eu left the answers %.1fs after its replicas were set to 0 (health interval 1s, TTL 5s)", time.Since(start).Seconds())
	start = time.Now()
	setReplicasOverride(t, f, nil)
	g.Eventually(func(g Gomega) {
		g.Expect(lookup(g, server.BoundAddr(), "")).To(ConsistOf(addrOf["us"], addrOf["eu"], addrOf["ap"]))
	}, clusterTimeout, poll).Should(Succeed(), "waiting for eu's address to come back")
	t.Logf("eu came back %.1fs after its replicas were restored", time.Since(start).Seconds())
	g.Eventually(func(g Gomega) {
		g.Expect(lookupOn(g, bind, "tcp")).To(ConsistOf(addrOf["us"], addrOf["eu"], addrOf["ap"]))
	}, clusterTimeout, poll).Should(Succeed(), "waiting for BIND to take eu's address back")

	// Failover: the first listed region wins.
	patchGlobalIngress(t, f, func(s *n6sv1alpha1.GlobalIngressSpec) {
		s.Strategy = n6sv1alpha1.DNSStrategy{Type: n6sv1alpha1.StrategyFailover, FailoverRegions: []string{"eu-west", "us-east"}}
	})
	g.Eventually(func(g Gomega) {
		g.Expect(lookup(g, server.BoundAddr(), "")).To(Equal([]string{addrOf["eu"]}))
	}, clusterTimeout, poll).Should(Succeed(), "waiting for the failover answer")

	// Geo: the client's subnet picks its region.
	patchGlobalIngress(t, f, func(s *n6sv1alpha1.GlobalIngressSpec) {
		s.Strategy = n6sv1alpha1.DNSStrategy{Type: n6sv1alpha1.StrategyGeo}
	})
	g.Eventually(func(g Gomega) {
		g.Expect(lookup(g, server.BoundAddr(), "10.3.7.0/24")).To(Equal([]string{addrOf["ap"]}))
		g.Expect(lookup(g, server.BoundAddr(), "10.2.7.0/24")).To(Equal([]string{addrOf["eu"]}))
		g.Expect(lookup(g, server.BoundAddr(), "10.1.7.0/24")).To(Equal([]string{addrOf["us"]}))
	}, clusterTimeout, poll).Should(Succeed(), "waiting for geo answers by client subnet")

	// AXFR gives the zone: SOA first and last, and the host with every healthy address.
	tr := new(mdns.Transfer)
	m := new(mdns.Msg)
	m.SetAxfr("navarkos.local.")
	envelopes, err := tr.In(m, server.BoundAddr())
	g.Expect(err).NotTo(HaveOccurred())
	var records []mdns.RR
	for e := range envelopes {
		g.Expect(e.Error).NotTo(HaveOccurred())
		records = append(records, e.RR...)
	}
	g.Expect(records[0].Header().Rrtype).To(Equal(mdns.TypeSOA))
	g.Expect(records[len(records)-1].Header().Rrtype).To(Equal(mdns.TypeSOA))
	var transferred []string
	for _, rr := range records {
		if a, ok := rr.(*mdns.A); ok && a.Hdr.Name == "shop.navarkos.local." {
			transferred = append(transferred, a.A.String())
		}
	}
	g.Expect(transferred).To(ConsistOf(addrOf["us"], addrOf["eu"], addrOf["ap"]))

	// Deleted: its records leave BIND; the record Navarkos did not make stays.
	g.Expect(f.client.Delete(ctx, gi)).To(Succeed())
	g.Eventually(func(g Gomega) { g.Expect(lookupOn(g, bind, "tcp")).To(BeEmpty()) }, clusterTimeout, poll).
		Should(Succeed(), "waiting for BIND to lose the deleted GlobalIngress's records")
	g.Expect(lookupName(g, bind, "tcp", "foreign.navarkos.local.", "")).To(Equal([]string{"192.0.2.1"}))

	probeAnotherPort(t, f)
}

// probeAnotherPort: a team's GlobalIngress whose health check names a port of the backend's
// address that the backend does not serve (here the fleet API server's, which listens on the
// same host) is not probed there, so its status tells nothing of what answers on that port.
func probeAnotherPort(t *testing.T, f *localFleet) {
	g := NewWithT(t)
	ctx := context.Background()
	team, _, err := testenv.TenantClient(ctx, f.cfg, client.Options{Scheme: setup.Scheme()}, "shop", "team", "admin")
	g.Expect(err).NotTo(HaveOccurred())
	u, err := url.Parse(f.cfg.Host)
	g.Expect(err).NotTo(HaveOccurred())
	port, err := strconv.Atoi(u.Port())
	g.Expect(err).NotTo(HaveOccurred())
	scan := &n6sv1alpha1.GlobalIngress{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "scan"},
		Spec: n6sv1alpha1.GlobalIngressSpec{
			Hosts: []string{"scan.navarkos.local"}, Backend: n6sv1alpha1.GlobalIngressBackend{ServiceName: "web"}, TTL: 5,
			HealthCheck: n6sv1alpha1.HealthCheck{Interval: n6sv1alpha1.DurationOf(time.Second),
				Probe: &n6sv1alpha1.HealthProbe{Type: "TCP", Port: int32(port)}},
		},
	}
	g.Eventually(func() error { return team.Create(ctx, scan) }, clusterTimeout, poll).Should(Succeed(), "the admin role writes GlobalIngresses")
	g.Eventually(func(g Gomega) {
		got := &n6sv1alpha1.GlobalIngress{}
		g.Expect(team.Get(ctx, client.ObjectKeyFromObject(scan), got)).To(Succeed())
		g.Expect(got.Status.Hosts).To(HaveLen(1))
		g.Expect(got.Status.Hosts[0].Targets).To(HaveLen(3))
		for _, tgt := range got.Status.Hosts[0].Targets {
			g.Expect(tgt.Healthy).To(BeFalse(), "target %+v", tgt)
			g.Expect(tgt.Reason).To(ContainSubstring(fmt.Sprintf("probe port %d is not a port of the backend", port)))
		}
	}, clusterTimeout, poll).Should(Succeed(), "waiting for the probe of another port to be refused")
}

func (f *localFleet) getGlobalIngress(g Gomega, name string) *n6sv1alpha1.GlobalIngress {
	gi := &n6sv1alpha1.GlobalIngress{}
	g.Expect(f.client.Get(context.Background(), client.ObjectKey{Namespace: "shop", Name: name}, gi)).To(Succeed())
	return gi
}

func patchGlobalIngress(t *testing.T, f *localFleet, change func(*n6sv1alpha1.GlobalIngressSpec)) {
	t.Helper()
	gi := &n6sv1alpha1.GlobalIngress{}
	if err := f.client.Get(context.Background(), client.ObjectKey{Namespace: "shop", Name: "web"}, gi); err != nil {
		t.Fatal(err)
	}
	patch := client.MergeFrom(gi.DeepCopy())
	change(&gi.Spec)
	if err := f.client.Patch(context.Background(), gi, patch); err != nil {
		t.Fatal(err)
	}
}

// setReplicasOverride sets, or with nil removes, a replicas override for cluster eu.
func setReplicasOverride(t *testing.T, f *localFleet, replicas *int32) {
	t.Helper()
	p := &n6sv1alpha1.Placement{}
	if err := f.client.Get(context.Background(), client.ObjectKey{Namespace: "shop", Name: "web"}, p); err != nil {
		t.Fatal(err)
	}
	patch := client.MergeFrom(p.DeepCopy())
	p.Spec.Overrides = nil
	if replicas != nil {
		p.Spec.Overrides = []n6sv1alpha1.ClusterOverride{{ClusterNames: []string{"eu"}, Replicas: replicas}}
	}
	if err := f.client.Patch(context.Background(), p, patch); err != nil {
		t.Fatal(err)
	}
}

// lookup asks the server for shop.navarkos.local's A records, from subnet when given.
func lookup(g Gomega, server, subnet string) []string {
	return lookupName(g, server, "udp", "shop.navarkos.local.", subnet)
}

// lookupOn asks another server, over net, for shop.navarkos.local's A records.
func lookupOn(g Gomega, server, net string) []string {
	return lookupName(g, server, net, "shop.navarkos.local.", "")
}

func lookupName(g Gomega, server, network, name, subnet string) []string {
	m := new(mdns.Msg)
	m.SetQuestion(name, mdns.TypeA)
	if subnet != "" {
		p := netip.MustParsePrefix(subnet)
		m.SetEdns0(1232, false)
		m.IsEdns0().Option = append(m.IsEdns0().Option, &mdns.EDNS0_SUBNET{Code: mdns.EDNS0SUBNET, Family: 1, SourceNetmask: uint8(p.Bits()), Address: net.IP(p.Addr().AsSlice())})
	}
	resp, _, err := (&mdns.Client{Net: network, Timeout: 2 * time.Second}).Exchange(m, server)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(resp.Rcode).To(Or(Equal(mdns.RcodeSuccess), Equal(mdns.RcodeNameError)))
	var out []string
	for _, rr := range resp.Answer {
		if a, ok := rr.(*mdns.A); ok {
			out = append(out, a.A.String())
		}
	}
	slices.Sort(out)
	return out
}
