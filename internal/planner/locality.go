package planner

import (
	"math"

	"github.com/navarkos/navarkos/internal/placement"
)

// FarAllowed reports whether capacity far from a region may serve it: when it costs at most
// (1 - threshold) of the cheapest capacity near the region. A threshold of 0 ignores
// distance; 1 or more keeps demand near whenever near capacity can be had.
func FarAllowed(farPrice, nearPrice, threshold float64) bool {
	if threshold >= 1 {
		return false
	}
	return farPrice <= (1-max(threshold, 0))*nearPrice
}

// amortisedPrice is what one replica of request costs per hour in a full cluster of the pool:
// its node price and its share of the cluster price. Unlike the price of one more node, it
// does not depend on what the fleet runs now, so the locality rule gives the same answer
// from one decision to the next.
func amortisedPrice(p *Pool, request placement.Resources) float64 {
	perNode := ReplicasPerNode(p.Shape, request)
	if perNode <= 0 {
		return math.Inf(1)
	}
	return (p.NodePrice + p.ClusterPrice/float64(max(p.MaxNodes, 1))) / float64(perNode)
}

// locality is what the planner knows of one demand's region: the cheapest amortised price
// of the pools near it that the demand may grow into.
type locality struct {
	nearPool  *Pool
	nearPrice float64
}

// localityOf works out, once per decision, the cheapest near pool of demand i's region.
func (p *planning) localityOf(i int, region string) locality {
	key := localityKey{i, region}
	if l, ok := p.localities[key]; ok {
		return l
	}
	d := &p.in.Demands[i]
	l := locality{nearPrice: math.Inf(1)}
	for j := range p.in.Pools {
		pool := &p.in.Pools[j]
		view := poolView(pool)
		if !placement.Near(pool.Region, region) || !d.Policy.Admits(&view) {
			continue
		}
		if ok, _ := p.mayGrow(d, pool); !ok {
			continue
		}
		if price := amortisedPrice(pool, d.Request); price < l.nearPrice {
			l.nearPool, l.nearPrice = pool, price
		}
	}
	p.localities[key] = l
	return l
}

type localityKey struct {
	demand int
	region string
}

// mayServe reports whether a cluster in where, of pool, may serve demand i's users in region:
// it is near them, no near pool can grow, or its pool is cheaper than the near pools by more
// than the locality threshold. Without a region, every cluster may serve.
func (p *planning) mayServe(i int, where string, pool *Pool, region string) bool {
	if region == "" || placement.Near(where, region) {
		return true
	}
	if pool == nil {
		return false
	}
	l := p.localityOf(i, region)
	return l.nearPool == nil || FarAllowed(amortisedPrice(pool, p.in.Demands[i].Request), l.nearPrice, p.cfg.LocalityThreshold)
}
