package testenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
)

// Suite is the real API server that one test package shares, prepared by Install, with the
// controllers under test running on a manager when Setup is set. A package's TestMain is
// os.Exit(suite.Run(m)).
type Suite struct {
	// Scheme serves the client and the manager; nil means client-go's built-in kinds.
	Scheme *runtime.Scheme
	// Install, when set, prepares the API server (CRDs, namespaces) before any controller starts.
	Install func(ctx context.Context, c client.Client) error
	// Setup, when set, registers the controllers under test on a manager, which Run starts.
	Setup func(ctx context.Context, mgr ctrl.Manager) error

	// Env is the running environment, Config reaches its API server, and Client talks to it
	// directly, from Install on.
	Env    *envtest.Environment
	Config *rest.Config
	Client client.Client

	cleanups []func()
}

// Defer runs f when the tests are done, after the manager stopped and before the API server does.
func (s *Suite) Defer(f func()) { s.cleanups = append(s.cleanups, f) }

// Run starts the API server and the controllers, runs the tests, stops everything, and
// returns the exit code.
func (s *Suite) Run(m *testing.M) int {
	env, cfg, err := Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = env.Stop() }()
	s.Env = env
	defer func() {
		for _, f := range slices.Backward(s.cleanups) {
			f()
		}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stopped, err := s.start(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "failed to start the test suite:", err)
		return 1
	}
	code := m.Run()
	cancel()
	if err := <-stopped; err != nil {
		fmt.Fprintln(os.Stderr, "the controller manager failed:", err)
		code = max(code, 1)
	}
	return code
}

// start prepares the API server and starts the manager; stopped yields the manager's error
// once it stops.
func (s *Suite) start(ctx context.Context, cfg *rest.Config) (<-chan error, error) {
	stopped := make(chan error, 1)
	s.Config = cfg
	c, err := client.New(cfg, client.Options{Scheme: s.Scheme})
	if err != nil {
		return nil, fmt.Errorf("failed to build a client: %w", err)
	}
	s.Client = c
	if s.Install != nil {
		if err := s.Install(ctx, c); err != nil {
			return nil, err
		}
	}
	if s.Setup == nil {
		stopped <- nil
		return stopped, nil
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{Scheme: s.Scheme, Metrics: metricsserver.Options{BindAddress: "0"}})
	if err != nil {
		return nil, fmt.Errorf("failed to create the controller manager: %w", err)
	}
	if err := s.Setup(ctx, mgr); err != nil {
		return nil, err
	}
	go func() {
		err := mgr.Start(ctx)
		if errors.Is(err, context.Canceled) {
			err = nil
		}
		stopped <- err
	}()
	return stopped, nil
}
