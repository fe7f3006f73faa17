package planner

import (
	"fmt"
	"time"

	"github.com/navarkos/navarkos/internal/placement"
	"github.com/navarkos/navarkos/internal/planner/fleet"
	"github.com/navarkos/navarkos/internal/planner/memory"
)

// quietAhead reports, with the forecast on, whether it knows every workload on m and expects
// none to need more replicas than now before capacity given back could come again: within
// the pool's scale time and memory.OrderMargin. Such a cluster need not hold nodes through a
// stabilisation window, since the forecast orders them again before the next ramp.
func (p *planning) quietAhead(m *member) bool {
	if !p.cfg.Forecast || total(m.hosted) == 0 {
		return false
	}
	for i, n := range m.hosted {
		if d := &p.in.Demands[i]; n > 0 && !p.mem.KnowsAhead(d.Name, p.in.Now, m.pool.ScaleTime+memory.OrderMargin, d.Replicas) {
			return false
		}
	}
	return true
}

// forecastLead is how far ahead the forecast looks: the longest time any pool takes to make a
// cluster, so that capacity for a recurring ramp is ordered when it can still come in time.
func (p *planning) forecastLead() time.Duration {
	var lead time.Duration
	for i := range p.in.Pools {
		lead = max(lead, p.in.Pools[i].CreateTime)
	}
	return min(max(lead, memory.BucketSpan), memory.MaxLead)
}

// prewarm adds capacity, when the forecast is on, for the replicas each divided workload had
// in the coming lead a day, a week or its own period ago beyond what it asks for now:
// capacity for a recurring ramp is then ready when the ramp comes. Each way is ordered its
// time to capacity before the ramp, not sooner (see orderedForRamp). A
// forecast that cannot be served is not reported as unserved demand.
func (p *planning) prewarm() []Action {
	if !p.cfg.Forecast {
		return nil
	}
	lead := p.forecastLead()
	for i := range p.in.Demands {
		d := &p.in.Demands[i]
		if d.Policy.Mode == placement.Duplicated || !d.Grow {
			continue
		}
		e := p.mem.Forecast(d.Name, p.in.Now, lead)
		extra := int64(e.Replicas - d.Replicas)
		if extra <= 0 {
			continue
		}
		parts := []placement.RegionTarget{{Replicas: extra}}
		if len(d.Shares) > 0 {
			parts = placement.RegionTargets(d.Shares, int32(extra))
		}
		ramp := purpose{
			prefix: fmt.Sprintf("forecast: %s had %d replicas %s within the next %s, %d more than now; ", d.Name, e.Replicas, e.Source, fleet.Round(lead), extra),
			rampAt: p.in.Now.Add(p.mem.RampIn(d.Name, p.in.Now, e, d.Replicas)),
		}
		for _, part := range parts {
			p.fill(i, part.Replicas, part.Region, ramp)
		}
	}
	return nil
}

// orderedForRamp notes, on a cluster given capacity for the forecast, when that capacity is
// due to be ordered: its time to capacity (and memory.OrderMargin) before the ramp. Capacity for
// demand of now is due at once.
func orderedForRamp(m *member, delay time.Duration, rampAt time.Time) {
	if rampAt.IsZero() {
		m.forNow = true
		return
	}
	due := rampAt.Add(-delay - memory.OrderMargin)
	if m.dueAt.IsZero() || due.Before(m.dueAt) {
		m.dueAt = due
	}
}

// notYetDue reports whether all the capacity the plan adds to m is for a ramp still far
// enough away to be ordered at a later decision.
func (p *planning) notYetDue(m *member) bool {
	return !m.forNow && !m.dueAt.IsZero() && p.in.Now.Before(m.dueAt)
}
