package dnsquery

import (
	"bytes"
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/navarkos/navarkos/internal/dns"
)

func TestQueryAsksARealServer(t *testing.T) {
	s := &dns.Server{Addr: "127.0.0.1:0"}
	s.SetZones(&dns.Zone{Origin: "navarkos.local.", Serial: 1, NS: []string{"ns1.navarkos.local."}, Admin: "hostmaster.navarkos.local.", TTL: 60, NegativeTTL: 5,
		Hosts: map[string]dns.Host{"shop.navarkos.local.": {TTL: 5, Targets: []dns.Target{
			{Cluster: "eu", Addresses: []netip.Addr{netip.MustParseAddr("127.1.0.2")}, Healthy: true},
		}}}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	for _, tt := range []struct {
		args []string
		want []string
	}{
		{[]string{"query", "shop.navarkos.local", "--server", s.BoundAddr()}, []string{";; NOERROR", "authoritative true", "shop.navarkos.local.\t5\tIN\tA\t127.1.0.2"}},
		{[]string{"query", "nope.navarkos.local", "--server", s.BoundAddr(), "--tcp"}, []string{";; NXDOMAIN", ";; AUTHORITY", "SOA"}},
		{[]string{"query", "navarkos.local", "--server", s.BoundAddr(), "-t", "AXFR"}, []string{"SOA", "127.1.0.2"}},
	} {
		cmd := NewCommand()
		var out bytes.Buffer
		cmd.SetOut(&out)
		cmd.SetArgs(tt.args)
		if err := cmd.Execute(); err != nil {
			t.Fatalf("%v: %v", tt.args, err)
		}
		for _, w := range tt.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%v: output lacks %q:\n%s", tt.args, w, out.String())
			}
		}
	}
}
