// Command dnsqps measures how many queries per second the embedded DNS server answers, as
// shipped (response-rate limiting on, default limits) and with the limiter off, against
// CoreDNS serving the same records from a zone file, with dnsperf (Debian package dnsperf)
// as the load from one loopback address, runs alternating between the three. The questions
// are an A and an AAAA for each host: a resolver farm's mix of many names, not one name
// asked without end, which the limiter is there to stop. CoreDNS is built for this
// benchmark alone: go build -C bench/dnsqps/coredns -o ../../../bin/coredns github.com/coredns/coredns
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/navarkos/navarkos/bench/internal/stats"
	"github.com/navarkos/navarkos/internal/dns"
)

func main() {
	coredns := flag.String("coredns", "bin/coredns", "CoreDNS binary")
	hosts := flag.Int("hosts", 2000, "hosts in the zone, each with 3 addresses")
	duration := flag.Duration("duration", 10*time.Second, "length of one dnsperf run")
	runs := flag.Int("runs", 3, "runs of each server; the median is reported")
	flag.Parse()
	if err := run(*coredns, *hosts, *duration, *runs); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(coredns string, hosts int, duration time.Duration, runs int) error {
	dir, err := os.MkdirTemp("", "dnsqps")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	zone := &dns.Zone{Origin: "navarkos.local.", Serial: 1, NS: []string{"ns1.navarkos.local."}, Admin: "hostmaster.navarkos.local.",
		TTL: 60, NegativeTTL: 5, Hosts: map[string]dns.Host{},
		Glue: map[string][]netip.Addr{"ns1.navarkos.local.": {netip.MustParseAddr("127.0.0.1")}}}
	var queries, zoneFile strings.Builder
	zoneFile.WriteString("$ORIGIN navarkos.local.\n@ 60 IN SOA ns1.navarkos.local. hostmaster.navarkos.local. 1 60 30 86400 5\n@ 60 IN NS ns1.navarkos.local.\nns1 60 IN A 127.0.0.1\n")
	for i := range hosts {
		name := fmt.Sprintf("shop-%d.navarkos.local.", i)
		var targets []dns.Target
		for c := range 3 {
			addr := netip.AddrFrom4([4]byte{127, byte(1 + i/256), byte(i % 256), byte(c + 1)})
			targets = append(targets, dns.Target{Cluster: fmt.Sprintf("c%d", c), Addresses: []netip.Addr{addr}, Healthy: true})
			fmt.Fprintf(&zoneFile, "%s 5 IN A %s\n", name, addr)
		}
		zone.Hosts[name] = dns.Host{TTL: 5, Targets: targets}
		fmt.Fprintf(&queries, "%s A\n%[1]s AAAA\n", strings.TrimSuffix(name, "."))
	}
	queryFile := filepath.Join(dir, "queries")
	if err := os.WriteFile(queryFile, []byte(queries.String()), 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "navarkos.local.zone"), []byte(zoneFile.String()), 0o600); err != nil {
		return err
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	shipped := &dns.Server{Addr: "127.0.0.1:0", RateLimit: &dns.RateLimiter{RateLimits: dns.DefaultRateLimits()}}
	unlimited := &dns.Server{Addr: "127.0.0.1:0"}
	for _, s := range []*dns.Server{shipped, unlimited} {
		s.SetZones(zone)
		if err := s.Start(ctx); err != nil {
			return err
		}
		defer s.Stop()
	}

	port, err := freePort()
	if err != nil {
		return err
	}
	corefile := fmt.Sprintf("navarkos.local.:%d {\n  bind 127.0.0.1\n  file %s navarkos.local.\n}\n", port, filepath.Join(dir, "navarkos.local.zone"))
	if err := os.WriteFile(filepath.Join(dir, "Corefile"), []byte(corefile), 0o600); err != nil {
		return err
	}
	cmd := exec.Command(coredns, "-conf", filepath.Join(dir, "Corefile"), "-quiet")
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("failed to start CoreDNS (%s): %w", coredns, err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	coreAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	if err := waitAnswering(coreAddr); err != nil {
		return err
	}

	servers := []struct {
		name, addr string
		qps        []float64
	}{
		{name: "navarkos embedded server, as shipped (rate limiting on)", addr: shipped.BoundAddr()},
		{name: "navarkos embedded server, rate limiting off", addr: unlimited.BoundAddr()},
		{name: "CoreDNS (file plugin, baseline)", addr: coreAddr},
	}
	for range runs {
		for i := range servers {
			q, err := dnsperf(servers[i].addr, queryFile, duration)
			if err != nil {
				return err
			}
			servers[i].qps = append(servers[i].qps, q)
		}
	}
	baseline := stats.Median(servers[2].qps)
	fmt.Printf("| server (%d hosts × 3 A records, %d questions, dnsperf %s × %d) | queries/s (median) | ratio to CoreDNS | runs |\n|---|---|---|---|\n", hosts, 2*hosts, duration, runs)
	for _, s := range servers {
		m := stats.Median(s.qps)
		fmt.Printf("| %s | %.0f | %.2f× | %s |\n", s.name, m, m/baseline, list(s.qps))
	}
	return nil
}

var qpsLine = regexp.MustCompile(`Queries per second:\s+([0-9.]+)`)

// dnsperf loads a server for a while and returns its queries per second.
func dnsperf(addr, queries string, d time.Duration) (float64, error) {
	host, port, _ := net.SplitHostPort(addr)
	out, err := exec.Command("dnsperf", "-s", host, "-p", port, "-d", queries, "-l", strconv.Itoa(int(d.Seconds())), "-c", "8", "-q", "200").CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("dnsperf against %s: %w\n%s", addr, err, out)
	}
	m := qpsLine.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("dnsperf printed no rate:\n%s", out)
	}
	return strconv.ParseFloat(string(m[1]), 64)
}

func waitAnswering(addr string) error {
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			_ = c.Close()
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("CoreDNS did not listen on %s within 20s", addr)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func list(xs []float64) string {
	var parts []string
	for _, x := range xs {
		parts = append(parts, strconv.FormatFloat(x, 'f', 0, 64))
	}
	return strings.Join(parts, ", ")
}
