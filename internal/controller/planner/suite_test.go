package planner_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/navarkos/navarkos/internal/controller/placement"
	plannerctl "github.com/navarkos/navarkos/internal/controller/planner"
	"github.com/navarkos/navarkos/internal/planner"
	"github.com/navarkos/navarkos/internal/setup"
	"github.com/navarkos/navarkos/internal/testenv"
)

// k8s talks to a real kube-apiserver where the scheduler and the planner run; the tests
// write Cluster status themselves, standing in for the Cluster Manager and its providers.
var k8s client.Client

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	env, cfg, err := testenv.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = env.Stop() }()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c, err := client.New(cfg, client.Options{Scheme: setup.Scheme()})
	if err == nil {
		err = setup.InstallCRDs(ctx, c)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{Scheme: setup.Scheme(), Metrics: metricsserver.Options{BindAddress: "0"}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := placement.IndexBindings(ctx, mgr); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := (&placement.Reconciler{Client: mgr.GetClient(), Clock: clock.RealClock{}}).SetupWithManager(mgr); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	cfgPlanner := planner.DefaultConfig()
	cfgPlanner.FailureBackoff = time.Hour
	p := &plannerctl.Reconciler{Client: mgr.GetClient(), Recorder: mgr.GetEventRecorder("navarkos-planner"), Clock: clock.RealClock{}, Config: cfgPlanner, Interval: time.Second}
	if err := p.SetupWithManager(mgr); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	k8s = mgr.GetClient()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = mgr.Start(ctx)
	}()
	code := m.Run()
	cancel()
	<-done
	return code
}
