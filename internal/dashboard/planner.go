package dashboard

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/navarkos/navarkos/internal/fleetplan"
	"github.com/navarkos/navarkos/internal/planner"
	"github.com/navarkos/navarkos/internal/report"
)

// planEvery is how often "what the planner would do now" is computed at most: it reads
// every workload, so it is not done on every change.
const planEvery = 5 * time.Second

// PlannerPage is the planner's decisions of the last day, newest first, and what it would
// do now.
type PlannerPage struct {
	Decisions []Decision `json:"decisions"`
	// Now is the plan of this moment, or why it could not be made.
	Now      *PlanNow `json:"now,omitempty"`
	NowError string   `json:"nowError,omitempty"`
	// PlannedAt is when, in Unix milliseconds.
	PlannedAt int64 `json:"plannedAt,omitempty"`
}

// PlanNow is `navarkos plan` for the page.
type PlanNow struct {
	Actions  []PlannedAction  `json:"actions"`
	Unserved []UnservedDemand `json:"unserved"`
	// WholeFleet is the whole-fleet decision of a calm fleet, as `plan` prints it.
	WholeFleet string `json:"wholeFleet,omitempty"`
}

// UnservedDemand is demand no capacity the planner may add can serve.
type UnservedDemand struct {
	Demand   string `json:"demand"`
	Replicas int32  `json:"replicas"`
	Reason   string `json:"reason"`
}

// PlannedAction is one decision the planner would take now, with the runner-up it beat.
type PlannedAction struct {
	Kind        string  `json:"kind"`
	Cluster     string  `json:"cluster,omitempty"`
	Pool        string  `json:"pool"`
	Nodes       int32   `json:"nodes"`
	CostPerHour float64 `json:"costPerHour"`
	Demand      string  `json:"demand,omitempty"`
	Reason      string  `json:"reason"`
	RunnerUp    string  `json:"runnerUp,omitempty"`
}

// planCache keeps the last plan for planEvery.
type planCache struct {
	mu   sync.Mutex
	at   time.Time
	plan *PlanNow
	err  error
}

func (s *Server) plannerView(ctx context.Context) (any, error) {
	now := s.opts.Now()
	_, decisions := s.history.since(now.Add(-historyKept))
	page := PlannerPage{Decisions: make([]Decision, 0, len(decisions))}
	for i := len(decisions) - 1; i >= 0; i-- {
		page.Decisions = append(page.Decisions, decisions[i])
	}
	plan, at, err := s.planNow(ctx, now)
	page.Now, page.PlannedAt = plan, at.UnixMilli()
	if err != nil {
		page.NowError = err.Error()
	}
	return page, nil
}

// planNow runs the planner on the fleet as the caller reads it, as `navarkos plan` does, at
// most once per planEvery.
func (s *Server) planNow(ctx context.Context, now time.Time) (*PlanNow, time.Time, error) {
	s.plans.mu.Lock()
	defer s.plans.mu.Unlock()
	if !s.plans.at.IsZero() && now.Sub(s.plans.at) < planEvery {
		return s.plans.plan, s.plans.at, s.plans.err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	p, err := fleetplan.Compute(ctx, s.direct, now, s.opts.Planner)
	s.plans.at, s.plans.plan, s.plans.err = now, nil, err
	if err == nil {
		s.plans.plan = planOf(p)
	}
	return s.plans.plan, s.plans.at, s.plans.err
}

func planOf(p planner.Plan) *PlanNow {
	out := &PlanNow{Actions: []PlannedAction{}, Unserved: []UnservedDemand{}}
	for _, u := range p.Unserved {
		out.Unserved = append(out.Unserved, UnservedDemand{Demand: u.Demand, Replicas: u.Replicas, Reason: u.Reason})
	}
	for _, a := range p.Actions {
		reason, runnerUp, _ := strings.Cut(a.Reason, "; next best: ")
		out.Actions = append(out.Actions, PlannedAction{Kind: string(a.Kind), Cluster: a.Cluster, Pool: a.Pool, Nodes: a.Nodes,
			CostPerHour: a.CostPerHour, Demand: a.Demand, Reason: reason, RunnerUp: runnerUp})
	}
	if w := p.WholeFleet; w != nil {
		var b strings.Builder
		_ = report.WholeFleet(&b, w)
		out.WholeFleet = strings.TrimSpace(b.String())
	}
	return out
}
