package dns

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/navarkos/navarkos/internal/testenv"
)

// records lists a name's records of one type on the server, as strings, sorted.
func records(t *testing.T, server, name string, qtype uint16) []string {
	t.Helper()
	m := new(mdns.Msg)
	m.SetQuestion(name, qtype)
	resp, _, err := (&mdns.Client{Net: "tcp", Timeout: 2 * time.Second}).Exchange(m, server)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, rr := range resp.Answer {
		switch rr := rr.(type) {
		case *mdns.A:
			out = append(out, rr.A.String())
		case *mdns.AAAA:
			out = append(out, rr.AAAA.String())
		case *mdns.TXT:
			out = append(out, strings.Join(rr.Txt, ""))
		}
	}
	slices.Sort(out)
	return out
}

func ips(ss ...string) []netip.Addr {
	out := make([]netip.Addr, 0, len(ss))
	for _, s := range ss {
		out = append(out, netip.MustParseAddr(s))
	}
	return out
}

func TestRFC2136AgainstBIND(t *testing.T) {
	server := testenv.StartBIND(t, "example.test")
	ctx := context.Background()
	p := &RFC2136{Server: server, Zones: []string{"example.test."}, KeyName: "navarkos", Secret: testenv.BINDKey}

	// Created, with the ownership marker.
	if err := p.Sync(ctx, "shop/web", map[string][]netip.Addr{"shop.example.test": ips("127.1.0.1", "127.1.0.2")}, 5); err != nil {
		t.Fatal(err)
	}
	if got := records(t, server, "shop.example.test.", mdns.TypeA); !slices.Equal(got, []string{"127.1.0.1", "127.1.0.2"}) {
		t.Fatalf("A after create: %v", got)
	}
	if got := records(t, server, "shop.example.test.", mdns.TypeTXT); !slices.Equal(got, []string{"heritage=navarkos,owner=shop/web"}) {
		t.Fatalf("TXT marker: %v", got)
	}
	// Updated: a cluster leaves, another comes, and an IPv6 one.
	if err := p.Sync(ctx, "shop/web", map[string][]netip.Addr{"shop.example.test": ips("127.1.0.2", "127.1.0.3", "::1")}, 5); err != nil {
		t.Fatal(err)
	}
	if got := records(t, server, "shop.example.test.", mdns.TypeA); !slices.Equal(got, []string{"127.1.0.2", "127.1.0.3"}) {
		t.Fatalf("A after update: %v", got)
	}
	if got := records(t, server, "shop.example.test.", mdns.TypeAAAA); !slices.Equal(got, []string{"::1"}) {
		t.Fatalf("AAAA after update: %v", got)
	}
	// A name that someone else made is never touched, and says so.
	err := p.Sync(ctx, "shop/web", map[string][]netip.Addr{"shop.example.test": ips("127.1.0.2"), "foreign.example.test": ips("127.1.0.9")}, 5)
	if !errors.Is(err, ErrNotOwned) || !strings.Contains(err.Error(), "foreign.example.test.") {
		t.Fatalf("syncing over a foreign name: %v, want ErrNotOwned naming it", err)
	}
	if got := records(t, server, "foreign.example.test.", mdns.TypeA); !slices.Equal(got, []string{"192.0.2.1"}) {
		t.Fatalf("the foreign record changed: %v", got)
	}
	// Another owner cannot take our name either.
	if err := p.Sync(ctx, "other/app", map[string][]netip.Addr{"shop.example.test": ips("127.9.9.9")}, 5); !errors.Is(err, ErrNotOwned) {
		t.Fatalf("another owner over our name: %v", err)
	}
	// Removed: ours go, the foreign one stays.
	if err := p.Remove(ctx, "shop/web"); err != nil {
		t.Fatal(err)
	}
	for _, qtype := range []uint16{mdns.TypeA, mdns.TypeAAAA, mdns.TypeTXT} {
		if got := records(t, server, "shop.example.test.", qtype); len(got) != 0 {
			t.Fatalf("%s left after remove: %v", mdns.TypeToString[qtype], got)
		}
	}
	if got := records(t, server, "foreign.example.test.", mdns.TypeA); !slices.Equal(got, []string{"192.0.2.1"}) {
		t.Fatalf("the foreign record after remove: %v", got)
	}
}

func TestRFC2136WrongKeyIsAClearError(t *testing.T) {
	server := testenv.StartBIND(t, "example.test")
	p := &RFC2136{Server: server, Zones: []string{"example.test."}, KeyName: "navarkos", Secret: "d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXkhIQ=="}
	err := p.Sync(context.Background(), "shop/web", map[string][]netip.Addr{"shop.example.test": ips("127.1.0.1")}, 5)
	if err == nil || !strings.Contains(err.Error(), `update shop.example.test.`) || !strings.Contains(err.Error(), `refused TSIG key "navarkos"`) {
		t.Fatalf("a wrong key: %v, want an error naming the update", err)
	}
	t.Logf("with a wrong key: %v", err)
	if got := records(t, server, "shop.example.test.", mdns.TypeA); len(got) != 0 {
		t.Fatalf("records made with a wrong key: %v", got)
	}
}

// TestRFC2136UpdatesEachZone: with several zones, each name is updated in the closest zone
// that holds it, on one primary; a name in none is refused, naming the zones; the apexes are
// the zones' own.
func TestRFC2136UpdatesEachZone(t *testing.T) {
	server := testenv.StartBIND(t, "example.test", "shop.example.org")
	ctx := context.Background()
	p := &RFC2136{Server: server, Zones: []string{"example.test.", "shop.example.org."}, KeyName: "navarkos", Secret: testenv.BINDKey}
	hosts := map[string][]netip.Addr{"www.example.test": ips("127.1.0.1"), "app.shop.example.org": ips("127.1.0.2")}
	if err := p.Sync(ctx, "shop/web", hosts, 5); err != nil {
		t.Fatal(err)
	}
	if got := records(t, server, "www.example.test.", mdns.TypeA); !slices.Equal(got, []string{"127.1.0.1"}) {
		t.Errorf("www.example.test A: %v", got)
	}
	if got := records(t, server, "app.shop.example.org.", mdns.TypeA); !slices.Equal(got, []string{"127.1.0.2"}) {
		t.Errorf("app.shop.example.org A: %v", got)
	}
	err := p.Sync(ctx, "shop/web", map[string][]netip.Addr{"www.example.org": ips("127.1.0.3")}, 5)
	if err == nil || !strings.Contains(err.Error(), "www.example.org. is outside the zones example.test., shop.example.org.") {
		t.Errorf("a name in no zone: %v, want it refused naming the zones", err)
	}
	if z, ok := p.ZoneOf("a.b.shop.example.org"); !ok || z != "shop.example.org." {
		t.Errorf("ZoneOf(a.b.shop.example.org) = %q, %v", z, ok)
	}
	if !p.Apex("shop.example.org") || p.Apex("app.shop.example.org") {
		t.Error("Apex: want the zones' apexes only")
	}
	if err := p.Remove(ctx, "shop/web"); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"www.example.test.", "app.shop.example.org."} {
		if got := records(t, server, name, mdns.TypeA); len(got) != 0 {
			t.Errorf("%s left after remove: %v", name, got)
		}
	}
}

// TestRFC2136FailuresSayWhatToDo: a zone the primary does not serve, and a primary that does
// not answer, each fail with an error that says what to check.
func TestRFC2136FailuresSayWhatToDo(t *testing.T) {
	server := testenv.StartBIND(t, "example.test")
	ctx := context.Background()
	p := &RFC2136{Server: server, Zones: []string{"example.test.", "elsewhere.test."}, KeyName: "navarkos", Secret: testenv.BINDKey}
	err := p.Sync(ctx, "shop/web", map[string][]netip.Addr{"www.elsewhere.test": ips("127.1.0.1")}, 5)
	if err == nil || !strings.Contains(err.Error(), "it does not serve zone elsewhere.test. (name its zones with --rfc2136-zone)") {
		t.Errorf("a zone the primary does not serve: %v", err)
	}
	gone := &RFC2136{Server: fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t)), Zones: []string{"example.test."}, KeyName: "navarkos", Secret: testenv.BINDKey, Timeout: time.Second}
	err = gone.Sync(ctx, "shop/web", map[string][]netip.Addr{"www.example.test": ips("127.1.0.1")}, 5)
	if err == nil || !strings.Contains(err.Error(), "did not answer for www.example.test. (check --rfc2136-server, and that the server is up)") {
		t.Errorf("a primary that does not answer: %v", err)
	}
}
