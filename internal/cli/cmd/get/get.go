package get

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/util/duration"
	"sigs.k8s.io/controller-runtime/pkg/client"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/cli/options"
)

type flagpole struct {
	namespace     string
	allNamespaces bool
}

// listable is one kind that get lists: its names, as kubectl's RESTMapper knows them from the
// CRDs (plural, singular and short names), and how to list and render it.
type listable struct {
	plural, singular string
	short            []string
	// table lists the kind (in the namespace opts say, for a namespaced kind) as rows under a header.
	table func(ctx context.Context, c client.Client, opts []client.ListOption, now time.Time) ([][]string, error)
}

// resources are the kinds get lists, in the order its usage names them.
var resources = []listable{
	{plural: "clusters", singular: "cluster", short: []string{"mc"}, table: func(ctx context.Context, c client.Client, _ []client.ListOption, now time.Time) ([][]string, error) {
		list := &n6sv1alpha1.ClusterList{}
		if err := c.List(ctx, list); err != nil {
			return nil, fmt.Errorf("failed to list Clusters: %w", err)
		}
		return ClusterTable(list.Items, now), nil
	}},
	{plural: "clusterpools", singular: "clusterpool", short: []string{"cp", "pool", "pools"}, table: func(ctx context.Context, c client.Client, _ []client.ListOption, _ time.Time) ([][]string, error) {
		list := &n6sv1alpha1.ClusterPoolList{}
		if err := c.List(ctx, list); err != nil {
			return nil, fmt.Errorf("failed to list ClusterPools: %w", err)
		}
		return PoolTable(list.Items), nil
	}},
	{plural: "placements", singular: "placement", short: []string{"pl"}, table: func(ctx context.Context, c client.Client, opts []client.ListOption, _ time.Time) ([][]string, error) {
		list := &n6sv1alpha1.PlacementList{}
		if err := c.List(ctx, list, opts...); err != nil {
			return nil, fmt.Errorf("failed to list Placements: %w", err)
		}
		return PlacementTable(list.Items), nil
	}},
	{plural: "resourcebindings", singular: "resourcebinding", short: []string{"rb", "binding", "bindings"}, table: func(ctx context.Context, c client.Client, opts []client.ListOption, _ time.Time) ([][]string, error) {
		list := &n6sv1alpha1.ResourceBindingList{}
		if err := c.List(ctx, list, opts...); err != nil {
			return nil, fmt.Errorf("failed to list ResourceBindings: %w", err)
		}
		return BindingTable(list.Items), nil
	}},
	{plural: "globalingresses", singular: "globalingress", short: []string{"gi"}, table: func(ctx context.Context, c client.Client, opts []client.ListOption, _ time.Time) ([][]string, error) {
		list := &n6sv1alpha1.GlobalIngressList{}
		if err := c.List(ctx, list, opts...); err != nil {
			return nil, fmt.Errorf("failed to list GlobalIngresses: %w", err)
		}
		return GlobalIngressTable(list.Items), nil
	}},
}

// resourceNamed finds the kind a name on the command line means, in any case.
func resourceNamed(name string) (listable, bool) {
	name = strings.ToLower(name)
	for _, r := range resources {
		if name == r.plural || name == r.singular || slices.Contains(r.short, name) {
			return r, true
		}
	}
	return listable{}, false
}

// resourceNames are every name get takes, for completion and the usage.
func resourceNames() []string {
	var names []string
	for _, r := range resources {
		names = append(append(names, r.plural, r.singular), r.short...)
	}
	return names
}

// NewCommand returns `navarkos get`.
func NewCommand(g *options.Global) *cobra.Command {
	f := &flagpole{}
	var plurals []string
	for _, r := range resources {
		plurals = append(plurals, r.plural)
	}
	cmd := &cobra.Command{
		Use:       "get " + strings.Join(plurals, "|"),
		Short:     "List the fleet's clusters, pools, placements, bindings or global ingresses",
		Args:      cobra.ExactArgs(1),
		ValidArgs: resourceNames(),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.Client()
			if err != nil {
				return err
			}
			return runE(cmd.Context(), cmd.OutOrStdout(), c, args[0], f, time.Now())
		},
	}
	cmd.Flags().StringVarP(&f.namespace, "namespace", "n", "default", "namespace of placements, bindings and global ingresses")
	cmd.Flags().BoolVarP(&f.allNamespaces, "all-namespaces", "A", false, "list placements, bindings and global ingresses of every namespace")
	return cmd
}

func runE(ctx context.Context, out io.Writer, c client.Client, noun string, f *flagpole, now time.Time) error {
	r, ok := resourceNamed(noun)
	if !ok {
		return fmt.Errorf("the fleet has no resource type %q: want one of %s", noun, strings.Join(resourceNames(), ", "))
	}
	var opts []client.ListOption
	if !f.allNamespaces {
		opts = append(opts, client.InNamespace(f.namespace))
	}
	rows, err := r.table(ctx, c, opts, now)
	if err != nil {
		return err
	}
	return writeTable(out, rows)
}

// GlobalIngressTable renders global ingresses with each host's targets: cluster=address, and
// the reason of those that are not answered.
func GlobalIngressTable(items []n6sv1alpha1.GlobalIngress) [][]string {
	rows := [][]string{{"NAMESPACE", "NAME", "HOSTS", "STRATEGY", "TTL", "ANSWERED", "NOT ANSWERED"}}
	slices.SortFunc(items, func(a, b n6sv1alpha1.GlobalIngress) int {
		return strings.Compare(a.Namespace+"/"+a.Name, b.Namespace+"/"+b.Name)
	})
	for _, gi := range items {
		var answered, not []string
		if len(gi.Status.Hosts) > 0 {
			for _, t := range gi.Status.Hosts[0].Targets {
				if t.Healthy {
					answered = append(answered, t.Cluster+"="+strings.Join(t.Addresses, "+"))
				} else {
					not = append(not, t.Cluster+" ("+t.Reason+")")
				}
			}
		}
		strategy := string(gi.Spec.Strategy.Type)
		rows = append(rows, []string{gi.Namespace, gi.Name, strings.Join(gi.Spec.Hosts, ","), orDash(strategy), fmt.Sprint(gi.Spec.TTL),
			orDash(strings.Join(answered, ",")), orDash(strings.Join(not, ", "))})
	}
	return rows
}

// PlacementTable renders placements as rows under a header, sorted by namespace and name.
func PlacementTable(placements []n6sv1alpha1.Placement) [][]string {
	sort.Slice(placements, func(i, j int) bool {
		return placements[i].Namespace+"/"+placements[i].Name < placements[j].Namespace+"/"+placements[j].Name
	})
	rows := [][]string{{"NAMESPACE", "NAME", "SELECTED", "SCHEDULED", "REASON", "MESSAGE"}}
	for _, p := range placements {
		status, reason, msg := "-", "-", "-"
		if cond := meta.FindStatusCondition(p.Status.Conditions, n6sv1alpha1.PlacementScheduledCondition); cond != nil {
			status, reason, msg = string(cond.Status), cond.Reason, cond.Message
		}
		rows = append(rows, []string{p.Namespace, p.Name, fmt.Sprint(p.Status.SelectedResources), status, reason, msg})
	}
	return rows
}

// BindingTable renders bindings as rows: where each resource runs, with replicas and state per cluster.
func BindingTable(bindings []n6sv1alpha1.ResourceBinding) [][]string {
	sort.Slice(bindings, func(i, j int) bool {
		return bindings[i].Namespace+"/"+bindings[i].Name < bindings[j].Namespace+"/"+bindings[j].Name
	})
	rows := [][]string{{"NAMESPACE", "RESOURCE", "PLACEMENT", "CLUSTERS", "APPLIED", "UNPLACED"}}
	for _, b := range bindings {
		state := map[string]n6sv1alpha1.ClusterResourceState{}
		for _, s := range b.Status.Clusters {
			state[s.Name] = s.State
		}
		var clusters []string
		for _, tc := range b.Spec.Clusters {
			cell := tc.Name
			if tc.Replicas != nil {
				cell += fmt.Sprintf("=%d", *tc.Replicas)
			}
			if st, ok := state[tc.Name]; ok && st != n6sv1alpha1.ResourceApplied {
				cell += "(" + string(st) + ")"
			}
			clusters = append(clusters, cell)
		}
		applied := "-"
		if cond := meta.FindStatusCondition(b.Status.Conditions, n6sv1alpha1.BindingAppliedCondition); cond != nil {
			applied = string(cond.Status)
		}
		rows = append(rows, []string{
			b.Namespace, strings.ToLower(b.Spec.Resource.Kind) + "/" + b.Spec.Resource.Name,
			strings.ToLower(b.Spec.Placement.Kind) + "/" + b.Spec.Placement.Name,
			orDash(strings.Join(clusters, ",")), applied, fmt.Sprint(b.Spec.UnplacedReplicas),
		})
	}
	return rows
}

// ClusterTable renders clusters as rows under a header, sorted by name.
func ClusterTable(clusters []n6sv1alpha1.Cluster, now time.Time) [][]string {
	sort.Slice(clusters, func(i, j int) bool { return clusters[i].Name < clusters[j].Name })
	rows := [][]string{{"NAME", "POOL", "REGION", "DESIRED", "PHASE", "NODES", "CPU USED/ALLOC", "PODS USED/ALLOC", "$/HOUR", "HEARTBEAT", "REASON"}}
	for _, c := range clusters {
		st := c.Status
		nodes := fmt.Sprintf("%d", st.Nodes)
		if c.Spec.Nodes != nil {
			nodes = fmt.Sprintf("%d/%d", st.Nodes, *c.Spec.Nodes)
		}
		cost := "-"
		if st.CostPerHour != nil {
			cost = st.CostPerHour.AsDec().String()
		}
		heartbeat := "-"
		if st.LastHeartbeatTime != nil {
			heartbeat = duration.HumanDuration(now.Sub(st.LastHeartbeatTime.Time)) + " ago"
		}
		reason := "-"
		if cond := meta.FindStatusCondition(st.Conditions, n6sv1alpha1.ClusterReadyCondition); cond != nil && cond.Status != "True" {
			reason = cond.Reason
		}
		rows = append(rows, []string{
			c.Name, orDash(c.Spec.Pool), orDash(c.Labels[n6sv1alpha1.RegionLabel]), string(c.Spec.DesiredState), orDash(string(st.Phase)), nodes,
			st.Capacity.Used.CPU.String() + "/" + st.Capacity.Allocatable.CPU.String(),
			fmt.Sprintf("%d/%d", st.Capacity.Used.Pods, st.Capacity.Allocatable.Pods),
			cost, heartbeat, reason,
		})
	}
	return rows
}

// PoolTable renders pools as rows under a header, sorted by name.
func PoolTable(pools []n6sv1alpha1.ClusterPool) [][]string {
	sort.Slice(pools, func(i, j int) bool { return pools[i].Name < pools[j].Name })
	rows := [][]string{{"NAME", "PROVIDER", "REGION", "NODE SHAPE", "$/NODE-HOUR", "MARKET", "CLUSTERS", "NODES/CLUSTER", "OFFLINE"}}
	for _, p := range pools {
		s := p.Spec
		rows = append(rows, []string{
			p.Name, string(s.Provider), s.Region,
			fmt.Sprintf("%s CPU, %s, %d pods", s.NodeShape.CPU.String(), s.NodeShape.Memory.String(), s.NodeShape.Pods),
			s.Price.PerNodeHour.AsDec().String(), orDash(string(s.Price.Market)),
			fmt.Sprintf("%d/%d ready, max %d", p.Status.ReadyClusters, p.Status.Clusters, s.Clusters.Max),
			fmt.Sprintf("%d-%d", s.NodesPerCluster.Min, s.NodesPerCluster.Max),
			orDash(string(s.OfflineMode)),
		})
	}
	return rows
}

func writeTable(out io.Writer, rows [][]string) error {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	for _, r := range rows {
		fmt.Fprintln(w, strings.Join(r, "\t"))
	}
	return w.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
