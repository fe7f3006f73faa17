package dns

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	mdns "github.com/miekg/dns"
)

// TestRateLimitCountsIdenticalResponses: over UDP, one network gets a name's answer at the
// rate and then empty truncated ones (it may retry over TCP), while other names, TCP and
// exempt networks go on being answered: a resolver farm asking for many names is not held back.
func TestRateLimitCountsIdenticalResponses(t *testing.T) {
	now := time.Unix(1000, 0)
	limiter := &RateLimiter{RateLimits: RateLimits{ResponsesPerSecond: 3, NXDomainsPerSecond: 3, ErrorsPerSecond: 3, Window: 5 * time.Second, Slip: 1}, Now: func() time.Time { return now }}
	addr := startServer(t, &Server{RateLimit: limiter}, testZone())
	full := 0
	for range 6 {
		resp := exchange(t, "udp", addr, query("shop.navarkos.local.", mdns.TypeA))
		if !resp.Truncated && len(resp.Answer) > 0 {
			full++
		} else if !resp.Truncated || len(resp.Answer) != 0 {
			t.Fatalf("a limited answer must be empty and truncated: %v", resp)
		}
	}
	if full != 3 {
		t.Fatalf("%d full answers of 6 identical queries in one second, want the rate of 3", full)
	}
	if resp := exchange(t, "udp", addr, query("shop.navarkos.local.", mdns.TypeAAAA)); resp.Truncated {
		t.Fatalf("another type of the same name is another response, yet it was limited: %v", resp)
	}
	if resp := exchange(t, "udp", addr, query("www.navarkos.local.", mdns.TypeA)); resp.Truncated || len(resp.Answer) == 0 {
		t.Fatalf("another name from the same network was limited: %v", resp)
	}
	if resp := exchange(t, "tcp", addr, query("shop.navarkos.local.", mdns.TypeA)); resp.Truncated || len(resp.Answer) != 2 {
		t.Fatalf("over TCP: %v", resp)
	}
	limiter.Exempt = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	if resp := exchange(t, "udp", addr, query("shop.navarkos.local.", mdns.TypeA)); resp.Truncated || len(resp.Answer) != 2 {
		t.Fatalf("an exempt network was limited: %v", resp)
	}
}

// TestRateLimiterAccounts walks the accounts by a clock of our own: networks, kinds, the
// window's debt and the slip.
func TestRateLimiterAccounts(t *testing.T) {
	now := time.Unix(0, 0)
	l := &RateLimiter{RateLimits: RateLimits{ResponsesPerSecond: 2, NXDomainsPerSecond: 2, ErrorsPerSecond: 2, Window: 3 * time.Second, Slip: 2}, Now: func() time.Time { return now }}
	a, sameNet, other := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.200"), netip.MustParseAddr("198.51.100.1")
	answer := func(name string) *mdns.Msg {
		m := new(mdns.Msg).SetQuestion(name, mdns.TypeA)
		m.Response = true
		return m
	}
	nx := func(name string) *mdns.Msg {
		m := answer(name)
		m.Rcode = mdns.RcodeNameError
		soa, _ := mdns.NewRR("navarkos.local. 5 IN SOA ns1.navarkos.local. hostmaster.navarkos.local. 1 60 30 86400 5")
		m.Ns = []mdns.RR{soa}
		return m
	}
	refused := func(name string) *mdns.Msg {
		m := answer(name)
		m.Rcode = mdns.RcodeRefused
		return m
	}
	check := func(what string, want []Verdict, calls ...func() Verdict) {
		t.Helper()
		var got []Verdict
		for _, c := range calls {
			got = append(got, c())
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%s: verdicts %v, want %v", what, got, want)
		}
	}
	shop := func(from netip.Addr) func() Verdict {
		return func() Verdict { return l.Check(from, answer("shop.navarkos.local.")) }
	}
	check("one /24 shares an account; every 2nd limited response slips; another network has its own",
		[]Verdict{Send, Send, Drop, Truncate, Send}, shop(a), shop(sameNet), shop(a), shop(a), shop(other))
	check("another name is another account, whatever its case",
		[]Verdict{Send, Send, Drop}, func() Verdict { return l.Check(a, answer("WWW.navarkos.local.")) },
		func() Verdict { return l.Check(a, answer("www.navarkos.local.")) },
		func() Verdict { return l.Check(a, answer("www.Navarkos.local.")) })
	check("NXDOMAINs for random names share the zone's account",
		[]Verdict{Send, Send, Drop}, func() Verdict { return l.Check(a, nx("x1.navarkos.local.")) },
		func() Verdict { return l.Check(a, nx("x2.navarkos.local.")) },
		func() Verdict { return l.Check(a, nx("x3.navarkos.local.")) })
	check("errors share one account",
		[]Verdict{Send, Send, Drop}, func() Verdict { return l.Check(a, refused("a.example.")) },
		func() Verdict { return l.Check(a, refused("b.example.")) },
		func() Verdict { return l.Check(a, refused("c.example.")) })

	// shop from a's network is 2 in debt: a second of credit (2) is not enough to answer...
	now = now.Add(time.Second)
	check("a network in debt pays it back first", []Verdict{Drop}, shop(a))
	// ...and a flood cannot push the debt past rate×window (6): the window's 3 s of quiet pay
	// any flood back, and half a second more earns one answer.
	www := func() Verdict { return l.Check(a, answer("www.navarkos.local.")) }
	for range 100 {
		shop(a)()
		www()
	}
	now = now.Add(3400 * time.Millisecond)
	check("3.4 s after a flood", []Verdict{Drop}, www)
	check("3.5 s after a flood", []Verdict{Send}, func() Verdict {
		now = now.Add(100 * time.Millisecond)
		return shop(a)()
	})

	unlimited := &RateLimiter{RateLimits: RateLimits{ResponsesPerSecond: 1}}
	for range 5 {
		if v := unlimited.Check(a, nx("x.navarkos.local.")); v != Send {
			t.Fatalf("a kind with no rate is unlimited, got %v", v)
		}
	}
}
