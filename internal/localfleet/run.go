package localfleet

import (
	"context"
	"errors"
	"fmt"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/provider"
	"github.com/navarkos/navarkos/internal/provider/static"
	"github.com/navarkos/navarkos/internal/setup"
)

// stopTimeout bounds the shutdown of the local clusters once the fleet is asked to stop.
const stopTimeout = 2 * time.Minute

// RunOptions tunes Run.
type RunOptions struct {
	// Controllers configures the in-process controllers; its Providers are filled in by Run.
	Controllers setup.Options
	// Progress, if set, is told each step before it starts.
	Progress func(step string)
	// Ready, if set, is called once the fleet API serves and the controllers run.
	Ready func(cfg *rest.Config)
}

// Run starts the local fleet, runs the controllers until ctx ends, and then stops every
// local cluster and the fleet API server, keeping their data for the next run.
func (f Fleet) Run(ctx context.Context, opts RunOptions) (retErr error) {
	progress := opts.Progress
	if progress == nil {
		progress = func(string) {}
	}
	if err := f.CheckBinaries(); err != nil {
		return err
	}
	unlock, err := f.Lock()
	if err != nil {
		return err
	}
	defer unlock()
	defer func() {
		progress("Stopping the member clusters and the fleet API server")
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), stopTimeout)
		defer cancel()
		retErr = errors.Join(retErr, f.Stop(stopCtx))
	}()

	progress("Starting the fleet API server")
	if err := f.StartAPIServer(ctx); err != nil {
		return err
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", f.KubeconfigPath())
	if err != nil {
		return fmt.Errorf("failed to load the fleet kubeconfig: %w", err)
	}
	progress("Installing the Navarkos CRDs and the default pools")
	c, err := client.New(cfg, client.Options{Scheme: setup.Scheme()})
	if err != nil {
		return fmt.Errorf("failed to connect to the fleet API: %w", err)
	}
	if err := setup.InstallCRDs(ctx, c); err != nil {
		return err
	}
	var pools []client.Object
	for _, p := range DefaultPools() {
		pools = append(pools, p)
	}
	if err := setup.EnsureObjects(ctx, c, pools...); err != nil {
		return err
	}

	progress("Starting the controllers")
	copts := opts.Controllers
	copts.Providers = provider.Registry{
		n6sv1alpha1.ProviderLocal:  f.LocalProvider(),
		n6sv1alpha1.ProviderStatic: static.Provider{},
	}
	mgr, err := setup.NewManager(ctx, cfg, copts)
	if err != nil {
		return err
	}
	mgrCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- mgr.Start(mgrCtx) }()
	if !mgr.GetCache().WaitForCacheSync(mgrCtx) {
		cancel()
		return errors.Join(errors.New("the controllers' caches did not sync"), <-done)
	}
	if opts.Ready != nil {
		opts.Ready(cfg)
	}
	return <-done
}

// Start runs the fleet in the background and returns once it is ready. stop ends the fleet,
// waits until every local cluster has stopped, and returns what Run returned, if not cancellation.
func (f Fleet) Start(ctx context.Context, opts RunOptions) (cfg *rest.Config, stop func() error, err error) {
	ctx, cancel := context.WithCancel(ctx)
	ready := make(chan *rest.Config, 1)
	done := make(chan struct{})
	var runErr error
	opts.Ready = func(c *rest.Config) { ready <- c }
	go func() {
		defer close(done)
		runErr = f.Run(ctx, opts)
	}()
	stop = func() error {
		cancel()
		<-done
		if errors.Is(runErr, context.Canceled) {
			return nil
		}
		return runErr
	}
	select {
	case cfg = <-ready:
		return cfg, stop, nil
	case <-done:
		cancel()
		return nil, nil, fmt.Errorf("the fleet did not start: %w", runErr)
	}
}
