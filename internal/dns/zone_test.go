package dns

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	mdns "github.com/miekg/dns"
)

func testZone() *Zone {
	txt, _ := mdns.NewRR(`_owner.shop.navarkos.local. 30 IN TXT "heritage=navarkos"`)
	cname, _ := mdns.NewRR(`www.navarkos.local. 30 IN CNAME shop.navarkos.local.`)
	return &Zone{
		Origin: "navarkos.local.", Serial: 7, Admin: "hostmaster.navarkos.local.", TTL: 60, NegativeTTL: 5,
		NS:   []string{"ns1.navarkos.local."},
		Glue: map[string][]netip.Addr{"ns1.navarkos.local.": {netip.MustParseAddr("127.0.0.1")}},
		Hosts: map[string]Host{
			"shop.navarkos.local.": {TTL: 5, Policy: Policy{Strategy: RoundRobin}, Targets: []Target{
				target("us", "us-east", "127.0.10.1", true, 1), target("eu", "eu-west", "127.0.20.1", true, 1),
				{Cluster: "v6", Addresses: []netip.Addr{netip.MustParseAddr("::1")}, Healthy: true},
			}},
			"api.deep.navarkos.local.": {TTL: 5, Targets: []Target{target("us", "us-east", "127.0.10.2", true, 1)}},
		},
		Records: []mdns.RR{txt, cname},
	}
}

// answerString writes a response as rcode, then its answer and authority records' types and data.
func answerString(r Response) string {
	var b strings.Builder
	b.WriteString(mdns.RcodeToString[r.Rcode])
	for _, section := range [][]mdns.RR{r.Answer, r.Ns, r.Extra} {
		b.WriteString(" |")
		for _, rr := range section {
			b.WriteString(" " + strings.ReplaceAll(rr.String(), "\t", " "))
		}
	}
	return b.String()
}

func TestZoneAnswers(t *testing.T) {
	z := testZone()
	soaNeg := "navarkos.local. 5 IN SOA ns1.navarkos.local. hostmaster.navarkos.local. 7 60 30 86400 5"
	tests := []struct {
		name  string
		qname string
		qtype uint16
		want  string
	}{
		{"A of a host", "shop.navarkos.local.", mdns.TypeA, "NOERROR | shop.navarkos.local. 5 IN A 127.0.20.1 shop.navarkos.local. 5 IN A 127.0.10.1 | |"},
		{"names are case-insensitive", "SHOP.Navarkos.Local.", mdns.TypeA, "NOERROR | shop.navarkos.local. 5 IN A 127.0.20.1 shop.navarkos.local. 5 IN A 127.0.10.1 | |"},
		{"AAAA of a host", "shop.navarkos.local.", mdns.TypeAAAA, "NOERROR | shop.navarkos.local. 5 IN AAAA ::1 | |"},
		{"NODATA: the host has no MX", "shop.navarkos.local.", mdns.TypeMX, "NOERROR | | " + soaNeg + " |"},
		{"NXDOMAIN: no such name", "nope.navarkos.local.", mdns.TypeA, "NXDOMAIN | | " + soaNeg + " |"},
		{"NODATA for an empty non-terminal", "deep.navarkos.local.", mdns.TypeA, "NOERROR | | " + soaNeg + " |"},
		{"SOA at the apex", "navarkos.local.", mdns.TypeSOA, "NOERROR | navarkos.local. 60 IN SOA ns1.navarkos.local. hostmaster.navarkos.local. 7 60 30 86400 5 | |"},
		{"NS at the apex, with glue", "navarkos.local.", mdns.TypeNS, "NOERROR | navarkos.local. 60 IN NS ns1.navarkos.local. | | ns1.navarkos.local. 60 IN A 127.0.0.1"},
		{"A of the name server", "ns1.navarkos.local.", mdns.TypeA, "NOERROR | ns1.navarkos.local. 60 IN A 127.0.0.1 | |"},
		{"TXT ownership marker", "_owner.shop.navarkos.local.", mdns.TypeTXT, `NOERROR | _owner.shop.navarkos.local. 30 IN TXT "heritage=navarkos" | |`},
		{"CNAME, followed inside the zone", "www.navarkos.local.", mdns.TypeA, "NOERROR | www.navarkos.local. 30 IN CNAME shop.navarkos.local. shop.navarkos.local. 5 IN A 127.0.20.1 shop.navarkos.local. 5 IN A 127.0.10.1 | |"},
		{"CNAME asked for", "www.navarkos.local.", mdns.TypeCNAME, "NOERROR | www.navarkos.local. 30 IN CNAME shop.navarkos.local. | |"},
		{"ANY gets the RFC 8482 minimal answer", "shop.navarkos.local.", mdns.TypeANY, `NOERROR | shop.navarkos.local. 60 IN HINFO "RFC8482" "" | |`},
		{"outside the zone: refused", "example.com.", mdns.TypeA, "REFUSED | | |"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := answerString(z.Answer(mdns.Question{Name: tt.qname, Qtype: tt.qtype, Qclass: mdns.ClassINET}, nil, "", 0))
			if got != tt.want {
				t.Fatalf("\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestZoneTransferStartsAndEndsWithTheSOA(t *testing.T) {
	rrs := testZone().Transfer()
	var types []string
	for _, rr := range rrs {
		types = append(types, mdns.TypeToString[rr.Header().Rrtype])
	}
	want := "SOA NS A A A A AAAA TXT CNAME SOA" // glue, api.deep, then shop by cluster
	if got := strings.Join(types, " "); got != want {
		t.Fatalf("transfer %s, want %s", got, want)
	}
}

// TestZoneCNAMELoopsAreServerFailures: a loop of CNAMEs, one pointing at itself, or a chain
// too long to follow is answered SERVFAIL instead of overflowing the stack.
func TestZoneCNAMELoopsAreServerFailures(t *testing.T) {
	rr := func(s string) mdns.RR {
		r, err := mdns.NewRR(s)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	z := testZone()
	z.Records = append(z.Records,
		rr(`a.navarkos.local. 30 IN CNAME b.navarkos.local.`), rr(`b.navarkos.local. 30 IN CNAME a.navarkos.local.`),
		rr(`self.navarkos.local. 30 IN CNAME self.navarkos.local.`))
	for i := range 12 {
		z.Records = append(z.Records, rr(fmt.Sprintf("c%d.navarkos.local. 30 IN CNAME c%d.navarkos.local.", i, i+1)))
	}
	z.Records = append(z.Records, rr(`short.navarkos.local. 30 IN CNAME www.navarkos.local.`))
	for _, name := range []string{"a.navarkos.local.", "b.navarkos.local.", "self.navarkos.local.", "c0.navarkos.local."} {
		if got := z.Answer(mdns.Question{Name: name, Qtype: mdns.TypeA, Qclass: mdns.ClassINET}, nil, "", 0); got.Rcode != mdns.RcodeServerFailure || len(got.Answer) != 0 {
			t.Errorf("%s: %s, want SERVFAIL with no answer", name, answerString(got))
		}
	}
	got := z.Answer(mdns.Question{Name: "short.navarkos.local.", Qtype: mdns.TypeA, Qclass: mdns.ClassINET}, nil, "", 0)
	if got.Rcode != mdns.RcodeSuccess || len(got.Answer) != 4 {
		t.Errorf("a chain of two CNAMEs: %s, want both CNAMEs and the two addresses", answerString(got))
	}
	if got := z.Answer(mdns.Question{Name: "c4.navarkos.local.", Qtype: mdns.TypeCNAME, Qclass: mdns.ClassINET}, nil, "", 0); got.Rcode != mdns.RcodeSuccess {
		t.Errorf("asking for the CNAME itself follows nothing: %s", answerString(got))
	}
}

// TestRegistrySerialsChangeOnlyWithTheZone: republishing the same hosts keeps the serial and
// publishes nothing; a change bumps only its own zone's serial, never below the Unix time, so
// that a restart does not go backwards.
func TestRegistrySerialsChangeOnlyWithTheZone(t *testing.T) {
	now := time.Unix(2_000_000_000, 0)
	published := 0
	r := &Registry{Origins: []string{"a.test.", "b.test."}, Now: func() time.Time { return now }, Publish: func([]*Zone) { published++ }}
	serials := func() map[string]uint32 {
		out := map[string]uint32{}
		for _, z := range r.Zones() {
			out[z.Origin] = z.Serial
		}
		return out
	}
	host := func(addr string) map[string]Host {
		return map[string]Host{"www.a.test.": {TTL: 5, Targets: []Target{target("c1", "eu", addr, true, 1)}}}
	}
	start := serials()
	if start["a.test."] != 2_000_000_000 || start["b.test."] != 2_000_000_000 {
		t.Fatalf("first serials = %v, want the Unix time", start)
	}
	r.Set("gi-1", "a.test.", host("127.0.0.1"))
	first := serials()
	if first["a.test."] != start["a.test."]+1 || first["b.test."] != start["b.test."] || published != 1 {
		t.Fatalf("after a change of a.test.: %v (published %d), want only a.test. bumped", first, published)
	}
	for range 5 {
		r.Set("gi-1", "a.test.", host("127.0.0.1"))
	}
	if got := serials(); got["a.test."] != first["a.test."] || published != 1 {
		t.Fatalf("republishing the same hosts: %v (published %d), want no change and no publication", got, published)
	}
	now = now.Add(time.Hour)
	r.Set("gi-1", "a.test.", host("127.0.0.2"))
	if got := serials()["a.test."]; got != uint32(now.Unix()) {
		t.Fatalf("a change an hour later: serial %d, want the Unix time %d", got, now.Unix())
	}
	r.Remove("gi-1")
	r.Remove("gi-1")
	if published != 3 {
		t.Fatalf("published %d times, want 3: removing twice publishes once", published)
	}
}

// TestReservedNamesAreNeverHosts: the apex, the name server and the SOA primary of a served
// zone are the operator's: a registry owner that names them publishes nothing there, the
// zone's NS target keeps answering only with the name server's own address, and every other
// host of that owner is published.
func TestReservedNamesAreNeverHosts(t *testing.T) {
	r := &Registry{Origins: []string{"navarkos.local."}, NSAddrs: []netip.Addr{netip.MustParseAddr("127.0.0.1")}}
	tenant := Host{TTL: 30, Policy: Policy{Strategy: RoundRobin}, Targets: []Target{target("us", "us-east", "127.0.66.6", true, 1)}}
	r.Set("tenant-a/grab", "navarkos.local.", map[string]Host{"ns1.navarkos.local": tenant, "NAVARKOS.local.": tenant, "app.navarkos.local.": tenant})
	z := r.Zones()[0]
	for _, name := range []string{"navarkos.local.", "ns1.navarkos.local.", "NS1.Navarkos.Local"} {
		if !z.Reserved(name) || !r.Reserved(name) {
			t.Errorf("%s is not reserved", name)
		}
	}
	if z.Reserved("app.navarkos.local.") || r.Reserved("app.navarkos.local.") {
		t.Error("an ordinary host is reserved")
	}
	tests := []struct {
		qname string
		qtype uint16
		want  string
	}{
		{"ns1.navarkos.local.", mdns.TypeA, "NOERROR | ns1.navarkos.local. 60 IN A 127.0.0.1 | |"},
		{"navarkos.local.", mdns.TypeA, "NOERROR | | navarkos.local. 5 IN SOA ns1.navarkos.local. hostmaster.navarkos.local. " + fmt.Sprint(z.Serial) + " 60 30 86400 5 |"},
		{"app.navarkos.local.", mdns.TypeA, "NOERROR | app.navarkos.local. 30 IN A 127.0.66.6 | |"},
	}
	for _, tt := range tests {
		if got := answerString(z.Answer(mdns.Question{Name: tt.qname, Qtype: tt.qtype, Qclass: mdns.ClassINET}, nil, "", 0)); got != tt.want {
			t.Errorf("%s %s:\n got %s\nwant %s", tt.qname, mdns.TypeToString[tt.qtype], got, tt.want)
		}
	}
}

// TestAnRRsetNeverMixesTTLs: records of one name and type that come from different sources
// (a host and a static record, or glue) are answered, and transferred, with one TTL: the lowest.
func TestAnRRsetNeverMixesTTLs(t *testing.T) {
	z := testZone()
	static, _ := mdns.NewRR("shop.navarkos.local. 300 IN A 127.0.30.1")
	glue, _ := mdns.NewRR("ns1.navarkos.local. 60 IN A 127.0.0.1")
	z.Records = append(z.Records, static)
	z.Hosts["ns1.navarkos.local."] = Host{TTL: 30, Targets: []Target{target("x", "", "127.0.66.6", true, 1)}}
	check := func(what string, rrs []mdns.RR) {
		t.Helper()
		ttls := map[string]map[uint32]bool{}
		for _, rr := range rrs {
			h := rr.Header()
			key := h.Name + " " + mdns.TypeToString[h.Rrtype]
			if ttls[key] == nil {
				ttls[key] = map[uint32]bool{}
			}
			ttls[key][h.Ttl] = true
		}
		for key, set := range ttls {
			if len(set) != 1 {
				t.Errorf("%s: the RRset %s has TTLs %v", what, key, set)
			}
		}
	}
	for _, name := range []string{"shop.navarkos.local.", glue.Header().Name} {
		resp := z.Answer(mdns.Question{Name: name, Qtype: mdns.TypeA, Qclass: mdns.ClassINET}, nil, "", 0)
		if len(resp.Answer) < 2 {
			t.Fatalf("%s: want records from two sources, got %v", name, resp.Answer)
		}
		check("answer for "+name, resp.Answer)
	}
	transfer := z.Transfer()
	check("transfer", transfer[1:len(transfer)-1])
}
