package planner

import (
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/navarkos/navarkos/internal/planner"
)

var (
	actionsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "navarkos_planner_actions_total",
		Help: "Decisions the planner carried out, by action (Create, Wake, Scale, Drain, Hibernate, Delete) and pool.",
	}, []string{"action", "pool"})
	unservedReplicas = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "navarkos_planner_unserved_replicas",
		Help: "Replicas that no capacity the planner may add can serve, at its last run.",
	})
	plannedCostChange = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "navarkos_planner_cost_change_per_hour",
		Help: "The change in the fleet's cost per hour that the planner's last run decided.",
	})
	demandReplicas = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "navarkos_planner_demand_replicas",
		Help: "Replicas of every workload the planner plans for, at its last run.",
	})
)

func init() {
	metrics.Registry.MustRegister(actionsTotal, unservedReplicas, plannedCostChange, demandReplicas)
}

// observePlan sets the gauges from one run.
func observePlan(in planner.Input, plan planner.Plan) {
	var unserved, demand int32
	for _, u := range plan.Unserved {
		unserved += u.Replicas
	}
	for _, d := range in.Demands {
		demand += d.Replicas
	}
	var change float64
	for _, a := range plan.Actions {
		change += a.CostPerHour
	}
	unservedReplicas.Set(float64(unserved))
	demandReplicas.Set(float64(demand))
	plannedCostChange.Set(change)
}
