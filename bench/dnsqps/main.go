// Command dnsqps measures how many queries per second the embedded DNS server answers,
// against CoreDNS serving the same records from a zone file, with dnsperf (Debian package
// dnsperf) as the load, runs alternating between the two. CoreDNS is built for this
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
	hosts := flag.Int("hosts", 100, "hosts in the zone, each with 3 addresses")
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
			addr := netip.AddrFrom4([4]byte{127, 1, byte(i), byte(c + 1)})
			targets = append(targets, dns.Target{Cluster: fmt.Sprintf("c%d", c), Addresses: []netip.Addr{addr}, Healthy: true})
			fmt.Fprintf(&zoneFile, "%s 5 IN A %s\n", name, addr)
		}
		zone.Hosts[name] = dns.Host{TTL: 5, Targets: targets}
		fmt.Fprintf(&queries, "%s A\n", strings.TrimSuffix(name, "."))
	}
	queryFile := filepath.Join(dir, "queries")
	if err := os.WriteFile(queryFile, []byte(queries.String()), 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "navarkos.local.zone"), []byte(zoneFile.String()), 0o600); err != nil {
		return err
	}

	server := &dns.Server{Addr: "127.0.0.1:0"}
	server.SetZones(zone)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := server.Start(ctx); err != nil {
		return err
	}
	defer server.Stop()

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

	var ours, theirs []float64
	for range runs {
		q, err := dnsperf(server.BoundAddr(), queryFile, duration)
		if err != nil {
			return err
		}
		ours = append(ours, q)
		q, err = dnsperf(coreAddr, queryFile, duration)
		if err != nil {
			return err
		}
		theirs = append(theirs, q)
	}
	o, t := stats.Median(ours), stats.Median(theirs)
	fmt.Printf("| server (%d hosts × 3 A records, dnsperf %s × %d) | queries/s (median) | runs |\n|---|---|---|\n", hosts, duration, runs)
	fmt.Printf("| navarkos embedded server | %.0f | %s |\n", o, list(ours))
	fmt.Printf("| CoreDNS (file plugin, baseline) | %.0f | %s |\n", t, list(theirs))
	fmt.Printf("| ratio | %.2f× | |\n", o/t)
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
