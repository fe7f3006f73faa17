package options

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/navarkos/navarkos/internal/dns"
)

func parseDNS(t *testing.T, args ...string) (*dns.RateLimiter, error) {
	t.Helper()
	var d DNS
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	d.AddFlags(fs, "127.0.0.1:5353")
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	opts, err := d.Options()
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
		var d DNS
		fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
		d.AddFlags(fs, "127.0.0.1:5353")
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		opts, err := d.Options()
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
