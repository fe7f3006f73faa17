package options

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/navarkos/navarkos/internal/dns"
	"github.com/navarkos/navarkos/internal/setup"
)

// dnsOptions parses args as the DNS flags and turns them into the controllers' options.
func dnsOptions(t *testing.T, args ...string) (setup.DNSOptions, error) {
	t.Helper()
	var d DNS
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	d.AddFlags(fs, "127.0.0.1:5353")
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return d.Options()
}

func parseDNS(t *testing.T, args ...string) (*dns.RateLimiter, error) {
	t.Helper()
	opts, err := dnsOptions(t, args...)
	return opts.RateLimit, err
}

// TestRateLimitFlags: the server ships with BIND-style limits, each flag changes its own,
// bad values are refused by name, and all rates at zero turn the limiter off.
func TestRateLimitFlags(t *testing.T) {
	l, err := parseDNS(t)
	if err != nil || l == nil || l.RateLimits.ResponsesPerSecond != dns.DefaultRateLimits().ResponsesPerSecond || l.Window != dns.DefaultRateLimits().Window {
		t.Fatalf("defaults: %+v, %v", l, err)
	}
	l, err = parseDNS(t, "--dns-rrl-responses-per-second=50", "--dns-rrl-slip=0", "--dns-rrl-exempt=10.1.2.3/16,2001:db8::/32")
	if err != nil || l.ResponsesPerSecond != 50 || l.Slip != 0 || len(l.Exempt) != 2 || l.Exempt[0] != netip.MustParsePrefix("10.1.0.0/16") {
		t.Fatalf("set: %+v, %v", l, err)
	}
	for flag, want := range map[string]string{
		"--dns-rrl-window=1ms":               "--dns-rrl-window",
		"--dns-rrl-slip=-1":                  "--dns-rrl-slip",
		"--dns-rrl-errors-per-second=-3":     "may not be negative",
		"--dns-rrl-ipv4-prefix-length=33":    "--dns-rrl-ipv4-prefix-length",
		"--dns-rrl-ipv6-prefix-length=0":     "--dns-rrl-ipv6-prefix-length",
		"--dns-rrl-exempt=resolvers.example": "--dns-rrl-exempt",
	} {
		if _, err := parseDNS(t, flag); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one naming %q", flag, err, want)
		}
	}
	l, err = parseDNS(t, "--dns-rrl-responses-per-second=0", "--dns-rrl-nxdomains-per-second=0", "--dns-rrl-errors-per-second=0")
	if err != nil || l != nil {
		t.Fatalf("all rates 0: %+v, %v; want the limiter off", l, err)
	}
}

// TestZoneFlags: navarkos.local. is the zone by default; --dns-zone, repeated, names the zones
// instead, made canonical; a name that is not a zone, the root, a wildcard or a zone given
// twice is refused by name.
func TestZoneFlags(t *testing.T) {
	zones := func(args ...string) ([]string, error) {
		opts, err := dnsOptions(t, args...)
		return opts.Zones, err
	}
	if got, err := zones(); err != nil || strings.Join(got, ",") != "navarkos.local." {
		t.Errorf("default zones %v, %v; want navarkos.local.", got, err)
	}
	if got, err := zones("--dns-zone", "Shop.Example.com", "--dns-zone", "navarkos.local."); err != nil || strings.Join(got, ",") != "shop.example.com.,navarkos.local." {
		t.Errorf("zones %v, %v; want shop.example.com. and navarkos.local.", got, err)
	}
	for _, bad := range [][]string{{"--dns-zone", "."}, {"--dns-zone", "*.example.com"}, {"--dns-zone", "a..b"}, {"--dns-zone", "example.com", "--dns-zone", "EXAMPLE.com."}} {
		if _, err := zones(bad...); err == nil || !strings.Contains(err.Error(), "--dns-zone") {
			t.Errorf("%v: %v, want an error naming --dns-zone", bad, err)
		}
	}
}

// TestRFC2136ZonesFollowTheDNSZones: the RFC 2136 publisher updates the --dns-zone zones
// unless --rfc2136-zone, repeatable, names its own; it needs its TSIG key either way.
func TestRFC2136ZonesFollowTheDNSZones(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "tsig")
	if err := os.WriteFile(secret, []byte("c2VjcmV0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	rfc := func(args ...string) ([]string, error) {
		opts, err := dnsOptions(t, append([]string{"--rfc2136-server", "127.0.0.1:53", "--rfc2136-tsig-key-name", "k"}, args...)...)
		if err != nil {
			return nil, err
		}
		return opts.RFC2136.Zones, nil
	}
	if got, err := rfc("--rfc2136-tsig-secret-file", secret, "--dns-zone", "shop.example.com", "--dns-zone", "navarkos.local."); err != nil || strings.Join(got, ",") != "shop.example.com.,navarkos.local." {
		t.Errorf("without --rfc2136-zone: %v, %v; want the --dns-zone zones", got, err)
	}
	if got, err := rfc("--rfc2136-tsig-secret-file", secret, "--rfc2136-zone", "a.example.com", "--rfc2136-zone", "b.example.com."); err != nil || strings.Join(got, ",") != "a.example.com.,b.example.com." {
		t.Errorf("with --rfc2136-zone twice: %v, %v", got, err)
	}
	if _, err := rfc("--rfc2136-tsig-secret-file", secret, "--rfc2136-zone", "*.example.com"); err == nil || !strings.Contains(err.Error(), "--rfc2136-zone") {
		t.Errorf("a wildcard zone: %v, want an error naming --rfc2136-zone", err)
	}
	if _, err := rfc(); err == nil || !strings.Contains(err.Error(), "--rfc2136-tsig-secret-file") {
		t.Errorf("without the TSIG secret: %v", err)
	}
}
