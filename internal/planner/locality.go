package planner

import (
	"math"

	"github.com/navarkos/navarkos/internal/placement"
	"github.com/navarkos/navarkos/internal/planner/pricing"
)

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
		price := pricing.AmortisedPerReplica(pool, d.Request)
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
	return l.nearPool == nil || pricing.FarAllowed(pricing.AmortisedPerReplica(pool, p.in.Demands[i].Request), l.nearPrice, p.cfg.LocalityThreshold)
}
