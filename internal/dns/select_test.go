package dns

import (
	"net/netip"
	"slices"
	"testing"
)

func target(cluster, region, addr string, healthy bool, weight int64) Target {
	return Target{Cluster: cluster, Region: region, Addresses: []netip.Addr{netip.MustParseAddr(addr)}, Healthy: healthy, Weight: weight}
}

func strs(addrs []netip.Addr) []string {
	out := make([]string, len(addrs))
	for i, a := range addrs {
		out[i] = a.String()
	}
	return out
}

var geo = &GeoTable{
	Prefixes: []GeoPrefix{
		{netip.MustParsePrefix("10.0.0.0/8"), "us-east"},
		{netip.MustParsePrefix("10.2.0.0/16"), "eu-west"},
		{netip.MustParsePrefix("10.3.0.0/16"), "ap-south"},
		{netip.MustParsePrefix("2001:db8::/32"), "eu-west"},
	},
	Nearest: map[string][]string{"eu-west": {"us-east", "ap-south"}, "ap-south": {"eu-west", "us-east"}},
}

func TestSelect(t *testing.T) {
	us := target("us", "us-east", "127.0.10.1", true, 1)
	eu := target("eu", "eu-west", "127.0.20.1", true, 1)
	ap := target("ap", "ap-south", "127.0.30.1", true, 1)
	down := func(t Target) Target { t.Healthy = false; return t }
	tests := []struct {
		name    string
		targets []Target
		policy  Policy
		client  string
		want    []string
	}{
		{"round robin: every healthy target, by cluster", []Target{us, eu, ap}, Policy{Strategy: RoundRobin}, "", []string{"127.0.30.1", "127.0.20.1", "127.0.10.1"}},
		{"round robin: an unhealthy target leaves", []Target{us, down(eu), ap}, Policy{Strategy: RoundRobin}, "", []string{"127.0.30.1", "127.0.10.1"}},
		{"no healthy target: fail open with all", []Target{down(us), down(eu)}, Policy{Strategy: RoundRobin}, "", []string{"127.0.10.1", "127.0.20.1"}},
		{"a target without addresses is skipped", []Target{{Cluster: "x", Healthy: true}, us}, Policy{}, "", []string{"127.0.10.1"}},
		{"failover: the first listed region with a healthy target", []Target{us, eu, ap}, Policy{Strategy: Failover, FailoverRegions: []string{"eu-west", "us-east"}}, "", []string{"127.0.20.1"}},
		{"failover: the next region when the first is down", []Target{us, down(eu), ap}, Policy{Strategy: Failover, FailoverRegions: []string{"eu-west", "us-east"}}, "", []string{"127.0.10.1"}},
		{"failover: no listed region is up, the others answer", []Target{down(us), down(eu), ap}, Policy{Strategy: Failover, FailoverRegions: []string{"eu-west", "us-east"}}, "", []string{"127.0.30.1"}},
		{"geo: the client's own region", []Target{us, eu, ap}, Policy{Strategy: Geo}, "eu-west", []string{"127.0.20.1"}},
		{"geo: the nearest region when the client's is down", []Target{us, down(eu), ap}, Policy{Strategy: Geo}, "eu-west", []string{"127.0.10.1"}},
		{"geo: a region without neighbours falls back to all healthy", []Target{us, ap}, Policy{Strategy: Geo}, "sa-east", []string{"127.0.30.1", "127.0.10.1"}},
		{"geo: an unknown client gets every healthy target", []Target{us, eu}, Policy{Strategy: Geo}, "", []string{"127.0.20.1", "127.0.10.1"}},
		{"weighted: only weight counts, 0 never answers while another can", []Target{us, {Cluster: "eu", Region: "eu-west", Addresses: eu.Addresses, Healthy: true}}, Policy{Strategy: Weighted}, "", []string{"127.0.10.1"}},
		{"weighted: all weights 0 answers every healthy target", []Target{{Cluster: "a", Addresses: us.Addresses, Healthy: true}, {Cluster: "b", Addresses: eu.Addresses, Healthy: true}}, Policy{Strategy: Weighted}, "", []string{"127.0.10.1", "127.0.20.1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := strs(Select(tt.targets, tt.policy, geo, tt.client, 7))
			if !slices.Equal(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// TestWeightedShares draws many answers: each target's share follows its weight, and an
// unhealthy target gets none.
func TestWeightedShares(t *testing.T) {
	targets := []Target{target("a", "", "127.0.0.1", true, 1), target("b", "", "127.0.0.2", true, 3), target("c", "", "127.0.0.3", false, 100)}
	counts := map[string]int{}
	for draw := range uint64(4000) {
		got := Select(targets, Policy{Strategy: Weighted}, nil, "", draw)
		if len(got) != 1 {
			t.Fatalf("draw %d: %v, want one target", draw, got)
		}
		counts[got[0].String()]++
	}
	if counts["127.0.0.3"] != 0 {
		t.Fatalf("the unhealthy target was answered %d times", counts["127.0.0.3"])
	}
	if share := float64(counts["127.0.0.2"]) / 4000; share < 0.70 || share > 0.80 {
		t.Fatalf("weight 3 of 4 got %.3f of the answers, want about 0.75", share)
	}
}

func TestGeoRegionOf(t *testing.T) {
	for addr, want := range map[string]string{
		"10.1.2.3": "us-east", "10.2.9.9": "eu-west", "10.3.0.1": "ap-south", "192.0.2.1": "",
		"2001:db8::1": "eu-west", "::ffff:10.2.0.1": "eu-west",
	} {
		if got := geo.RegionOf(netip.MustParseAddr(addr)); got != want {
			t.Errorf("%s: %q, want %q", addr, got, want)
		}
	}
}
