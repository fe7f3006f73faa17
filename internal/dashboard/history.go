package dashboard

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
)

// historyKept is how far back the history goes.
const historyKept = 24 * time.Hour

// maxDecisions bounds the decisions kept, whatever the planner does in a day.
const maxDecisions = 5000

// Sample is the fleet's cost and demand at one moment.
type Sample struct {
	// Time is in Unix milliseconds.
	Time        int64   `json:"t"`
	CostPerHour float64 `json:"cost"`
	// Requested are the replicas the workloads ask for, Placed those given a cluster and
	// Ready those running Ready there.
	Requested int64 `json:"requested"`
	Placed    int64 `json:"placed"`
	Ready     int64 `json:"ready"`
}

// Decision is one of the planner's decisions, from its Event.
type Decision struct {
	UID string `json:"uid"`
	// Time is in Unix milliseconds.
	Time int64 `json:"t"`
	// Action is Create, Wake, Scale, Drain, Hibernate, Delete or Plan.
	Action string `json:"action"`
	Reason string `json:"reason"`
	// Object is what the decision is about: a Cluster, or a Placement for unserved demand.
	Object string `json:"object"`
	Note   string `json:"note"`
	// CostChange is the change in cost per hour the decision announced, if it did.
	CostChange *float64 `json:"costChange,omitempty"`
}

// record is one line of the history file: a sample or a decision.
type record struct {
	Sample   *Sample   `json:"s,omitempty"`
	Decision *Decision `json:"d,omitempty"`
}

// history is the last day's samples and decisions, in memory and, when it has a file, as
// JSON lines there: small (a line a minute), appended as it goes, and rewritten without
// what is older than a day when half of it is.
type history struct {
	mu        sync.Mutex
	path      string
	file      *os.File
	lines     int
	samples   []Sample
	decisions []Decision
	seen      map[string]bool
}

// openHistory reads the history kept at path, if any, and keeps appending to it. A line
// that does not parse (a write cut short by a crash) is skipped.
func openHistory(path string, now time.Time) (*history, error) {
	h := &history{path: path, seen: map[string]bool{}}
	if path == "" {
		return h, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("dashboard history: %w", err)
	}
	f, err := os.Open(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("dashboard history: %w", err)
	default:
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var r record
			if json.Unmarshal(sc.Bytes(), &r) != nil {
				continue
			}
			if r.Sample != nil {
				h.samples = append(h.samples, *r.Sample)
			}
			if r.Decision != nil && !h.seen[r.Decision.UID] {
				h.seen[r.Decision.UID] = true
				h.decisions = append(h.decisions, *r.Decision)
			}
		}
		_ = f.Close()
		slices.SortStableFunc(h.samples, func(a, b Sample) int { return cmp.Compare(a.Time, b.Time) })
		slices.SortStableFunc(h.decisions, func(a, b Decision) int { return cmp.Compare(a.Time, b.Time) })
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.compact(now); err != nil {
		return nil, err
	}
	return h, nil
}

// compact drops what is older than a day and rewrites the file with what is left.
func (h *history) compact(now time.Time) error {
	cutoff := now.Add(-historyKept).UnixMilli()
	h.samples = slices.DeleteFunc(h.samples, func(s Sample) bool { return s.Time < cutoff })
	h.decisions = slices.DeleteFunc(h.decisions, func(d Decision) bool { return d.Time < cutoff })
	if n := len(h.decisions) - maxDecisions; n > 0 {
		h.decisions = slices.Delete(h.decisions, 0, n)
	}
	h.seen = map[string]bool{}
	for _, d := range h.decisions {
		h.seen[d.UID] = true
	}
	if h.path == "" {
		return nil
	}
	if h.file != nil {
		_ = h.file.Close()
		h.file = nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(h.path), ".history-*")
	if err != nil {
		return fmt.Errorf("dashboard history: %w", err)
	}
	w := bufio.NewWriter(tmp)
	enc := json.NewEncoder(w)
	for i := range h.samples {
		_ = enc.Encode(record{Sample: &h.samples[i]})
	}
	for i := range h.decisions {
		_ = enc.Encode(record{Decision: &h.decisions[i]})
	}
	if err := errors.Join(w.Flush(), tmp.Close()); err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("dashboard history: %w", err)
	}
	if err := os.Rename(tmp.Name(), h.path); err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("dashboard history: %w", err)
	}
	h.lines = len(h.samples) + len(h.decisions)
	h.file, err = os.OpenFile(h.path, os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("dashboard history: %w", err)
	}
	return nil
}

// append keeps r, on file too; the file is compacted once half of it is stale.
func (h *history) append(r record, now time.Time) {
	if h.path == "" {
		if len(h.samples)+len(h.decisions) > 2*(24*60+maxDecisions) {
			_ = h.compact(now)
		}
		return
	}
	if h.file == nil {
		return // closed
	}
	line, _ := json.Marshal(r)
	if _, err := h.file.Write(append(line, '\n')); err != nil {
		return // the history is a convenience: the fleet is shown without it
	}
	h.lines++
	if h.lines > 2*(len(h.samples)+len(h.decisions)) || h.lines > 4*(24*60+maxDecisions) {
		_ = h.compact(now)
	}
}

func (h *history) addSample(s Sample, now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.samples = append(h.samples, s)
	h.append(record{Sample: &s}, now)
}

func (h *history) addDecision(d Decision, now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.seen[d.UID] {
		return
	}
	h.seen[d.UID] = true
	at, _ := slices.BinarySearchFunc(h.decisions, d.Time, func(x Decision, t int64) int { return cmp.Compare(x.Time, t) })
	for at < len(h.decisions) && h.decisions[at].Time == d.Time {
		at++
	}
	h.decisions = slices.Insert(h.decisions, at, d)
	h.append(record{Decision: &d}, now)
}

// since copies what is newer than cutoff.
func (h *history) since(cutoff time.Time) ([]Sample, []Decision) {
	h.mu.Lock()
	defer h.mu.Unlock()
	t := cutoff.UnixMilli()
	i, _ := slices.BinarySearchFunc(h.samples, t, func(s Sample, t int64) int { return cmp.Compare(s.Time, t) })
	j, _ := slices.BinarySearchFunc(h.decisions, t, func(d Decision, t int64) int { return cmp.Compare(d.Time, t) })
	return slices.Clone(h.samples[i:]), slices.Clone(h.decisions[j:])
}

func (h *history) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.file != nil {
		_ = h.file.Close()
		h.file = nil
	}
}

// sample records the fleet's cost and demand now and then every SampleEvery until ctx ends.
func (s *Server) sample(ctx context.Context) {
	t := time.NewTicker(s.opts.SampleEvery)
	defer t.Stop()
	for {
		if sm, ok := s.sampleNow(ctx); ok {
			s.history.addSample(sm, s.opts.Now())
			s.notify()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// sampleNow reads the fleet's cost and demand from the watched view; false when the caller
// may read neither.
func (s *Server) sampleNow(ctx context.Context) (Sample, bool) {
	sm := Sample{Time: s.opts.Now().UnixMilli()}
	if s.denied("clusters") != nil && s.denied("resourcebindings") != nil {
		return sm, false
	}
	var clusters n6sv1alpha1.ClusterList
	var bindings n6sv1alpha1.ResourceBindingList
	if s.list(ctx, "clusters", &clusters) != nil || s.list(ctx, "resourcebindings", &bindings) != nil {
		return sm, false
	}
	for _, c := range clusters.Items {
		if q := c.Status.CostPerHour; q != nil {
			sm.CostPerHour += number(*q)
		}
	}
	unserved := s.unservedByDemand(ctx)
	for _, b := range bindings.Items {
		requested, placed := bindingDemand(&b)
		// Replicas the planner finds no capacity for are not placed, wherever they are bound.
		r := b.Spec.Resource
		placed = max(min(placed, requested-int64(unserved[r.Namespace+"/"+r.Name])), 0)
		sm.Requested += requested
		sm.Placed += placed
		for _, cs := range b.Status.Clusters {
			sm.Ready += int64(cs.ReadyReplicas)
		}
	}
	return sm, true
}

// bindingDemand is what a ResourceBinding asks for, the replicas its decision places plus
// those it cannot, and what it places: during a move, the replicas it is moving to (the
// replicas it still runs elsewhere are the same replicas, not more).
func bindingDemand(b *n6sv1alpha1.ResourceBinding) (requested, placed int64) {
	clusters := b.Spec.Clusters
	if b.Spec.Rollout != nil {
		clusters = b.Spec.Rollout.Target
	}
	for _, tc := range clusters {
		if tc.Replicas != nil {
			placed += int64(*tc.Replicas)
		}
	}
	return placed + int64(b.Spec.UnplacedReplicas), placed
}

// unservedByDemand is the replicas of each demand (namespace/name) that the planner's plan of
// now cannot serve; empty when no plan could be made.
func (s *Server) unservedByDemand(ctx context.Context) map[string]int32 {
	out := map[string]int32{}
	plan, _, err := s.planNow(ctx, s.opts.Now())
	if err != nil || plan == nil {
		return out
	}
	for _, u := range plan.Unserved {
		out[u.Demand] += u.Replicas
	}
	return out
}

// costInNote finds the change in cost per hour that a planner Event's note announces, as
// "(+0.230/h)" or "(-0.484/h)".
var costInNote = regexp.MustCompile(`\(([+-]?[0-9]+(?:\.[0-9]+)?)/h\)`)

// recordDecision keeps a planner Event as a decision.
func (s *Server) recordDecision(obj any) {
	e, ok := obj.(*corev1.Event)
	if !ok || e.ReportingController != n6sv1alpha1.PlannerComponent {
		return
	}
	at := e.EventTime.Time
	if at.IsZero() {
		at = e.LastTimestamp.Time
	}
	if at.IsZero() {
		at = e.CreationTimestamp.Time
	}
	d := Decision{UID: string(e.UID), Time: at.UnixMilli(), Action: e.Action, Reason: e.Reason, Note: e.Message,
		Object: e.InvolvedObject.Kind + " " + e.InvolvedObject.Name}
	if e.InvolvedObject.Namespace != "" {
		d.Object = e.InvolvedObject.Kind + " " + e.InvolvedObject.Namespace + "/" + e.InvolvedObject.Name
	}
	if m := costInNote.FindStringSubmatch(e.Message); m != nil {
		if v, err := strconv.ParseFloat(m[1], 64); err == nil {
			d.CostChange = &v
		}
	}
	s.history.addDecision(d, s.opts.Now())
}

// History is the cost and demand page: the last day's samples and the cost they add up to.
type History struct {
	Samples []Sample `json:"samples"`
	// TotalCost is the cost over the samples: each sample's cost per hour until the next,
	// for at most two sampling intervals (the dashboard was not watching in a longer gap).
	TotalCost float64 `json:"totalCost"`
	// Covered is how many hours TotalCost covers.
	Covered float64 `json:"coveredHours"`
	// SampleEvery is the sampling interval, in seconds.
	SampleEvery float64 `json:"sampleEvery"`
	// Scope says where demand was read, when not in every namespace.
	Scope string `json:"scope,omitempty"`
}

func (s *Server) historyView(context.Context) (any, error) {
	now := s.opts.Now()
	samples, _ := s.history.since(now.Add(-historyKept))
	h := History{Samples: samples, SampleEvery: s.opts.SampleEvery.Seconds(), Scope: s.scopeOf("resourcebindings")}
	if h.Samples == nil {
		h.Samples = []Sample{}
	}
	h.TotalCost, h.Covered = runningCost(samples, s.opts.SampleEvery, now)
	return h, nil
}

// runningCost adds up the cost of samples: each holds until the next, or until now for the
// last, but for no longer than two intervals.
func runningCost(samples []Sample, every time.Duration, now time.Time) (cost, hours float64) {
	longest := 2 * every.Seconds()
	for i, sm := range samples {
		end := now.UnixMilli()
		if i+1 < len(samples) {
			end = samples[i+1].Time
		}
		span := min(max(float64(end-sm.Time)/1000, 0), longest)
		cost += sm.CostPerHour * span / 3600
		hours += span / 3600
	}
	return cost, hours
}
