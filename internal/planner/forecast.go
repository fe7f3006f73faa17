package planner

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/navarkos/navarkos/internal/placement"
)

// The forecast remembers each workload's replicas in buckets of bucketSpan for historyDays,
// and expects the demand of the same time of day yesterday and of the same time of the week
// a week ago.
const (
	bucketSpan  = 5 * time.Minute
	historyDays = 8
	maxLead     = time.Hour
	// maxAbsent bounds the workloads remembered while they are gone (about 27 KiB each), so
	// that a namespace making and deleting many workloads cannot grow the planner's memory
	// without bound; the longest gone are forgotten first.
	maxAbsent = 1000
)

// history is one workload's most replicas per bucket, in a ring indexed by bucket number.
type history struct {
	bucket []int64 // the absolute bucket number each slot holds, or -1
	peak   []int32
	// last is when the workload was last seen: a workload that comes and goes (a batch) keeps
	// its history until it has been gone for historyDays. spec is what it asked for then,
	// for capacity ahead of its return.
	last time.Time
	spec Demand
}

func newHistory() *history {
	n := int(historyDays * 24 * time.Hour / bucketSpan)
	h := &history{bucket: make([]int64, n), peak: make([]int32, n)}
	for i := range h.bucket {
		h.bucket[i] = -1
	}
	return h
}

func bucketOf(t time.Time) int64 { return t.UnixNano() / int64(bucketSpan) }

func (h *history) record(at time.Time, replicas int32) {
	h.last = at
	b := bucketOf(at)
	slot := int(b % int64(len(h.bucket)))
	if h.bucket[slot] != b {
		h.bucket[slot], h.peak[slot] = b, 0
	}
	h.peak[slot] = max(h.peak[slot], replicas)
}

// recordAbsent notes that the workload ran no replicas at now, without renewing last.
func (h *history) recordAbsent(at time.Time) {
	b := bucketOf(at)
	if slot := int(b % int64(len(h.bucket))); h.bucket[slot] != b {
		h.bucket[slot], h.peak[slot] = b, 0
	}
}

// most is the most replicas recorded in the buckets from..to, and whether any was.
func (h *history) most(from, to time.Time) (int32, bool) {
	var n int32
	seen := false
	for b := bucketOf(from); b <= bucketOf(to); b++ {
		slot := int(b % int64(len(h.bucket)))
		if h.bucket[slot] == b {
			n, seen = max(n, h.peak[slot]), true
		}
	}
	return n, seen
}

// observeDemand records every demand's replicas at now and forgets workloads gone for
// historyDays.
func (mem *Memory) observeDemand(demands []Demand, now time.Time) {
	for i := range demands {
		d := &demands[i]
		h := mem.history[d.Name]
		if h == nil {
			h = newHistory()
			mem.history[d.Name] = h
		}
		h.record(now, d.Replicas)
		h.spec = *d
		h.spec.Assigned = nil
	}
	present := make(map[string]bool, len(demands))
	for i := range demands {
		present[demands[i].Name] = true
	}
	var absent []string
	for name, h := range mem.history {
		switch {
		case now.Sub(h.last) >= historyDays*24*time.Hour:
			delete(mem.history, name)
		case !present[name]:
			h.recordAbsent(now)
			absent = append(absent, name)
		}
	}
	if len(absent) > maxAbsent {
		slices.SortFunc(absent, func(a, b string) int {
			if c := mem.history[a].last.Compare(mem.history[b].last); c != 0 {
				return c
			}
			return strings.Compare(a, b)
		})
		for _, name := range absent[:len(absent)-maxAbsent] {
			delete(mem.history, name)
		}
	}
}

// forecast is how many replicas a workload is expected to need within lead: what it had a
// week ago, or what it had both yesterday and the day before, so that neither a weekly batch
// nor a one-off day is expected every day. It says where the figure came from; 0 without
// enough history.
func (mem *Memory) forecast(workload string, now time.Time, lead time.Duration) (int32, string) {
	h := mem.history[workload]
	if h == nil {
		return 0, ""
	}
	ago := func(days int) (int32, bool) {
		back := time.Duration(days) * 24 * time.Hour
		return h.most(now.Add(-back), now.Add(-back+lead))
	}
	var daily int32
	var when string
	d1, ok1 := ago(1)
	d2, ok2 := ago(2)
	if ok1 && ok2 {
		daily, when = min(d1, d2), "yesterday and the day before"
	}
	if w1, ok := ago(7); ok && w1 > daily {
		return w1, "a week ago"
	}
	return daily, when
}

// absentDemands are the workloads with history that are not in demands now, with no
// replicas: a recurring workload that comes and goes, whose return the forecast expects.
func (mem *Memory) absentDemands(demands []Demand) []Demand {
	present := make(map[string]bool, len(demands))
	for i := range demands {
		present[demands[i].Name] = true
	}
	var out []Demand
	for _, name := range slices.Sorted(maps.Keys(mem.history)) {
		if !present[name] {
			d := mem.history[name].spec
			d.Replicas = 0
			out = append(out, d)
		}
	}
	return out
}

// forecastLead is how far ahead the forecast looks: the longest time any pool takes to make a
// cluster, so that capacity for a recurring ramp is ordered when it can still come in time.
func (p *planning) forecastLead() time.Duration {
	var lead time.Duration
	for i := range p.in.Pools {
		lead = max(lead, p.in.Pools[i].CreateTime)
	}
	return min(max(lead, bucketSpan), maxLead)
}

// prewarm adds capacity, when the forecast is on, for the replicas each divided workload had
// in the coming lead a day or a week ago beyond what it asks for now: capacity for a
// recurring ramp is then ready when the ramp comes. A forecast that cannot be served is not
// reported as unserved demand.
func (p *planning) prewarm() {
	if !p.cfg.Forecast {
		return
	}
	lead := p.forecastLead()
	for i := range p.in.Demands {
		d := &p.in.Demands[i]
		if d.Policy.Mode == placement.Duplicated || !d.Grow {
			continue
		}
		expected, when := p.mem.forecast(d.Name, p.in.Now, lead)
		extra := int64(expected - d.Replicas)
		if extra <= 0 {
			continue
		}
		parts := []placement.RegionTarget{{Replicas: extra}}
		if len(d.Shares) > 0 {
			parts = placement.RegionTargets(d.Shares, int32(extra))
		}
		p.reasonPrefix = fmt.Sprintf("forecast: %s had %d replicas %s within the next %s, %d more than now; ", d.Name, expected, when, Round(lead), extra)
		for _, part := range parts {
			p.fill(i, part.Replicas, part.Region)
		}
		p.reasonPrefix = ""
	}
}
