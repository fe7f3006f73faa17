package dns

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
)

// Strategy names how answers are chosen among healthy targets.
type Strategy string

const (
	RoundRobin Strategy = "RoundRobin"
	Weighted   Strategy = "Weighted"
	Failover   Strategy = "Failover"
	Geo        Strategy = "Geo"
)

// Target is one cluster's addresses for a host.
type Target struct {
	Cluster   string
	Region    string
	Addresses []netip.Addr
	Healthy   bool
	// Weight, for Weighted: the share of answers the target gets.
	Weight int64
}

// Policy is how one host is answered.
type Policy struct {
	Strategy Strategy
	// FailoverRegions, for Failover, in order of preference.
	FailoverRegions []string
}

// GeoTable finds a client's region from its address, and the regions nearest each region.
type GeoTable struct {
	// Prefixes map client subnets to regions; the longest matching prefix wins.
	Prefixes []GeoPrefix
	// Nearest lists, for a region, the other regions from nearest to farthest.
	Nearest map[string][]string
}

// GeoPrefix maps a client subnet to a region.
type GeoPrefix struct {
	Prefix netip.Prefix
	Region string
}

// RegionOf is the region of the longest prefix that holds addr, or "".
func (g *GeoTable) RegionOf(addr netip.Addr) string {
	if g == nil || !addr.IsValid() {
		return ""
	}
	best, region := -1, ""
	for _, p := range g.Prefixes {
		if p.Prefix.Contains(addr.Unmap()) && p.Prefix.Bits() > best {
			best, region = p.Prefix.Bits(), p.Region
		}
	}
	return region
}

// Select chooses the addresses to answer for a host. clientRegion, for Geo, is the client's
// region or ""; draw, for Weighted, picks the target (the server draws it per query). When
// no target is healthy it answers every target: failing open is better than answering
// nothing, since the health checks may be what is wrong.
func Select(targets []Target, p Policy, geo *GeoTable, clientRegion string, draw uint64) []netip.Addr {
	healthy := make([]Target, 0, len(targets))
	for _, t := range targets {
		if t.Healthy && len(t.Addresses) > 0 {
			healthy = append(healthy, t)
		}
	}
	if len(healthy) == 0 {
		return addresses(targets)
	}
	slices.SortFunc(healthy, func(a, b Target) int { return strings.Compare(a.Cluster, b.Cluster) })
	switch p.Strategy {
	case Weighted:
		if t, ok := pickWeighted(healthy, draw); ok {
			return addresses([]Target{t})
		}
		return addresses(healthy) // every weight is 0: no preference left, answer them all
	case Failover:
		return addresses(firstRegion(healthy, p.FailoverRegions, true))
	case Geo:
		if clientRegion == "" {
			return addresses(healthy)
		}
		order := append([]string{clientRegion}, geo.nearest(clientRegion)...)
		return addresses(firstRegion(healthy, order, true))
	}
	return addresses(healthy)
}

func (g *GeoTable) nearest(region string) []string {
	if g == nil {
		return nil
	}
	return g.Nearest[region]
}

// firstRegion returns the targets of the first region in order that has any; with fallback,
// the targets of the other regions when none of order has.
func firstRegion(targets []Target, order []string, fallback bool) []Target {
	for _, region := range order {
		var in []Target
		for _, t := range targets {
			if t.Region == region {
				in = append(in, t)
			}
		}
		if len(in) > 0 {
			return in
		}
	}
	if fallback {
		return targets
	}
	return nil
}

// pickWeighted draws one target with probability proportional to its weight.
func pickWeighted(targets []Target, draw uint64) (Target, bool) {
	var total int64
	for _, t := range targets {
		total += max(t.Weight, 0)
	}
	if total == 0 {
		return Target{}, false
	}
	n := rand.New(rand.NewPCG(draw, 0x9e3779b97f4a7c15)).Int64N(total)
	for _, t := range targets {
		if n -= max(t.Weight, 0); n < 0 {
			return t, true
		}
	}
	return Target{}, false
}

// addresses lists the targets' addresses, without duplicates, in order.
func addresses(targets []Target) []netip.Addr {
	var out []netip.Addr
	seen := map[netip.Addr]bool{}
	for _, t := range targets {
		for _, a := range t.Addresses {
			if !seen[a] {
				seen[a] = true
				out = append(out, a)
			}
		}
	}
	return out
}
