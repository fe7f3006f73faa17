package memory

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/navarkos/navarkos/internal/planner/fleet"
)

// The forecast remembers each workload's replicas in buckets of BucketSpan for historyDays,
// and expects the demand of the same time of day yesterday and of the same time of the week
// a week ago, and of the same point of the workload's own period when its demand rises at a
// steady interval (an hourly job, a crowd every two hours).
const (
	// BucketSpan is the resolution of the history: each bucket holds the most replicas
	// within it.
	BucketSpan  = 5 * time.Minute
	historyDays = 8
	// MaxLead is the furthest ahead the forecast looks.
	MaxLead = time.Hour
	// OrderMargin is how much sooner than its time to capacity the forecast orders capacity
	// before a ramp: a decision or two, and a little slack.
	OrderMargin = time.Minute
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
	spec fleet.Demand
	// periodAt is the bucket whose period was last worked out, and period that period in
	// buckets (0 for none): it is worked out once per bucket.
	periodAt int64
	period   int64
}

func newHistory() *history {
	n := int(historyDays * 24 * time.Hour / BucketSpan)
	h := &history{bucket: make([]int64, n), peak: make([]int32, n), periodAt: -1}
	for i := range h.bucket {
		h.bucket[i] = -1
	}
	return h
}

func bucketOf(t time.Time) int64 { return t.UnixNano() / int64(BucketSpan) }

// slot is where bucket b lives in the ring.
func (h *history) slot(b int64) int { return int(b % int64(len(h.bucket))) }

// at is the most replicas recorded in bucket b, and whether the ring still holds it.
func (h *history) at(b int64) (int32, bool) {
	if slot := h.slot(b); h.bucket[slot] == b {
		return h.peak[slot], true
	}
	return 0, false
}

// open makes the ring's slot hold bucket b, from no replicas if it held another.
func (h *history) open(b int64) int {
	slot := h.slot(b)
	if h.bucket[slot] != b {
		h.bucket[slot], h.peak[slot] = b, 0
	}
	return slot
}

func (h *history) record(at time.Time, replicas int32) {
	h.last = at
	slot := h.open(bucketOf(at))
	h.peak[slot] = max(h.peak[slot], replicas)
}

// recordAbsent notes that the workload ran no replicas at now, without renewing last.
func (h *history) recordAbsent(at time.Time) { h.open(bucketOf(at)) }

// most is the most replicas recorded in the buckets from..to, and whether any was.
func (h *history) most(from, to time.Time) (int32, bool) {
	var n int32
	seen := false
	for b := bucketOf(from); b <= bucketOf(to); b++ {
		if peak, ok := h.at(b); ok {
			n, seen = max(n, peak), true
		}
	}
	return n, seen
}

// recurrence is the workload's own period: the spacing of its last three rises, when both
// spacings agree within a bucket. A rise is the demand going above two thirds of its range
// over the history after it was below one third (so that noise about one level is not a
// rise); a range under two replicas, or under a third of the peak, has none. 0 when there
// is no such period.
func (h *history) recurrence(now time.Time) time.Duration {
	nowBucket := bucketOf(now)
	if h.periodAt == nowBucket {
		return time.Duration(h.period) * BucketSpan
	}
	h.periodAt, h.period = nowBucket, 0
	first := nowBucket - int64(len(h.bucket)) + 1
	lo, hi := int32(math.MaxInt32), int32(-1)
	for b := first; b <= nowBucket; b++ {
		if peak, ok := h.at(b); ok {
			lo, hi = min(lo, peak), max(hi, peak)
		}
	}
	if hi-lo < 2 || 3*(hi-lo) < hi {
		return 0
	}
	low, high := lo+(hi-lo)/3, hi-(hi-lo)/3
	var rises []int64
	armed := false // below the low mark since the last rise
	for b := first; b <= nowBucket; b++ {
		peak, ok := h.at(b)
		switch {
		case !ok:
			armed = false // a gap in the history: a rise across it is not seen
		case peak <= low:
			armed = true
		case peak >= high && armed:
			rises, armed = append(rises, b), false
		}
	}
	if n := len(rises); n >= 3 {
		last, before := rises[n-1]-rises[n-2], rises[n-2]-rises[n-3]
		if last >= 2 && max(last-before, before-last) <= 1 {
			h.period = last
		}
	}
	return time.Duration(h.period) * BucketSpan
}

// RecordDemand gives the forecast the demand of a past time, as a decision with the forecast
// on records it: for history kept elsewhere (and for the benchmark, which needs a week's).
func (mem *Memory) RecordDemand(demands []fleet.Demand, at time.Time) { mem.observeDemand(demands, at) }

// observeDemand records every demand's replicas at now and forgets workloads gone for
// historyDays.
func (mem *Memory) observeDemand(demands []fleet.Demand, now time.Time) {
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

// Expectation is what the forecast expects of a workload: replicas within the lead, where the
// figure came from, and how far back the history it read lies (for when the ramp comes).
type Expectation struct {
	Replicas int32
	Source   string
	Back     time.Duration
}

// lookback is one way the forecast reads a workload's history: the same span at each of
// backs before now, with where the figure comes from.
type lookback struct {
	source string
	backs  []time.Duration
}

// lookbacks are the ways to read the workload's history at now: a day and two days back, one
// and two of its own periods back (see recurrence), and a week back.
func (h *history) lookbacks(now time.Time) []lookback {
	out := []lookback{{"yesterday and the day before", []time.Duration{24 * time.Hour, 48 * time.Hour}}}
	if period := h.recurrence(now); period > 0 {
		out = append(out, lookback{fmt.Sprintf("one and two of its periods ago (it rises every %s)", fleet.Round(period)), []time.Duration{period, 2 * period}})
	}
	return append(out, lookback{"a week ago", []time.Duration{7 * 24 * time.Hour}})
}

// read is the fewest and the most replicas the history had within span after each of the
// lookback's backs, and whether it holds all of them.
func (h *history) read(now time.Time, span time.Duration, l lookback) (fewest, most int32, seen bool) {
	fewest, seen = math.MaxInt32, true
	for _, back := range l.backs {
		n, ok := h.most(now.Add(-back), now.Add(-back+span))
		fewest, most, seen = min(fewest, n), max(most, n), seen && ok
	}
	return fewest, most, seen
}

// Forecast is how many replicas a workload is expected to need within lead: the most that
// any lookback had every time it looks back (both yesterday and the day before, both one and
// two of its own periods ago, a week ago), so that neither a weekly batch nor a one-off day
// is expected every day. Without enough history it expects nothing.
func (mem *Memory) Forecast(workload string, now time.Time, lead time.Duration) Expectation {
	h := mem.history[workload]
	if h == nil {
		return Expectation{}
	}
	var e Expectation
	for _, l := range h.lookbacks(now) {
		if n, _, ok := h.read(now, lead, l); ok && n > e.Replicas {
			e = Expectation{n, l.source, l.backs[0]}
		}
	}
	return e
}

// KnowsAhead reports whether the workload's history foresees its demand over the next span,
// and none of it above replicas: some lookback holds all its times, and none that does had
// more any time.
func (mem *Memory) KnowsAhead(workload string, now time.Time, span time.Duration, replicas int32) bool {
	h := mem.history[workload]
	if h == nil {
		return false
	}
	known := false
	for _, l := range h.lookbacks(now) {
		if _, most, ok := h.read(now, span, l); ok {
			if most > replicas {
				return false
			}
			known = true
		}
	}
	return known
}

// RampIn is how soon, after now, the Expectation's history had more than replicas: when
// capacity for the ramp is needed, to a bucket (the start of the first such bucket).
func (mem *Memory) RampIn(workload string, now time.Time, e Expectation, replicas int32) time.Duration {
	h := mem.history[workload]
	then := now.Add(-e.Back)
	for b := bucketOf(then); b <= bucketOf(then.Add(MaxLead)); b++ {
		if peak, ok := h.at(b); ok && peak > replicas {
			return max(time.Duration(b*int64(BucketSpan)-then.UnixNano()), 0)
		}
	}
	return 0
}

// AbsentDemands are the workloads with history that are not in demands now, with no
// replicas: a recurring workload that comes and goes, whose return the forecast expects.
func (mem *Memory) AbsentDemands(demands []fleet.Demand) []fleet.Demand {
	present := make(map[string]bool, len(demands))
	for i := range demands {
		present[demands[i].Name] = true
	}
	var out []fleet.Demand
	for _, name := range slices.Sorted(maps.Keys(mem.history)) {
		if !present[name] {
			d := mem.history[name].spec
			d.Replicas = 0
			out = append(out, d)
		}
	}
	return out
}
