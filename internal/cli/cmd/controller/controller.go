package controller

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/cli/options"
	"github.com/navarkos/navarkos/internal/controller/cluster"
	"github.com/navarkos/navarkos/internal/provider"
	"github.com/navarkos/navarkos/internal/provider/static"
	"github.com/navarkos/navarkos/internal/setup"
)

type flagpole struct {
	healthInterval    time.Duration
	metricsAddr       string
	probeAddr         string
	pprofAddr         string
	leaderElection    bool
	leaderElectionNS  string
	leaseInCluster    bool
	applyFiles        []string
	installCRDs       bool
	enableLocal       bool
	maxConcurrentWork int
	kubeconfigPlugins bool
	planner           options.Planner
	members           options.LocalMembers
	dns               options.DNS
}

// NewCommand returns `navarkos controller`.
func NewCommand(g *options.Global) *cobra.Command {
	f := &flagpole{}
	cmd := &cobra.Command{
		Use:   "controller",
		Short: "Run the Navarkos controllers against an existing fleet API server (production mode)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runE(cmd.Context(), g, f)
		},
	}
	fs := cmd.Flags()
	fs.DurationVar(&f.healthInterval, "health-interval", cluster.DefaultHealthInterval, "how often each cluster's health and capacity are checked")
	fs.StringVar(&f.metricsAddr, "metrics-addr", ":8080", "address to serve Prometheus metrics on (0 turns them off)")
	fs.StringVar(&f.probeAddr, "health-probe-addr", ":8081", "address to serve /healthz and /readyz on")
	fs.StringVar(&f.pprofAddr, "pprof-addr", "", "address to serve Go's /debug/pprof profiles on, for CPU and heap profiles of the controllers (empty turns them off)")
	fs.BoolVar(&f.leaderElection, "leader-elect", false, "elect a leader so that only one replica acts")
	fs.StringVar(&f.leaderElectionNS, "leader-election-namespace", n6sv1alpha1.SystemNamespace, "namespace of the leader election Lease")
	fs.BoolVar(&f.leaseInCluster, "leader-election-in-cluster", false, "hold the leader election Lease in the cluster this pod runs in, rather than in the fleet API")
	fs.StringArrayVar(&f.applyFiles, "apply", nil, "YAML file of fleet objects (e.g. ClusterPools) to apply at start; repeatable")
	fs.BoolVar(&f.installCRDs, "install-crds", true, "apply the Navarkos CRDs before starting; false waits until navarkos bootstrap has")
	fs.BoolVar(&f.enableLocal, "enable-local-provider", false, "enable the local provider, with clusters under --data-dir")
	fs.IntVar(&f.maxConcurrentWork, "max-concurrent-clusters", 4, "how many clusters the Cluster Manager works on at once")
	fs.BoolVar(&f.kubeconfigPlugins, "allow-kubeconfig-plugins", false, "let joined clusters' kubeconfigs run exec and auth-provider plugins and read token, certificate and key files; whoever writes a join Secret then runs code here")
	f.planner.AddFlags(fs)
	f.members.AddFlags(fs)
	f.dns.AddFlags(fs, "")
	return cmd
}

func runE(ctx context.Context, g *options.Global, f *flagpole) error {
	ctrl.SetLogger(zap.New(zap.WriteTo(os.Stderr)))
	plannerOpts, err := f.planner.Options()
	if err != nil {
		return err
	}
	dnsOpts, err := f.dns.Options()
	if err != nil {
		return err
	}
	cfg, err := g.RESTConfig()
	if err != nil {
		return err
	}
	c, err := client.New(cfg, client.Options{Scheme: setup.Scheme()})
	if err != nil {
		return fmt.Errorf("failed to connect to the fleet API at %s: %w", cfg.Host, err)
	}
	if err := bootstrap(ctx, c, f); err != nil {
		return err
	}
	var leaseConfig *rest.Config
	if f.leaseInCluster {
		if leaseConfig, err = rest.InClusterConfig(); err != nil {
			return fmt.Errorf("--leader-election-in-cluster: %w", err)
		}
	}
	providers := provider.Registry{n6sv1alpha1.ProviderStatic: static.Provider{}}
	if f.enableLocal {
		fleet := g.Fleet()
		if fleet.MemberProfile, err = f.members.Options(); err != nil {
			return err
		}
		providers[n6sv1alpha1.ProviderLocal] = fleet.LocalProvider()
	}
	mgr, err := setup.NewManager(ctx, cfg, setup.Options{
		Providers:               providers,
		HealthInterval:          f.healthInterval,
		MetricsAddr:             f.metricsAddr,
		HealthProbeAddr:         f.probeAddr,
		PprofAddr:               f.pprofAddr,
		LeaderElection:          f.leaderElection,
		LeaderElectionNamespace: f.leaderElectionNS,
		LeaderElectionConfig:    leaseConfig,
		MaxConcurrentClusters:   f.maxConcurrentWork,
		AllowKubeconfigPlugins:  f.kubeconfigPlugins,
		Planner:                 plannerOpts,
		DNS:                     dnsOpts,
	})
	if err != nil {
		return err
	}
	return mgr.Start(ctx)
}

// bootstrap installs the CRDs, or waits until another component has, and applies the
// --apply files. The fleet API may start after the controllers (pods of one release start
// together), so while it cannot be reached, or what it needs first is not in place, this
// waits with backoff; an object the API refuses is an error at once.
func bootstrap(ctx context.Context, c client.Client, f *flagpole) error {
	wait := setup.Unreachable
	if !f.installCRDs {
		wait = setup.NotSetUpYet
	}
	return setup.RetryWhile(ctx, ctrl.Log.WithName("bootstrap"), "Waiting for the fleet API", wait, func() error {
		if f.installCRDs {
			if err := setup.InstallCRDs(ctx, c); err != nil {
				return err
			}
		} else if err := setup.CRDsServed(ctx, c); err != nil {
			return err
		}
		for _, file := range f.applyFiles {
			if err := setup.ApplyFile(ctx, c, file); err != nil {
				return err
			}
		}
		return nil
	})
}
