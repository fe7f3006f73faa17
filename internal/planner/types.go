package planner

import (
	"fmt"
	"math"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/navarkos/navarkos/internal/placement"
	"github.com/navarkos/navarkos/internal/planner/fleet"
	"github.com/navarkos/navarkos/internal/planner/memory"
	"github.com/navarkos/navarkos/internal/planner/pricing"
)

// The fleet's vocabulary lives in package fleet, which the planner's own packages share;
// these names keep the planner's API whole for its callers.
type (
	// Pool is what the planner knows of a ClusterPool.
	Pool = fleet.Pool
	// State is where a cluster is in its lifecycle, as far as capacity goes.
	State = fleet.State
	// Cluster is what the planner knows of one member cluster.
	Cluster = fleet.Cluster
	// Demand is one workload's need for replicas.
	Demand = fleet.Demand
)

// The cluster states, as package fleet names them.
const (
	Running    = fleet.Running
	Starting   = fleet.Starting
	Hibernated = fleet.Hibernated
	Failed     = fleet.Failed
	Lost       = fleet.Lost
)

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
	// cluster must save, in an hour, more than moving its replicas costs, and the fleet's
	// demand must have stayed within the capacity the drain leaves for as long as the saving
	// takes to pay for the moves (memory.Lull).
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

// weights are the configuration's price weights.
func (c *Config) weights() pricing.Weights {
	return pricing.Weights{Locality: c.LocalityWeight, Tier: c.TierWeight, Spot: c.SpotRisk, Reserve: c.ReserveWeight, Delay: c.DelayWeight}
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

// Memory is what the planner remembers between decisions (see package memory).
type Memory = memory.Memory

// NewMemory returns an empty memory.
func NewMemory() *Memory { return memory.New() }

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
