package dashboard

import (
	"cmp"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"

	mdns "github.com/miekg/dns"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
)

// Names is the global names page: each GlobalIngress host with its targets, and what the
// DNS server can be asked as.
type Names struct {
	Names []NameView `json:"names"`
	// Regions are those the DNS server's geo table knows, each asked as one of its subnets.
	Regions []RegionSubnet `json:"regions"`
	// DNSServer is the server asked; empty when the dashboard knows none.
	DNSServer string `json:"dnsServer,omitempty"`
	Scope     string `json:"scope,omitempty"`
}

// RegionSubnet is a region and the client subnet the page asks as, for it.
type RegionSubnet struct {
	Region string `json:"region"`
	Subnet string `json:"subnet"`
}

// NameView is one GlobalIngress.
type NameView struct {
	Namespace  string      `json:"namespace"`
	Name       string      `json:"name"`
	Strategy   string      `json:"strategy"`
	Hosts      []HostView  `json:"hosts"`
	Conditions []Condition `json:"conditions"`
}

// HostView is one host and its targets, as the controller last found them.
type HostView struct {
	Host    string       `json:"host"`
	Targets []TargetView `json:"targets"`
}

// TargetView is one cluster behind a host.
type TargetView struct {
	Cluster   string   `json:"cluster"`
	Region    string   `json:"region,omitempty"`
	Addresses []string `json:"addresses"`
	Healthy   bool     `json:"healthy"`
	Reason    string   `json:"reason,omitempty"`
	Weight    int32    `json:"weight,omitempty"`
}

func (s *Server) names(ctx context.Context) (any, error) {
	if err := s.denied("globalingresses"); err != nil {
		return nil, err
	}
	var list n6sv1alpha1.GlobalIngressList
	if err := s.list(ctx, "globalingresses", &list); err != nil {
		return nil, err
	}
	out := Names{Names: []NameView{}, Regions: s.regionSubnets(), DNSServer: s.opts.DNSServer, Scope: s.scopeOf("globalingresses")}
	for _, gi := range list.Items {
		v := NameView{Namespace: gi.Namespace, Name: gi.Name, Strategy: string(gi.Spec.Strategy.Type), Hosts: []HostView{}, Conditions: conditionsOf(gi.Status.Conditions)}
		if v.Strategy == "" {
			v.Strategy = string(n6sv1alpha1.StrategyRoundRobin)
		}
		status := map[string][]n6sv1alpha1.TargetStatus{}
		for _, h := range gi.Status.Hosts {
			status[h.Host] = h.Targets
		}
		for _, host := range gi.Spec.Hosts {
			hv := HostView{Host: host, Targets: []TargetView{}}
			for _, t := range status[host] {
				hv.Targets = append(hv.Targets, TargetView{Cluster: t.Cluster, Region: t.Region, Addresses: append([]string{}, t.Addresses...),
					Healthy: t.Healthy, Reason: t.Reason, Weight: t.Weight})
			}
			v.Hosts = append(v.Hosts, hv)
		}
		out.Names = append(out.Names, v)
	}
	slices.SortFunc(out.Names, func(a, b NameView) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	return out, nil
}

// regionSubnets picks, for each region of the geo table, its first subnet.
func (s *Server) regionSubnets() []RegionSubnet {
	out := []RegionSubnet{}
	if s.opts.Geo == nil {
		return out
	}
	seen := map[string]bool{}
	for _, p := range s.opts.Geo.Prefixes {
		if !seen[p.Region] {
			seen[p.Region] = true
			out = append(out, RegionSubnet{Region: p.Region, Subnet: p.Prefix.String()})
		}
	}
	slices.SortFunc(out, func(a, b RegionSubnet) int { return cmp.Compare(a.Region, b.Region) })
	return out
}

// Answer is the DNS server's answer to one question, as the page shows it.
type Answer struct {
	Server string `json:"server"`
	Host   string `json:"host"`
	Type   string `json:"type"`
	// Subnet is the client subnet the question carried, if any; Scope the prefix length the
	// server said its answer holds for.
	Subnet  string   `json:"subnet,omitempty"`
	Scope   int      `json:"scope"`
	Rcode   string   `json:"rcode"`
	Records []string `json:"records"`
	// RTT is how long the server took, in milliseconds.
	RTT float64 `json:"rttMs"`
}

// serveDNS asks the fleet's DNS server for a global host, as a client of a region's subnet
// or of a given subnet sees it: the server's own answer. Only hosts of GlobalIngresses the
// caller may read are asked for.
func (s *Server) serveDNS(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	host := strings.TrimSuffix(strings.ToLower(q.Get("host")), ".")
	if s.opts.DNSServer == "" {
		http.Error(w, "this dashboard knows no DNS server: start it with --dns-server", http.StatusNotFound)
		return
	}
	if !s.readableHost(r.Context(), host) {
		http.Error(w, fmt.Sprintf("%q is not a host of a GlobalIngress you may read", host), http.StatusNotFound)
		return
	}
	qtype := mdns.TypeA
	if t := strings.ToUpper(q.Get("type")); t != "" {
		var ok bool
		if qtype, ok = mdns.StringToType[t]; !ok || (qtype != mdns.TypeA && qtype != mdns.TypeAAAA && qtype != mdns.TypeTXT) {
			http.Error(w, fmt.Sprintf("type %q: want A, AAAA or TXT", t), http.StatusBadRequest)
			return
		}
	}
	subnet := q.Get("subnet")
	if region := q.Get("region"); region != "" {
		regions := s.regionSubnets()
		i := slices.IndexFunc(regions, func(rs RegionSubnet) bool { return rs.Region == region })
		if i < 0 {
			http.Error(w, fmt.Sprintf("region %q is not in the DNS server's geo table", region), http.StatusBadRequest)
			return
		}
		subnet = regions[i].Subnet
	}
	m := new(mdns.Msg)
	m.SetQuestion(mdns.Fqdn(host), qtype)
	m.RecursionDesired = false
	m.SetEdns0(1232, false)
	if subnet != "" {
		p, err := netip.ParsePrefix(subnet)
		if err != nil {
			http.Error(w, fmt.Sprintf("subnet %q: %v", subnet, err), http.StatusBadRequest)
			return
		}
		family := uint16(1)
		if p.Addr().Is6() {
			family = 2
		}
		m.IsEdns0().Option = append(m.IsEdns0().Option, &mdns.EDNS0_SUBNET{Code: mdns.EDNS0SUBNET, Family: family,
			SourceNetmask: uint8(p.Bits()), Address: net.IP(p.Masked().Addr().AsSlice())})
		subnet = p.Masked().String()
	}
	c := &mdns.Client{Timeout: 3 * time.Second}
	resp, rtt, err := c.ExchangeContext(r.Context(), m, s.opts.DNSServer)
	if err != nil {
		http.Error(w, fmt.Sprintf("no answer from %s: %v", s.opts.DNSServer, err), http.StatusBadGateway)
		return
	}
	a := Answer{Server: s.opts.DNSServer, Host: host, Type: mdns.TypeToString[qtype], Subnet: subnet, Rcode: mdns.RcodeToString[resp.Rcode],
		Records: []string{}, RTT: float64(rtt.Microseconds()) / 1000}
	for _, rr := range resp.Answer {
		a.Records = append(a.Records, rr.String())
	}
	if opt := resp.IsEdns0(); opt != nil {
		for _, o := range opt.Option {
			if ecs, ok := o.(*mdns.EDNS0_SUBNET); ok {
				a.Scope = int(ecs.SourceScope)
			}
		}
	}
	writeJSON(w, a)
}

// readableHost says whether host is a host of a GlobalIngress the caller may read.
func (s *Server) readableHost(ctx context.Context, host string) bool {
	if host == "" || s.denied("globalingresses") != nil {
		return false
	}
	var list n6sv1alpha1.GlobalIngressList
	if s.list(ctx, "globalingresses", &list) != nil {
		return false
	}
	for _, gi := range list.Items {
		if slices.ContainsFunc(gi.Spec.Hosts, func(h string) bool { return strings.EqualFold(strings.TrimSuffix(h, "."), host) }) {
			return true
		}
	}
	return false
}
