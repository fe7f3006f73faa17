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

// AmortisedNodePrice is what a node of the pool costs per hour in a full cluster: its price and
// its share of the cluster price. Unlike the price of one more node, it does not depend on
// what the fleet runs now, so the locality rule gives the same answer from one decision to
// the next.
func AmortisedNodePrice(p *Pool) float64 {
	return p.NodePrice + p.ClusterPrice/float64(max(p.MaxNodes, 1))
}

// amortisedPrice is AmortisedNodePrice per replica of request.
func amortisedPrice(p *Pool, request placement.Resources) float64 {
	perNode := ReplicasPerNode(p.Shape, request)
	if perNode <= 0 {
		return math.Inf(1)
	}
	return AmortisedNodePrice(p) / float64(perNode)
}

// locality is what the planner knows of one demand's region: the cheapest pools near it and
// far from it that the demand may grow into, at their amortised prices.
type locality struct {
	nearPool, farPool   *Pool
	nearPrice, farPrice float64
}

// localityOf works out, once per decision, the cheapest near and far pools of demand i's region.
func (p *planning) localityOf(i int, region string) locality {
	key := localityKey{i, region}
	if l, ok := p.localities[key]; ok {
		return l
	}
	d := &p.in.Demands[i]
	l := locality{nearPrice: math.Inf(1), farPrice: math.Inf(1)}
	for j := range p.in.Pools {
		pool := &p.in.Pools[j]
		view := poolView(pool)
		if !d.Policy.Admits(&view) {
			continue
		}
		if ok, _ := p.mayGrow(d, pool); !ok {
			continue
		}
		price := amortisedPrice(pool, d.Request)
		switch near := placement.Near(pool.Region, region); {
		case near && price < l.nearPrice:
			l.nearPool, l.nearPrice = pool, price
		case !near && price < l.farPrice:
			l.farPool, l.farPrice = pool, price
		}
	}
	p.localities[key] = l
	return l
}

// regionExcess is, for a demand with region shares, placement.RegionExcess of the region
// each cluster serves, by what runs there now. Nil without shares.
func regionExcess(d *Demand, clusters []*member) map[*member]int64 {
	if len(d.Shares) == 0 {
		return nil
	}
	home := make(map[*member]string, len(clusters))
	have := map[string]int64{}
	for _, m := range clusters {
		home[m] = placement.HomeRegion(m.view.Region, d.Shares)
		have[home[m]] += int64(d.Assigned[m.Name])
	}
	byRegion := placement.RegionExcess(d.Shares, d.Replicas, have)
	excess := make(map[*member]int64, len(clusters))
	for _, m := range clusters {
		excess[m] = byRegion[home[m]]
	}
	return excess
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
