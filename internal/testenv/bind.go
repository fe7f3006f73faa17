package testenv

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	mdns "github.com/miekg/dns"
)

// BINDKey is the TSIG key the test's BIND accepts updates with.
const BINDKey = "bmF2YXJrb3MtdGVzdC1rZXktb2YtMzItYnl0ZXMhISE="

// StartBIND runs a real BIND (named) on a free loopback port, primary for each zone (e.g.
// example.test) with dynamic updates allowed by TSIG key "navarkos", and one record of
// someone else in each: foreign.<zone> A 192.0.2.1.
func StartBIND(t *testing.T, zones ...string) string {
	t.Helper()
	named, err := exec.LookPath("named")
	if err != nil {
		named = "/usr/sbin/named"
		if _, err := os.Stat(named); err != nil {
			t.Fatal("BIND's named is needed for the RFC 2136 tests: apt-get install bind9 (.ci/run does)")
		}
	}
	if len(zones) == 0 {
		t.Fatal("StartBIND needs a zone")
	}
	dir := t.TempDir()
	port := FreePort(t)
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
`, dir, port, BINDKey)
	for i, zone := range zones {
		zone = strings.TrimSuffix(zone, ".")
		zoneFile := fmt.Sprintf(`$TTL 60
@ IN SOA ns1.%[1]s. hostmaster.%[1]s. 1 60 30 86400 5
@ IN NS ns1.%[1]s.
ns1 IN A 127.0.0.1
foreign IN A 192.0.2.1
`, zone)
		file := filepath.Join(dir, fmt.Sprintf("zone%d.db", i))
		if err := os.WriteFile(file, []byte(zoneFile), 0o644); err != nil {
			t.Fatal(err)
		}
		conf += fmt.Sprintf("zone %q { type primary; file %q; allow-update { key \"navarkos\"; }; };\n", zone, file)
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
		m.SetQuestion(mdns.Fqdn(zones[len(zones)-1]), mdns.TypeSOA)
		if resp, _, err := (&mdns.Client{Net: "tcp", Timeout: time.Second}).Exchange(m, addr); err == nil && resp.Rcode == mdns.RcodeSuccess {
			return addr
		}
		select {
		case <-exited:
			t.Fatalf("named exited:\n%s", logs.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("named did not answer for %s within 30s:\n%s", zones, logs.String())
		}
	}
}
