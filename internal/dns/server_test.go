package dns

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"runtime"
	"testing"
	"time"

	mdns "github.com/miekg/dns"
	. "github.com/onsi/gomega"
)

// startServer serves the zones on a free loopback port until the test ends.
func startServer(t *testing.T, s *Server, zones ...*Zone) string {
	t.Helper()
	s.Addr = "127.0.0.1:0"
	s.SetZones(zones...)
	ctx, cancel := context.WithCancel(context.Background())
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		s.Stop()
	})
	return s.BoundAddr()
}

func exchange(t *testing.T, net, addr string, m *mdns.Msg) *mdns.Msg {
	t.Helper()
	c := &mdns.Client{Net: net, Timeout: 5 * time.Second}
	resp, _, err := c.Exchange(m, addr)
	if err != nil {
		t.Fatalf("%s query %s: %v", net, m.Question[0].Name, err)
	}
	return resp
}

func query(name string, qtype uint16) *mdns.Msg {
	m := new(mdns.Msg)
	m.SetQuestion(name, qtype)
	m.RecursionDesired = false
	return m
}

func TestServerAnswersOverUDPAndTCP(t *testing.T) {
	addr := startServer(t, &Server{}, testZone())
	for _, proto := range []string{"udp", "tcp"} {
		resp := exchange(t, proto, addr, query("shop.navarkos.local.", mdns.TypeA))
		if !resp.Authoritative || resp.Rcode != mdns.RcodeSuccess || len(resp.Answer) != 2 {
			t.Fatalf("%s: %v", proto, resp)
		}
	}
	if resp := exchange(t, "udp", addr, query("nope.navarkos.local.", mdns.TypeA)); resp.Rcode != mdns.RcodeNameError || len(resp.Ns) != 1 {
		t.Fatalf("NXDOMAIN: %v", resp)
	}
	if resp := exchange(t, "udp", addr, query("example.org.", mdns.TypeA)); resp.Rcode != mdns.RcodeRefused || resp.Authoritative {
		t.Fatalf("outside the zones: %v", resp)
	}
}

// bigZone has a host with 100 IPv4 targets: 1,600 bytes of answers, more than 512.
func bigZone() *Zone {
	z := testZone()
	var targets []Target
	for i := range 100 {
		targets = append(targets, target(fmt.Sprintf("c%03d", i), "us-east", fmt.Sprintf("127.1.0.%d", i+1), true, 1))
	}
	z.Hosts["big.navarkos.local."] = Host{TTL: 5, Targets: targets}
	return z
}

func TestTruncationAndEDNS0(t *testing.T) {
	addr := startServer(t, &Server{}, bigZone())
	plain := exchange(t, "udp", addr, query("big.navarkos.local.", mdns.TypeA))
	plain.Compress = true // as it was on the wire
	if !plain.Truncated || plain.Len() > 512 {
		t.Fatalf("over UDP without EDNS0: truncated %v, %d bytes; want TC within 512", plain.Truncated, plain.Len())
	}
	full := exchange(t, "tcp", addr, query("big.navarkos.local.", mdns.TypeA))
	if full.Truncated || len(full.Answer) != 100 {
		t.Fatalf("over TCP: truncated %v, %d answers; want all 100", full.Truncated, len(full.Answer))
	}
	m := query("big.navarkos.local.", mdns.TypeA)
	m.SetEdns0(4096, false)
	edns := exchange(t, "udp", addr, m)
	edns.Compress = true
	if edns.IsEdns0() == nil || edns.IsEdns0().UDPSize() != ednsSize || edns.Len() > ednsSize {
		t.Fatalf("EDNS0 answer: OPT %v, %d bytes; want an OPT of %d and no more bytes", edns.IsEdns0(), edns.Len(), ednsSize)
	}
	if !edns.Truncated && len(edns.Answer) != 100 {
		t.Fatalf("EDNS0: %d answers and not truncated", len(edns.Answer))
	}
	bad := query("shop.navarkos.local.", mdns.TypeA)
	bad.SetEdns0(1232, false)
	bad.IsEdns0().SetVersion(1)
	if resp := exchange(t, "udp", addr, bad); resp.Rcode != mdns.RcodeBadVers {
		t.Fatalf("EDNS version 1: rcode %s, want BADVERS", mdns.RcodeToString[resp.Rcode])
	}
}

func TestClientSubnetPicksTheGeoRegion(t *testing.T) {
	z := testZone()
	z.Hosts["shop.navarkos.local."] = Host{TTL: 5, Policy: Policy{Strategy: Geo}, Targets: []Target{
		target("us", "us-east", "127.0.10.1", true, 1), target("eu", "eu-west", "127.0.20.1", true, 1),
	}}
	s := &Server{}
	s.SetGeo(geo)
	addr := startServer(t, s, z)
	ask := func(subnet string) string {
		m := query("shop.navarkos.local.", mdns.TypeA)
		m.SetEdns0(1232, false)
		p := netip.MustParsePrefix(subnet)
		m.IsEdns0().Option = append(m.IsEdns0().Option, &mdns.EDNS0_SUBNET{Code: mdns.EDNS0SUBNET, Family: 1, SourceNetmask: uint8(p.Bits()), Address: net.IP(p.Addr().AsSlice())})
		resp := exchange(t, "udp", addr, m)
		if len(resp.Answer) != 1 {
			t.Fatalf("subnet %s: %v", subnet, resp.Answer)
		}
		return resp.Answer[0].(*mdns.A).A.String()
	}
	if got := ask("10.2.3.0/24"); got != "127.0.20.1" {
		t.Fatalf("an eu-west client got %s", got)
	}
	if got := ask("10.9.0.0/24"); got != "127.0.10.1" {
		t.Fatalf("a us-east client got %s", got)
	}
}

func TestZoneTransfer(t *testing.T) {
	z := testZone()
	addr := startServer(t, &Server{}, z)
	tr := new(mdns.Transfer)
	m := new(mdns.Msg)
	m.SetAxfr("navarkos.local.")
	envelopes, err := tr.In(m, addr)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for e := range envelopes {
		if e.Error != nil {
			t.Fatal(e.Error)
		}
		for _, rr := range e.RR {
			got = append(got, rr.String())
		}
	}
	want := z.Transfer()
	if len(got) != len(want) {
		t.Fatalf("AXFR gave %d records, want %d:\n%v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i].String() {
			t.Fatalf("record %d: %s, want %s", i, got[i], want[i])
		}
	}
	udp := new(mdns.Msg)
	udp.SetAxfr("navarkos.local.")
	if resp := exchange(t, "udp", addr, udp); resp.Rcode != mdns.RcodeRefused {
		t.Fatalf("AXFR over UDP: %s, want REFUSED", mdns.RcodeToString[resp.Rcode])
	}
}

func TestTransferOnlyToAllowedNetworks(t *testing.T) {
	s := &Server{TransferFrom: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}}
	addr := startServer(t, s, testZone())
	m := new(mdns.Msg)
	m.SetAxfr("navarkos.local.")
	if resp := exchange(t, "tcp", addr, m); resp.Rcode != mdns.RcodeRefused {
		t.Fatalf("AXFR from loopback when only 192.0.2.0/24 may: %s", mdns.RcodeToString[resp.Rcode])
	}
}

// TestNotifyOnSerialChange: a secondary hears a NOTIFY for a zone when its serial changes,
// and not when the same zone is set again.
func TestNotifyOnSerialChange(t *testing.T) {
	got := make(chan string, 10)
	secondary := &mdns.Server{Addr: "127.0.0.1:0", Net: "udp", Handler: mdns.HandlerFunc(func(w mdns.ResponseWriter, r *mdns.Msg) {
		if r.Opcode == mdns.OpcodeNotify && len(r.Question) == 1 {
			got <- r.Question[0].Name
		}
		resp := new(mdns.Msg)
		resp.SetReply(r)
		_ = w.WriteMsg(resp)
	})}
	started := make(chan struct{})
	secondary.NotifyStartedFunc = func() { close(started) }
	go func() { _ = secondary.ListenAndServe() }()
	<-started
	t.Cleanup(func() { _ = secondary.Shutdown() })

	s := &Server{NotifyTo: []string{secondary.PacketConn.LocalAddr().String()}}
	z := testZone()
	s.SetZones(z)
	expectNotify(t, got, "navarkos.local.")
	s.SetZones(z) // same serial: nothing
	changed := *z
	changed.Serial++
	s.SetZones(&changed)
	expectNotify(t, got, "navarkos.local.")
	// Two SetZones with a new serial: exactly two notifies, none for the repeated one.
	select {
	case name := <-got:
		t.Fatalf("an extra NOTIFY for %s", name)
	case <-time.After(500 * time.Millisecond):
	}
}

func expectNotify(t *testing.T, got chan string, zone string) {
	t.Helper()
	select {
	case name := <-got:
		if name != zone {
			t.Fatalf("NOTIFY for %s, want %s", name, zone)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("no NOTIFY for %s within 5s", zone)
	}
}

// manyHostsZone is a zone of many hosts, whose transfer takes many messages.
func manyHostsZone(hosts int) *Zone {
	z := testZone()
	for i := range hosts {
		z.Hosts[fmt.Sprintf("h%d.navarkos.local.", i)] = Host{TTL: 5, Targets: []Target{target("us", "us-east", fmt.Sprintf("127.0.%d.%d", i/250, i%250+1), true, 1)}}
	}
	return z
}

// TestAbortedTransferLeavesNothing: a client that asks for a transfer and goes away after
// the first message ends the transfer; Stop then returns and no handler goroutine is left.
func TestAbortedTransferLeavesNothing(t *testing.T) {
	g := NewWithT(t)
	before := runtime.NumGoroutine()
	s := &Server{Addr: "127.0.0.1:0"}
	s.SetZones(manyHostsZone(20000))
	g.Expect(s.Start(context.Background())).To(Succeed())
	for range 3 {
		conn, err := net.Dial("tcp", s.BoundAddr())
		g.Expect(err).NotTo(HaveOccurred())
		c := &mdns.Conn{Conn: conn}
		m := new(mdns.Msg)
		m.SetAxfr("navarkos.local.")
		g.Expect(c.WriteMsg(m)).To(Succeed())
		first, err := c.ReadMsg()
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(first.Answer).NotTo(BeEmpty())
		g.Expect(conn.Close()).To(Succeed())
	}
	stopped := make(chan struct{})
	go func() { s.Stop(); close(stopped) }()
	g.Eventually(stopped, 30*time.Second).Should(BeClosed(), "waiting for Stop to return after aborted transfers")
	g.Eventually(runtime.NumGoroutine, 30*time.Second, 50*time.Millisecond).Should(BeNumerically("<=", before+2),
		"waiting for the transfer goroutines to end")
}

// TestTCPConnectionsAreCapped: connections past MaxTCPConns are closed at once, and a slot
// frees when a connection closes.
func TestTCPConnectionsAreCapped(t *testing.T) {
	g := NewWithT(t)
	addr := startServer(t, &Server{MaxTCPConns: 3}, testZone())
	var held []net.Conn
	for range 3 {
		conn, err := net.Dial("tcp", addr)
		g.Expect(err).NotTo(HaveOccurred())
		held = append(held, conn)
	}
	// The server may accept the fourth only after the first three, so ask over each.
	for _, conn := range held {
		c := &mdns.Conn{Conn: conn}
		g.Expect(c.WriteMsg(query("shop.navarkos.local.", mdns.TypeA))).To(Succeed())
		_, err := c.ReadMsg()
		g.Expect(err).NotTo(HaveOccurred(), "a connection within the cap is served")
	}
	extra, err := net.Dial("tcp", addr)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(extra.SetReadDeadline(time.Now().Add(10 * time.Second))).To(Succeed())
	_, err = extra.Read(make([]byte, 1))
	g.Expect(err).To(MatchError(io.EOF), "a connection over the cap is closed at once")
	g.Expect(held[0].Close()).To(Succeed())
	g.Eventually(func(g Gomega) {
		conn, err := net.Dial("tcp", addr)
		g.Expect(err).NotTo(HaveOccurred())
		defer conn.Close()
		c := &mdns.Conn{Conn: conn}
		g.Expect(c.SetReadDeadline(time.Now().Add(2 * time.Second))).To(Succeed())
		g.Expect(c.WriteMsg(query("shop.navarkos.local.", mdns.TypeA))).To(Succeed())
		_, err = c.ReadMsg()
		g.Expect(err).NotTo(HaveOccurred())
	}, 10*time.Second, 50*time.Millisecond).Should(Succeed(), "waiting for a freed slot to serve a new connection")
	for _, c := range held[1:] {
		_ = c.Close()
	}
}

// TestTCPConnectionsAreCappedPerNetwork: one client network that holds its share of TCP
// connections open gets no more, and a client of another network is still served.
func TestTCPConnectionsAreCappedPerNetwork(t *testing.T) {
	g := NewWithT(t)
	addr := startServer(t, &Server{MaxTCPConns: 8, MaxTCPConnsPerNetwork: 2}, testZone())
	dialFrom := func(local string) net.Conn {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}}
		conn, err := d.Dial("tcp", addr)
		g.Expect(err).NotTo(HaveOccurred())
		return conn
	}
	served := func(conn net.Conn) error {
		c := &mdns.Conn{Conn: conn}
		if err := c.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
			return err
		}
		if err := c.WriteMsg(query("shop.navarkos.local.", mdns.TypeA)); err != nil {
			return err
		}
		_, err := c.ReadMsg()
		return err
	}
	var held []net.Conn
	for range 2 {
		conn := dialFrom("127.0.0.1")
		g.Expect(served(conn)).To(Succeed(), "a connection within the network's share is served")
		held = append(held, conn)
	}
	extra := dialFrom("127.0.0.2") // the same /24
	g.Expect(extra.SetReadDeadline(time.Now().Add(10 * time.Second))).To(Succeed())
	_, err := extra.Read(make([]byte, 1))
	g.Expect(err).To(MatchError(io.EOF), "a third connection of the same network is closed at once")
	other := dialFrom("127.0.1.1") // another /24
	g.Expect(served(other)).To(Succeed(), "a client of another network is served while the first holds its share")
	for _, c := range append(held, other) {
		_ = c.Close()
	}
}
