package up

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/navarkos/navarkos/internal/cli/options"
	"github.com/navarkos/navarkos/internal/controller/cluster"
	"github.com/navarkos/navarkos/internal/dashboard"
	"github.com/navarkos/navarkos/internal/localfleet"
	"github.com/navarkos/navarkos/internal/setup"
)

type flagpole struct {
	apiServerPort  int
	healthInterval time.Duration
	metricsAddr    string
	dashboardAddr  string
	dns            options.DNS
	planner        options.Planner
	members        options.LocalMembers
}

// NewCommand returns `navarkos up`.
func NewCommand(g *options.Global) *cobra.Command {
	f := &flagpole{}
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Run a local fleet: the fleet API server, the controllers and the local pools",
		Long: `Run a local fleet in the foreground: a fleet API server (etcd and kube-apiserver),
the Navarkos CRDs, the default local pools, and every controller.

Stop it with Ctrl-C: member clusters and the fleet API server stop and keep their data.
Run it again with the same --data-dir to resume.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runE(cmd.Context(), cmd.OutOrStdout(), g, f)
		},
	}
	cmd.Flags().IntVar(&f.apiServerPort, "api-port", 0, "port of the fleet API server when it is first created (default: a free port)")
	cmd.Flags().DurationVar(&f.healthInterval, "health-interval", cluster.DefaultHealthInterval, "how often each cluster's health and capacity are checked")
	cmd.Flags().StringVar(&f.metricsAddr, "metrics-addr", "0", "address to serve controller metrics on (0 turns them off)")
	cmd.Flags().StringVar(&f.dashboardAddr, "dashboard-addr", "127.0.0.1:0", "loopback address of the dashboard (port 0: a free one; empty turns it off)")
	f.dns.AddFlags(cmd.Flags(), "127.0.0.1:5353")
	f.planner.AddFlags(cmd.Flags())
	f.members.AddFlags(cmd.Flags())
	return cmd
}

func runE(ctx context.Context, out io.Writer, g *options.Global, f *flagpole) error {
	plannerOpts, err := f.planner.Options()
	if err != nil {
		return err
	}
	dnsOpts, err := f.dns.Options()
	if err != nil {
		return err
	}
	profile, err := f.members.Options()
	if err != nil {
		return err
	}
	fl := g.Fleet()
	fl.APIServerPort, fl.MemberProfile = f.apiServerPort, profile
	if err := os.MkdirAll(g.DataDir, 0o700); err != nil {
		return fmt.Errorf("failed to create data directory %s: %w", g.DataDir, err)
	}
	logPath := filepath.Join(g.DataDir, "navarkos.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("failed to open log file %s: %w", logPath, err)
	}
	defer logFile.Close()
	logger := zap.New(zap.WriteTo(logFile))
	ctrl.SetLogger(logger)
	klog.SetLogger(logger) // client-go's warnings go to the log file too, not over the progress lines
	fmt.Fprintf(out, "Starting a local fleet in %s (controller logs: %s)\n", g.DataDir, logPath)
	start := time.Now()
	return fl.Run(ctx, localfleet.RunOptions{
		Controllers: setup.Options{HealthInterval: f.healthInterval, MetricsAddr: f.metricsAddr, Planner: plannerOpts, DNS: dnsOpts},
		Progress: func(step string) {
			fmt.Fprintf(out, "  [%5.1fs] %s\n", time.Since(start).Seconds(), step)
		},
		Ready: func(cfg *rest.Config) {
			fmt.Fprintf(out, "Fleet ready in %.1fs at %s; kubeconfig: %s\n", time.Since(start).Seconds(), cfg.Host, fl.KubeconfigPath())
			if f.dashboardAddr != "" {
				// The fleet's kubeconfig is the caller's own here: up made it for them.
				opts := dashboard.Options{DNSServer: dnsOpts.Addr, Geo: dnsOpts.Geo, Planner: plannerOpts.Config,
					HistoryFile: filepath.Join(g.DataDir, "dashboard-history.jsonl")}
				if url, _, err := dashboard.Listen(ctx, cfg, setup.Scheme(), f.dashboardAddr, opts); err != nil {
					fmt.Fprintf(out, "The dashboard did not start: %v\n", err)
				} else {
					fmt.Fprintf(out, "Dashboard: %s\n", url)
				}
			}
			fmt.Fprint(out, nextSteps(fl.KubeconfigPath(), g.BinDir, g.DataDir))
		},
	})
}

// nextSteps tells a newcomer what to try once the fleet runs.
func nextSteps(kubeconfig, binDir, dataDir string) string {
	return fmt.Sprintf(`Next, in another terminal:
  export KUBECONFIG=%s PATH=%s:$PATH
  navarkos get pools
  kubectl apply -f examples/shop.yaml         # an application: the planner makes a cluster for it
  navarkos get clusters                        # Ready in seconds
  navarkos explain shop/web                    # where it runs and why
  kubectl apply -f examples/cluster.yaml      # or a Cluster of 3 nodes in local-eu-west, by hand
  navarkos kubeconfig demo > demo.kubeconfig   # a real member cluster
  navarkos fn install --all-clusters --allow-separate-datastores   # Fn on every cluster (sqlite each), behind fn.navarkos.local
Press Ctrl-C to stop the fleet; its state stays in %s.
`, kubeconfig, binDir, dataDir)
}
