package planner

import (
	"fmt"
	"math"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/navarkos/navarkos/internal/placement"
)

// Pool is what the planner knows of a ClusterPool.
type Pool struct {
	Name string
	// Labels are those a new cluster of the pool gets, region and pool included.
	Labels       labels.Set
	Region, Tier string
	// Shape is one node's allocatable capacity.
	Shape placement.Resources
	// NodePrice and ClusterPrice are per hour; HibernatedPrice is what a hibernated cluster
	// still costs per hour.
	NodePrice, ClusterPrice  float64
	HibernatedPrice          float64
	Spot                     bool
	MinClusters, MaxClusters int
	MinNodes, MaxNodes       int32
	IdleTTL                  time.Duration
	// DeleteWhenIdle deletes idle clusters instead of hibernating them.
	DeleteWhenIdle bool
	// CreateTime, WakeTime and ScaleTime are how long each way of adding capacity takes.
	CreateTime, WakeTime, ScaleTime time.Duration
	// NamespaceQuota, when set, is the most one namespace's replicas may request in the
	// pool's clusters before no more capacity is added there for them; a dimension it does
	// not bound is Unbounded.
	NamespaceQuota *placement.Resources
}

// State is where a cluster is in its lifecycle, as far as capacity goes.
type State int

const (
	// Running clusters serve replicas.
	Running State = iota
	// Starting clusters are being created or woken; their nodes count as coming capacity.
	Starting
	// Hibernated clusters are stopped with their data kept; waking one is faster than creating one.
	Hibernated
	// Failed clusters could not be made by their provider.
	Failed
	// Lost clusters were made but stopped answering: their capacity no longer counts, and
	// a lost spot cluster is taken as pre-empted.
	Lost
)

// Cluster is what the planner knows of one member cluster.
type Cluster struct {
	Name, Pool string
	Labels     labels.Set
	State      State
	// Nodes is the desired node count.
	Nodes int32
	// Managed clusters may be scaled, drained and taken offline by the planner.
	Managed bool
	// Pods is every pod the cluster runs now, system pods included; user replicas come from
	// the demands' Assigned.
	Pods int32
	// DrainLimit is the pod limit of a cluster being drained, or -1.
	DrainLimit int32
	// IdleSince is when the cluster last stopped running user replicas; zero while it runs some.
	IdleSince time.Time
	// FailureReason says why a Failed or Lost cluster failed.
	FailureReason string
	// Allocatable is the capacity of a cluster without a pool, such as a joined one.
	Allocatable placement.Resources
}

// Demand is one workload's need for replicas.
type Demand struct {
	// Name identifies the workload (namespace/name), Placement the placement that places it.
	Name, Placement string
	// Namespace is the workload's namespace, which pools' namespace quotas count by.
	Namespace string
	Replicas  int32
	Request   placement.Resources
	// Policy holds the placement's constraints, spread, mode and preferences.
	Policy placement.Policy
	// Shares is the demand's share by region, for locality; empty when unknown.
	Shares map[string]float64
	// Grow allows new capacity for the demand; Pools, when not empty, limits it to these pools.
	Grow  bool
	Pools []string
	// Assigned is where the replicas run now, by cluster.
	Assigned map[string]int32
}

// Config tunes the planner.
type Config struct {
	// StabilizationWindow is how long a cluster keeps nodes after demand falls: it shrinks to
	// the largest size it needed within the window.
	StabilizationWindow time.Duration
	// DisruptionBudget is the most replicas of one workload a drain step moves at once.
	DisruptionBudget int32
	// ConsolidationThreshold is the share of a cluster's cost that draining it must save.
	ConsolidationThreshold float64
	// DisruptionCost is what moving one replica costs, in the pools' currency: draining a
	// cluster must save, in an hour, more than moving its replicas costs.
	DisruptionCost float64
	// MaxMovesPerHour is how many consolidations may move one workload's replicas in an hour.
	MaxMovesPerHour int
	// LocalityThreshold is how much cheaper capacity far from a demand's regions must be,
	// as a share of the price near them, before the planner takes it: 0.75 takes a far pool
	// only at under a quarter of the near price; 0 ignores distance; 1 keeps demand near
	// whenever near capacity can be had. Regions are near when they share a continent.
	LocalityThreshold float64
	// LocalityWeight, TierWeight and SpotRisk raise the price of capacity outside the
	// demand's own regions, of the wrong tier, or on spot nodes, by that fraction.
	LocalityWeight, TierWeight, SpotRisk float64
	// DelayWeight raises the price of capacity by this fraction per hour it takes to come.
	DelayWeight float64
	// ReserveWeight raises, by this fraction, the price of capacity for a demand without
	// required labels in a pool that a demand with required labels (compliance, say) can use,
	// so that scarce pools stay for the demand that has no other choice.
	ReserveWeight float64
	// FailureBackoff is how long a pool whose provider failed is passed over.
	FailureBackoff time.Duration
	// Forecast adds capacity ahead of a recurring ramp: for the replicas each workload had a
	// day or a week ago, or one and two of its own periods ago, within the time the slowest
	// pool takes to make a cluster; each way is ordered its own time to capacity before. A
	// cluster in a trough the forecast knows gives its nodes back without a stabilisation window.
	Forecast bool
	// CapacityHorizon is how long the planner expects new demand to last when it weighs
	// ordering cheaper, slower capacity behind fast capacity; 0 never orders any.
	CapacityHorizon time.Duration
}

// DefaultConfig is the configuration of the controller and the simulator unless told otherwise.
func DefaultConfig() Config {
	return Config{
		StabilizationWindow:    5 * time.Minute,
		DisruptionBudget:       5,
		ConsolidationThreshold: 0.2,
		DisruptionCost:         0.05,
		MaxMovesPerHour:        2,
		LocalityThreshold:      0.75,
		LocalityWeight:         0.1,
		TierWeight:             0.25,
		SpotRisk:               0.1,
		DelayWeight:            10,
		ReserveWeight:          0.5,
		FailureBackoff:         5 * time.Minute,
		CapacityHorizon:        2 * time.Hour,
	}
}

// Input is the fleet and its demand at one instant.
type Input struct {
	Now      time.Time
	Pools    []Pool
	Clusters []Cluster
	Demands  []Demand
	Config   Config
}

// ActionKind names a change to the fleet.
type ActionKind string

const (
	// Create makes a new cluster in Pool with Nodes nodes.
	Create ActionKind = "Create"
	// Wake brings a hibernated cluster back with Nodes nodes.
	Wake ActionKind = "Wake"
	// Scale sets a running cluster's node count to Nodes.
	Scale ActionKind = "Scale"
	// Drain lowers a cluster's pod limit to DrainLimit, so that its replicas move elsewhere.
	Drain ActionKind = "Drain"
	// Hibernate stops an idle cluster and keeps its data.
	Hibernate ActionKind = "Hibernate"
	// Delete removes an idle or failed cluster.
	Delete ActionKind = "Delete"
)

// Action is one decision, with its reason and what it changes in the fleet's cost per hour.
type Action struct {
	Kind ActionKind
	// Cluster is empty for Create.
	Cluster, Pool string
	Nodes         int32
	DrainLimit    int32
	// Replicas is how many replicas the added capacity serves, or a drain moves.
	Replicas int32
	// CostPerHour is the change in the fleet's cost per hour.
	CostPerHour float64
	// Demand names the workload that asked for the capacity, if one did.
	Demand string
	Reason string
}

// Unserved is demand that no capacity the planner may add can serve.
type Unserved struct {
	Demand   string
	Replicas int32
	Reason   string
}

// QuotaReached says that a pool added no capacity for a demand because the demand's
// namespace had reached the pool's namespace quota.
type QuotaReached struct {
	Demand, Namespace, Pool string
	// Requested is what the namespace's replicas request in the pool, Quota the bound.
	Requested, Quota placement.Resources
}

func (q QuotaReached) String() string {
	var parts []string
	if q.Quota.MilliCPU < Unbounded {
		parts = append(parts, fmt.Sprintf("cpu %s of %s", resource.NewMilliQuantity(q.Requested.MilliCPU, resource.DecimalSI), resource.NewMilliQuantity(q.Quota.MilliCPU, resource.DecimalSI)))
	}
	if q.Quota.MemoryBytes < Unbounded {
		parts = append(parts, fmt.Sprintf("memory %s of %s", resource.NewQuantity(q.Requested.MemoryBytes, resource.BinarySI), resource.NewQuantity(q.Quota.MemoryBytes, resource.BinarySI)))
	}
	return fmt.Sprintf("namespace %q has reached its quota in pool %s: its replicas there request %s", q.Namespace, q.Pool, strings.Join(parts, ", "))
}

// Unbounded stands for a dimension a namespace quota does not bound.
const Unbounded = math.MaxInt64 / 2

// Plan is the planner's decision at one instant.
type Plan struct {
	Actions  []Action
	Unserved []Unserved
	// QuotaReached lists, once per demand and pool, the quotas that held capacity back.
	QuotaReached []QuotaReached
	// WholeFleet is the whole-fleet decision a calm decision made: the pools' clusters and
	// nodes that would serve all demand at once, and what they and the managed clusters cost
	// per hour. Nil when the fleet was not calm.
	WholeFleet *WholeFleetDecision
}

// WholeFleetDecision is the fleet the whole-fleet decision chose, against the fleet of now.
type WholeFleetDecision struct {
	Pools []PoolTarget
	// CostPerHour is what that fleet costs; NowPerHour what the managed clusters cost now at
	// the nodes their replicas need.
	CostPerHour, NowPerHour float64
}

// Memory is what the planner remembers between decisions: recent node needs, for
// stabilisation, and pools whose provider failed. The caller keeps it; losing it only
// restarts the stabilisation windows, which then shrink nothing until they were watched
// whole, and forgets failures.
type Memory struct {
	needs map[string][]need
	// watched is when each cluster's needs were first recorded.
	watched     map[string]time.Time
	failedPools map[string]failure
	// online is when each cluster was seen turning Running: the zero time for one already
	// Running when first seen, whose history is unknown. grown is when it was last seen with
	// more nodes than before; nodes is its node count when last seen.
	online, grown map[string]time.Time
	nodes         map[string]int32
	// moves are when consolidation last started moving each workload's replicas.
	moves map[string][]time.Time
	// behind holds, by pool, the capacity ordered there to take over from a faster pool.
	behind map[string]behindOrder
	// shrunk is when each cluster was last shrunk by stabilisation; windows are the
	// stabilisation windows of clusters that grew again soon after (see regrown).
	shrunk  map[string]time.Time
	windows map[string]flapWindow
	// history is each workload's replicas over the last days, for the forecast.
	history map[string]*history
	// replicas are each workload's replicas within the stabilisation window, by decision.
	replicas map[string][]need
	// pools are the replicas on each pool's online managed clusters within the capacity
	// horizon, by decision: how fast demand lands in a pool.
	pools map[string][]poolSample
}

// poolSample is the replicas on a pool's online managed clusters at one decision.
type poolSample struct {
	at       time.Time
	replicas int64
}

// behindOrder is capacity ordered in a pool to take over from a faster, dearer cluster.
type behindOrder struct {
	// until is when the order lapses: by then the capacity has come and settled.
	until time.Time
	// takesOver names the cluster it was ordered to take over from, when one was, and
	// horizon is how long the order expected that cluster's demand to last: its drain pays
	// within as long.
	takesOver string
	horizon   time.Duration
	// forGrowth is set for a cluster of free nodes ordered for the demand still arriving: the
	// replicas that need room before it comes get faster capacity, not a wait for it, unless
	// it comes soon (waitForGrowth).
	forGrowth bool
	// ready is when the capacity ordered comes.
	ready time.Time
}

type need struct {
	at    time.Time
	nodes int32
}

type failure struct {
	until  time.Time
	reason string
}

// NewMemory returns an empty memory.
func NewMemory() *Memory {
	return &Memory{needs: map[string][]need{}, watched: map[string]time.Time{}, failedPools: map[string]failure{},
		online: map[string]time.Time{}, grown: map[string]time.Time{}, nodes: map[string]int32{}, moves: map[string][]time.Time{},
		behind: map[string]behindOrder{}, shrunk: map[string]time.Time{}, windows: map[string]flapWindow{},
		history: map[string]*history{}, replicas: map[string][]need{}, pools: map[string][]poolSample{}}
}

// Round shortens a duration for reasons people read: tenths of a second under a minute,
// whole seconds above (4.3s, 20.4s, 1m5s rather than 20.385486741s).
func Round(d time.Duration) time.Duration {
	if d < time.Minute {
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Second)
}
