package fn

import (
	"cmp"
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"helm.sh/helm/v4/pkg/cli/values"
	"helm.sh/helm/v4/pkg/getter"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/charts"
	"github.com/navarkos/navarkos/internal/cli/options"
	"github.com/navarkos/navarkos/internal/fninstall"
	"github.com/navarkos/navarkos/internal/member"
)

// NewCommand returns `navarkos fn`.
func NewCommand(g *options.Global) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "fn",
		Short: "Install the Fn serverless platform on a member cluster or across the fleet",
	}
	cmd.AddCommand(newInstall(g), newStatus(g), newTest(g), newUninstall(g))
	return cmd
}

// target is where a command acts: one member cluster, or the fleet.
type target struct {
	release     fninstall.Release
	cluster     string
	allClusters bool
	placement   string
	globalName  string
	zone        string
	timeout     time.Duration
}

func (t *target) addFlags(cmd *cobra.Command, fleetHelp string) {
	fs := cmd.Flags()
	fs.StringVar(&t.release.Name, "name", "fn", "release name")
	fs.StringVarP(&t.release.Namespace, "namespace", "n", "fn", "namespace of the release")
	fs.StringVar(&t.cluster, "cluster", "", "member cluster to act on")
	fs.BoolVar(&t.allClusters, "all-clusters", false, fleetHelp)
	fs.DurationVar(&t.timeout, "timeout", 5*time.Minute, "how long Helm may take")
}

// validate checks that exactly one place is named; where lists the flags that name one.
func (t *target) validate(where string) error {
	switch {
	case t.cluster != "" && (t.allClusters || t.placement != ""):
		return fmt.Errorf("--cluster acts on one cluster; it cannot be combined with --all-clusters or --placement")
	case t.cluster == "" && !t.allClusters && t.placement == "":
		return fmt.Errorf("say where: %s", where)
	}
	return nil
}

// installFlags are the flags of `navarkos fn install`.
type installFlags struct {
	target   target
	values   values.Options
	chartDir string
	install  fninstall.Install
}

func newInstall(g *options.Global) *cobra.Command {
	f := &installFlags{}
	cmd := &cobra.Command{
		Use:   "install",
		Short: "Install (or upgrade) Fn with the Helm SDK; no helm binary is needed",
		Long: `Install the Fn chart (embedded in navarkos) into one member cluster with --cluster, or
into the fleet API with --all-clusters or --placement: a ClusterPlacement then runs Fn on every
selected cluster, and a GlobalIngress gives its invoke endpoints (/invoke, /t, and the API /v2
with publishAPI) one DNS name (--global-name).

Running it again upgrades the release as helm upgrade does: with no values given it keeps the
last release's, --reuse-values merges the given ones over them, and --reset-values starts from
the chart's defaults. A release left pending-install, -upgrade or -rollback by an interrupted
run is recovered first, once it is older than --timeout.

A fleet-wide install with a datastore each cluster has to itself (sqlite, the default, or the
bundled MySQL) would split apps and functions between the clusters behind one name: it is
refused unless --allow-separate-datastores.`,
		Example: `  navarkos fn install --cluster demo
  navarkos fn install --all-clusters --global-name fn.navarkos.local -f shared-database-values.yaml
  navarkos fn install --all-clusters --allow-separate-datastores     # sqlite in each cluster: each its own apps
  navarkos fn install --placement 'topology.kubernetes.io/region in (eu-west,us-east)' -f my-values.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			in, err := f.resolve()
			if err != nil {
				return err
			}
			in.Report = func(msg string) { fmt.Fprintln(cmd.ErrOrStderr(), msg) }
			return runInstall(cmd, g, &f.target, in)
		},
	}
	f.addFlags(cmd)
	return cmd
}

func (f *installFlags) addFlags(cmd *cobra.Command) {
	t, in := &f.target, &f.install
	t.addFlags(cmd, "install into the fleet API and run Fn on every cluster")
	fs := cmd.Flags()
	fs.StringVar(&t.placement, "placement", "", "install into the fleet API and run Fn on the clusters this label selector picks")
	fs.StringVar(&t.globalName, "global-name", "", "global DNS name of a fleet-wide install (default: NAME.navarkos.local)")
	fs.StringVar(&t.zone, "zone", "", "DNS zone of the global name (default: the GlobalIngress default, navarkos.local)")
	fs.StringArrayVarP(&f.values.ValueFiles, "values", "f", nil, "values file of the chart (repeatable)")
	fs.StringArrayVar(&f.values.Values, "set", nil, "chart value, e.g. api.replicas=1 (repeatable)")
	fs.StringArrayVar(&f.values.StringValues, "set-string", nil, "chart value taken as a string, e.g. image.tag=0.3.749 (repeatable)")
	fs.StringArrayVar(&f.values.FileValues, "set-file", nil, "chart value read from a file, e.g. datastore.password=pw.txt (repeatable)")
	fs.StringArrayVar(&f.values.JSONValues, "set-json", nil, `chart value as JSON, e.g. 'imagePullSecrets=[{"name":"regcred"}]' (repeatable)`)
	fs.BoolVar(&in.ReuseValues, "reuse-values", false, "on an upgrade, merge the values given over the last release's")
	fs.BoolVar(&in.ResetValues, "reset-values", false, "on an upgrade, start from the chart's defaults even when no values are given")
	fs.BoolVar(&in.RollbackOnFailure, "rollback-on-failure", false, "roll a failed upgrade back (a failed first install is uninstalled); implies --wait")
	fs.BoolVar(&in.AllowSeparateDatastores, "allow-separate-datastores", false,
		"let a fleet-wide install give each cluster its own datastore (sqlite or the bundled MySQL), and so its own apps and functions")
	fs.StringVar(&f.chartDir, "chart", "", "a chart directory to install instead of the embedded Fn chart")
	fs.BoolVar(&in.Wait, "wait", true, "wait until every Fn workload is ready: in the cluster, or in every selected cluster")
}

// resolve checks the flags and gives the install they ask for, its values merged as Helm does.
func (f *installFlags) resolve() (fninstall.Install, error) {
	t, in := &f.target, f.install
	if err := t.validate("--cluster NAME, --all-clusters or --placement SELECTOR"); err != nil {
		return in, err
	}
	if _, err := clusterSelector(t); err != nil {
		return in, err
	}
	if in.ReuseValues && in.ResetValues {
		return in, fmt.Errorf("--reuse-values and --reset-values contradict each other: give one")
	}
	vals, err := f.values.MergeValues(getter.Providers{})
	if err != nil {
		return in, fmt.Errorf("bad values: %w", err)
	}
	in.Release, in.Values, in.Timeout = t.release, vals, t.timeout
	if f.chartDir != "" {
		if in.Chart, err = charts.LoadDir(f.chartDir); err != nil {
			return in, err
		}
	}
	return in, nil
}

func runInstall(cmd *cobra.Command, g *options.Global, t *target, in fninstall.Install) error {
	ctx := cmd.Context()
	c, err := g.Client()
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	if t.cluster != "" {
		kc, err := member.Kubeconfig(ctx, c, t.cluster)
		if err != nil {
			return err
		}
		if err := in.ToCluster(ctx, kc); err != nil {
			return fmt.Errorf("failed to install Fn into cluster %s: %w", t.cluster, err)
		}
		fmt.Fprintf(out, "Fn release %s installed in cluster %s, namespace %s\n", in.Name, t.cluster, in.Namespace)
		return nil
	}
	selector, err := clusterSelector(t)
	if err != nil {
		return err
	}
	fleet := fninstall.Fleet{ClusterSelector: selector, GlobalName: t.globalName, Zone: t.zone, Kubeconfigs: member.Kubeconfigs(c)}
	if fleet.GlobalName == "" {
		fleet.GlobalName = in.Name + "." + strings.TrimSuffix(cmp.Or(t.zone, "navarkos.local"), ".")
	}
	kc, err := g.KubeconfigBytes()
	if err != nil {
		return err
	}
	if err := in.ToFleet(ctx, kc, c, fleet); err != nil {
		return fmt.Errorf("failed to install Fn across the fleet: %w", err)
	}
	ready := ""
	if in.Wait {
		ready = ", and it is ready on each"
	}
	fmt.Fprintf(out, "Fn release %s installed in the fleet API, namespace %s; ClusterPlacement %s runs it on the selected clusters%s.\n",
		in.Name, in.Namespace, fninstall.PlacementName(in.Release), ready)
	fmt.Fprintf(out, "Its invoke endpoints answer at http://%s/ (GlobalIngress %s/%s). Follow it with: navarkos fn status -n %s --name %s\n",
		fleet.GlobalName, in.Namespace, in.Name, in.Namespace, in.Name)
	return nil
}

// clusterSelector is the --placement selector, or nothing for --all-clusters.
func clusterSelector(t *target) (*metav1.LabelSelector, error) {
	if t.placement == "" {
		return nil, nil
	}
	sel, err := metav1.ParseToLabelSelector(t.placement)
	if err != nil {
		return nil, fmt.Errorf("--placement %q is not a label selector: %w", t.placement, err)
	}
	return sel, nil
}

func newStatus(g *options.Global) *cobra.Command {
	var r fninstall.Release
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show Fn's readiness in each member cluster, and its global name",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			c, err := g.Client()
			if err != nil {
				return err
			}
			statuses, err := fninstall.Status(ctx, c, member.Kubeconfigs(c), r)
			if err != nil {
				return err
			}
			return printStatus(ctx, cmd, c, r, statuses)
		},
	}
	cmd.Flags().StringVar(&r.Name, "name", "fn", "release name")
	cmd.Flags().StringVarP(&r.Namespace, "namespace", "n", "fn", "namespace of the release")
	return cmd
}

func printStatus(ctx context.Context, cmd *cobra.Command, c client.Client, r fninstall.Release, statuses []fninstall.ClusterStatus) error {
	out := cmd.OutOrStdout()
	if len(statuses) == 0 {
		fmt.Fprintf(out, "Fn release %s (namespace %s) runs on no Ready cluster.\n", r.Name, r.Namespace)
	} else {
		w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "CLUSTER\tREADY\tWORKLOADS")
		for _, s := range statuses {
			fmt.Fprintf(w, "%s\t%t\t%s\n", s.Cluster, s.Ready(), s.Summary())
		}
		if err := w.Flush(); err != nil {
			return err
		}
	}
	gi := &n6sv1alpha1.GlobalIngress{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: r.Namespace, Name: r.Name}, gi); err != nil {
		return client.IgnoreNotFound(err)
	}
	for _, h := range gi.Status.Hosts {
		var healthy []string
		for _, t := range h.Targets {
			if t.Healthy {
				healthy = append(healthy, t.Cluster+"="+strings.Join(t.Addresses, ","))
			}
		}
		fmt.Fprintf(out, "Global name %s: %d of %d targets healthy (%s)\n", h.Host, len(healthy), len(h.Targets), strings.Join(healthy, " "))
	}
	return nil
}

func newTest(g *options.Global) *cobra.Command {
	var r fninstall.Release
	var cluster string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "test",
		Short: "Run the release's helm test in a member cluster: a pod that calls the Fn API",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cluster == "" {
				return fmt.Errorf("say where: --cluster NAME")
			}
			c, err := g.Client()
			if err != nil {
				return err
			}
			kc, err := member.Kubeconfig(cmd.Context(), c, cluster)
			if err != nil {
				return err
			}
			if err := fninstall.RunTests(kc, r.Name, r.Namespace, timeout); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Fn release %s in cluster %s: the API answered\n", r.Name, cluster)
			return nil
		},
	}
	cmd.Flags().StringVar(&r.Name, "name", "fn", "release name")
	cmd.Flags().StringVarP(&r.Namespace, "namespace", "n", "fn", "namespace of the release")
	cmd.Flags().StringVar(&cluster, "cluster", "", "member cluster the release runs in")
	cmd.Flags().DurationVar(&timeout, "timeout", 2*time.Minute, "how long the test may take")
	return cmd
}

func newUninstall(g *options.Global) *cobra.Command {
	t := &target{}
	var keepData bool
	cmd := &cobra.Command{
		Use:   "uninstall",
		Short: "Remove Fn from a member cluster (--cluster) or from the fleet (--all-clusters)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := t.validate("--cluster NAME, or --all-clusters for a fleet-wide release"); err != nil {
				return err
			}
			ctx := cmd.Context()
			c, err := g.Client()
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if t.cluster != "" {
				kc, err := member.Kubeconfig(ctx, c, t.cluster)
				if err != nil {
					return err
				}
				if err := fninstall.UninstallFromCluster(ctx, kc, t.release, keepData, t.timeout); err != nil {
					return err
				}
				fmt.Fprintf(out, "Fn release %s removed from cluster %s%s\n", t.release.Name, t.cluster, keptNote(keepData))
				return nil
			}
			kc, err := g.KubeconfigBytes()
			if err != nil {
				return err
			}
			if err := fninstall.UninstallFromFleet(ctx, kc, c, t.release, keepData, t.timeout); err != nil {
				return err
			}
			fmt.Fprintf(out, "Fn release %s removed from the fleet%s\n", t.release.Name, keptNote(keepData))
			return nil
		},
	}
	t.addFlags(cmd, "remove a fleet-wide release (made with --all-clusters or --placement) from the fleet API and its clusters")
	var deleteData bool
	cmd.Flags().BoolVar(&deleteData, "delete-data", false, "also delete the PersistentVolumeClaims (apps, functions, MySQL data), which are kept by default as the chart's resource policy says")
	cmd.PreRun = func(*cobra.Command, []string) { keepData = !deleteData }
	return cmd
}

func keptNote(keepData bool) string {
	if keepData {
		return "; its data claims are kept (--delete-data deletes them)"
	}
	return ""
}
