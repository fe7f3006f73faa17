package setup

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"
	inventoryv1alpha1 "sigs.k8s.io/cluster-inventory-api/apis/v1alpha1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/controller/cluster"
	"github.com/navarkos/navarkos/internal/controller/clusterpool"
	"github.com/navarkos/navarkos/internal/controller/clusterprofile"
	"github.com/navarkos/navarkos/internal/controller/globalingress"
	"github.com/navarkos/navarkos/internal/controller/placement"
	plannerctl "github.com/navarkos/navarkos/internal/controller/planner"
	"github.com/navarkos/navarkos/internal/controller/propagation"
	"github.com/navarkos/navarkos/internal/dns"
	"github.com/navarkos/navarkos/internal/kindwatch"
	"github.com/navarkos/navarkos/internal/kubeconfig"
	"github.com/navarkos/navarkos/internal/member"
	"github.com/navarkos/navarkos/internal/planner"
	"github.com/navarkos/navarkos/internal/provider"
	"github.com/navarkos/navarkos/internal/provider/capi"
	"github.com/navarkos/navarkos/internal/provider/local/localstorage"
	"github.com/navarkos/navarkos/internal/provider/local/loopbacklb"
)

// Options configures the controllers.
type Options struct {
	// Providers are the enabled cluster providers.
	Providers provider.Registry
	// HealthInterval is how often each cluster's health and capacity are observed.
	HealthInterval time.Duration
	// MetricsAddr serves Prometheus metrics; "0" turns them off.
	MetricsAddr string
	// HealthProbeAddr serves /healthz and /readyz; empty turns them off.
	HealthProbeAddr string
	// PprofAddr serves Go's /debug/pprof profiles; empty turns them off.
	PprofAddr string
	// LeaderElection makes only one replica of the controllers act at a time.
	LeaderElection bool
	// LeaderElectionNamespace holds the leader election Lease.
	LeaderElectionNamespace string
	// LeaderElectionConfig, when set, is the cluster that holds the Lease (e.g. the management
	// cluster the controllers run in); otherwise the fleet API holds it.
	LeaderElectionConfig *rest.Config
	// BindingReleaseAfter is how long a deleted Binding waits for an unreachable member; 0
	// means propagation.DefaultReleaseAfter.
	BindingReleaseAfter time.Duration
	// AllowKubeconfigPlugins lets joined clusters' kubeconfigs run exec and auth-provider
	// plugins and read files; off, they are refused with KubeconfigInvalid.
	AllowKubeconfigPlugins bool
	// MaxConcurrentClusters bounds how many clusters the Cluster Manager works on at once; 0 means 4.
	MaxConcurrentClusters int
	// RetryInterval is how often a resource that failed or met a conflict in a member is tried again.
	RetryInterval time.Duration
	// Planner tunes the planner.
	Planner PlannerOptions
	// DNS configures the embedded DNS server.
	DNS DNSOptions
}

// PlannerOptions tune the planner controller.
type PlannerOptions struct {
	// Disabled leaves the fleet's clusters as they are.
	Disabled bool
	// Interval is how often the planner runs without events; 0 means its default.
	Interval time.Duration
	// Config tunes the decisions; the zero value means the defaults.
	Config planner.Config
}

// Scheme knows the Kubernetes built-in kinds and the Navarkos kinds.
func Scheme() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	utilruntime.Must(apiextensionsv1.AddToScheme(s))
	utilruntime.Must(n6sv1alpha1.AddToScheme(s))
	utilruntime.Must(inventoryv1alpha1.AddToScheme(s))
	return s
}

// NewManager builds a manager for the fleet API at cfg with every controller registered.
func NewManager(ctx context.Context, cfg *rest.Config, opts Options) (ctrl.Manager, error) {
	// client-go's default of 5 requests per second would throttle the controllers long
	// before the fleet API server is busy.
	cfg = rest.CopyConfig(cfg)
	if cfg.QPS == 0 {
		cfg.QPS, cfg.Burst = 200, 400
	}
	kubeconfig.SkipCompressionOnLoopback(cfg)
	metricsAddr := opts.MetricsAddr
	if metricsAddr == "" {
		metricsAddr = "0"
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                  Scheme(),
		Metrics:                 metricsserver.Options{BindAddress: metricsAddr},
		HealthProbeBindAddress:  opts.HealthProbeAddr,
		PprofBindAddress:        opts.PprofAddr,
		LeaderElection:          opts.LeaderElection,
		LeaderElectionID:        "navarkos-controllers.n6s.io",
		LeaderElectionNamespace: opts.LeaderElectionNamespace,
		LeaderElectionConfig:    opts.LeaderElectionConfig,
		// Controller names must otherwise be unique per process, but one process may run
		// several fleets, one after the other, as the tests do.
		Controller: config.Controller{SkipNameValidation: ptr.To(true)},
		// Fleet objects of the kinds that placements select are watched anyway; reads of them
		// come from the same informers rather than from the API server.
		Client: client.Options{Cache: &client.CacheOptions{Unstructured: true}},
		// No controller reads managed fields; the cache need not hold them.
		Cache: cache.Options{DefaultTransform: cache.TransformStripManagedFields()},
	})
	if err != nil {
		return nil, fmt.Errorf("failed to create the controller manager: %w", err)
	}
	if opts.HealthProbeAddr != "" {
		if err := addChecks(mgr); err != nil {
			return nil, err
		}
	}
	// The capi provider needs nothing of this machine: every fleet has it.
	providers := maps.Clone(opts.Providers)
	if providers == nil {
		providers = provider.Registry{}
	}
	if _, ok := providers[n6sv1alpha1.ProviderCAPI]; !ok {
		providers[n6sv1alpha1.ProviderCAPI] = capi.New(mgr.GetClient(), cfg)
	}
	clusters := &cluster.Reconciler{
		Client:                  mgr.GetClient(),
		Providers:               providers,
		Recorder:                mgr.GetEventRecorder("navarkos-cluster-manager"),
		Clock:                   clock.RealClock{},
		HealthInterval:          opts.HealthInterval,
		Kubeconfigs:             kubeconfig.Policy{AllowPluginsAndFiles: opts.AllowKubeconfigPlugins},
		MaxConcurrentReconciles: cmp.Or(opts.MaxConcurrentClusters, 4),
	}
	if err := clusters.SetupWithManager(ctx, mgr); err != nil {
		return nil, fmt.Errorf("failed to set up the Cluster Manager: %w", err)
	}
	if err := (&clusterpool.Reconciler{Client: mgr.GetClient()}).SetupWithManager(mgr); err != nil {
		return nil, fmt.Errorf("failed to set up the ClusterPool controller: %w", err)
	}
	if err := (&clusterprofile.Reconciler{Client: mgr.GetClient(), Clock: clock.RealClock{}}).SetupWithManager(mgr); err != nil {
		return nil, fmt.Errorf("failed to set up the ClusterProfile publisher: %w", err)
	}
	kinds := &kindwatch.Janitor{Cache: mgr.GetCache(), InUse: KindsInUse(mgr.GetClient())}
	if err := mgr.Add(kinds); err != nil {
		return nil, err
	}
	if err := placement.SetupSchedulers(ctx, mgr, clock.RealClock{}, 4, kinds); err != nil {
		return nil, err
	}
	if !opts.Planner.Disabled {
		p := &plannerctl.Reconciler{
			Client: mgr.GetClient(), Recorder: mgr.GetEventRecorder(n6sv1alpha1.PlannerComponent), Clock: clock.RealClock{},
			Config: opts.Planner.Config, Interval: opts.Planner.Interval,
		}
		if err := p.SetupWithManager(mgr); err != nil {
			return nil, fmt.Errorf("failed to set up the planner: %w", err)
		}
	}
	// One client per member cluster, shared by every controller that talks to members.
	members := &member.Clients{Fleet: mgr.GetClient(), Scheme: mgr.GetScheme(), Kubeconfigs: kubeconfig.Policy{AllowPluginsAndFiles: opts.AllowKubeconfigPlugins}}
	prop := &propagation.Reconciler{
		Client:                  mgr.GetClient(),
		Members:                 members,
		MaxConcurrentReconciles: 8,
		RetryInterval:           opts.RetryInterval,
		ReleaseAfter:            opts.BindingReleaseAfter,
		Recorder:                mgr.GetEventRecorder("navarkos-propagation"),
		Kinds:                   kinds,
	}
	if err := prop.SetupWithManager(ctx, mgr); err != nil {
		return nil, fmt.Errorf("failed to set up propagation: %w", err)
	}
	if err := (&loopbacklb.Reconciler{Client: mgr.GetClient(), Members: members}).SetupWithManager(mgr); err != nil {
		return nil, fmt.Errorf("failed to set up the local load balancer: %w", err)
	}
	if err := (&localstorage.Reconciler{Client: mgr.GetClient(), Members: members}).SetupWithManager(mgr); err != nil {
		return nil, fmt.Errorf("failed to set up the local storage provisioner: %w", err)
	}
	registry, err := setupDNS(mgr, opts.DNS)
	if err != nil {
		return nil, err
	}
	gi := &globalingress.Reconciler{
		Client: mgr.GetClient(), Members: members, Registry: registry, Probe: (&globalingress.Prober{}).Probe,
		PublishDNSEndpoints: opts.DNS.Endpoints, RFC2136: opts.DNS.RFC2136,
	}
	if err := gi.SetupWithManager(mgr); err != nil {
		return nil, fmt.Errorf("failed to set up the Federated Ingress Controller: %w", err)
	}
	return mgr, nil
}

// DNSOptions configure the embedded DNS server.
type DNSOptions struct {
	// Server, when set, is the server to run; otherwise one is made on Addr, if Addr is set.
	Server *dns.Server
	// Addr is where the embedded server listens, e.g. 127.0.0.1:5353; empty turns it off.
	Addr string
	// Zones are the zones GlobalIngresses may publish in, canonical; DefaultDNSZone when empty.
	Zones []string
	// Geo maps client subnets to regions for Geo answers.
	Geo *dns.GeoTable
	// Notify lists secondaries to NOTIFY when a zone changes; TransferFrom the networks allowed to AXFR.
	Notify       []string
	TransferFrom []netip.Prefix
	// Endpoints also publishes ExternalDNS DNSEndpoint objects, whose CRD must be installed.
	Endpoints bool
	// RFC2136, when set, also publishes to an external server by dynamic update.
	RFC2136 *dns.RFC2136
	// RateLimit is the embedded server's response-rate limiting; nil turns it off.
	RateLimit *dns.RateLimiter
}

// DefaultDNSZone is the zone served when the operator names none, and the zone of a
// GlobalIngress that names none.
const DefaultDNSZone = globalingress.DefaultZone

// setupDNS makes the registry of published hosts and, when asked, runs the embedded
// authoritative server with the manager.
func setupDNS(mgr ctrl.Manager, opts DNSOptions) (*dns.Registry, error) {
	registry := &dns.Registry{Origins: opts.Zones}
	if len(registry.Origins) == 0 {
		registry.Origins = []string{DefaultDNSZone}
	}
	server := opts.Server
	if server == nil && opts.Addr != "" {
		server = &dns.Server{Addr: opts.Addr, RateLimit: opts.RateLimit,
			NotifyTo: opts.Notify, TransferFrom: opts.TransferFrom}
	}
	if server == nil {
		return registry, nil
	}
	if host, _, err := net.SplitHostPort(server.Addr); err == nil {
		if a, err := netip.ParseAddr(host); err == nil && !a.IsUnspecified() {
			registry.NSAddrs = []netip.Addr{a}
		}
	}
	if opts.Geo != nil {
		server.SetGeo(opts.Geo)
	}
	registry.Publish = func(zones []*dns.Zone) { server.SetZones(zones...) }
	server.SetZones(registry.Zones()...)
	// Every replica serves DNS: the leader from what it observes, the others from the
	// GlobalIngress status the leader writes (the Follower).
	err := mgr.Add(everyReplica(func(ctx context.Context) error {
		if err := server.Start(ctx); err != nil {
			return err
		}
		<-ctx.Done()
		server.Stop()
		return nil
	}))
	if err != nil {
		return nil, fmt.Errorf("failed to add the DNS server: %w", err)
	}
	follower := &globalingress.Follower{Client: mgr.GetClient(), Registry: registry, Elected: mgr.Elected()}
	if err := follower.SetupWithManager(mgr); err != nil {
		return nil, fmt.Errorf("failed to set up the DNS follower: %w", err)
	}
	return registry, nil
}

// everyReplica is a runnable that runs whether or not its replica is the leader.
type everyReplica func(ctx context.Context) error

func (f everyReplica) Start(ctx context.Context) error { return f(ctx) }

// NeedLeaderElection is false: every replica runs it.
func (everyReplica) NeedLeaderElection() bool { return false }
