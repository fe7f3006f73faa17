package dns

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	mdns "github.com/miekg/dns"
)

// testKey is the TSIG key the test's BIND accepts updates with.
const testKey = "bmF2YXJrb3MtdGVzdC1rZXktb2YtMzItYnl0ZXMhISE="

// startBIND runs a real BIND (named) on a free loopback port, primary for example.test with
// dynamic updates allowed by TSIG key "navarkos", and one record of someone else.
func startBIND(t *testing.T) string {
	t.Helper()
	named, err := exec.LookPath("named")
	if err != nil {
		named = "/usr/sbin/named"
		if _, err := os.Stat(named); err != nil {
			t.Fatal("BIND's named is needed for the RFC 2136 tests: apt-get install bind9 (.ci/run does)")
		}
	}
	dir := t.TempDir()
	port := freePort(t)
	zone := `$TTL 60
@ IN SOA ns1.example.test. hostmaster.example.test. 1 60 30 86400 5
@ IN NS ns1.example.test.
ns1 IN A 127.0.0.1
foreign IN A 192.0.2.1
`
	conf := fmt.Sprintf(`options {
	directory "%[1]s";
	listen-on port %[2]d { 127.0.0.1; };
	listen-on-v6 { none; };
	pid-file "%[1]s/named.pid";
	session-keyfile "%[1]s/session.key";
	managed-keys-directory "%[1]s";
	recursion no;
	dnssec-validation no;
	allow-transfer { any; };
};
key "navarkos" { algorithm hmac-sha256; secret "%[3]s"; };
controls { };
zone "example.test" { type primary; file "%[1]s/example.test.zone"; allow-update { key "navarkos"; }; };
`, dir, port, testKey)
	if err := os.WriteFile(filepath.Join(dir, "example.test.zone"), []byte(zone), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "named.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(named, "-g", "-c", filepath.Join(dir, "named.conf"))
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	addr := net.JoinHostPort("127.0.0.1", fmt.Sprint(port))
	deadline := time.Now().Add(30 * time.Second)
	for {
		m := new(mdns.Msg)
		m.SetQuestion("example.test.", mdns.TypeSOA)
		if resp, _, err := (&mdns.Client{Net: "tcp", Timeout: time.Second}).Exchange(m, addr); err == nil && resp.Rcode == mdns.RcodeSuccess {
			return addr
		}
		select {
		case <-exited:
			t.Fatalf("named exited:\n%s", logs.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("named did not answer for example.test within 30s:\n%s", logs.String())
		}
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

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
	server := startBIND(t)
	ctx := context.Background()
	p := &RFC2136{Server: server, Zone: "example.test.", KeyName: "navarkos", Secret: testKey}

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
	server := startBIND(t)
	p := &RFC2136{Server: server, Zone: "example.test.", KeyName: "navarkos", Secret: "d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXkhIQ=="}
	err := p.Sync(context.Background(), "shop/web", map[string][]netip.Addr{"shop.example.test": ips("127.1.0.1")}, 5)
	if err == nil || !strings.Contains(err.Error(), `update shop.example.test.`) || !strings.Contains(err.Error(), `refused TSIG key "navarkos"`) {
		t.Fatalf("a wrong key: %v, want an error naming the update", err)
	}
	t.Logf("with a wrong key: %v", err)
	if got := records(t, server, "shop.example.test.", mdns.TypeA); len(got) != 0 {
		t.Fatalf("records made with a wrong key: %v", got)
	}
}
