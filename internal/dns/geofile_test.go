package dns

import (
	"net/netip"
	"strings"
	"testing"
)

func TestParseGeoTable(t *testing.T) {
	g, err := ParseGeoTable([]byte("prefixes:\n  10.1.0.0/16: us-east\n  10.1.2.0/24: eu-west\n  2001:db8::/32: ap-south\nnearest:\n  eu-west: [us-east]\n"))
	if err != nil {
		t.Fatal(err)
	}
	for addr, want := range map[string]string{"10.1.9.9": "us-east", "10.1.2.3": "eu-west", "2001:db8::5": "ap-south", "192.0.2.1": ""} {
		if got := g.RegionOf(netip.MustParseAddr(addr)); got != want {
			t.Errorf("%s: %q, want %q", addr, got, want)
		}
	}
	if g.Nearest["eu-west"][0] != "us-east" {
		t.Errorf("nearest %v", g.Nearest)
	}
	for in, want := range map[string]string{
		"prefixes:\n  10.1.0.0/33: us-east\n": `"10.1.0.0/33" is not a CIDR`,
		"prefixes:\n  10.1.0.0/16: \"\"\n":    "10.1.0.0/16 has no region",
		"regions: {}\n":                       "does not parse",
	} {
		if _, err := ParseGeoTable([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", in, err, want)
		}
	}
}
