package benchfleet

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/navarkos/navarkos/internal/localfleet"
	"github.com/navarkos/navarkos/internal/setup"
)

// controllerStartTimeout bounds how long `navarkos controller` may take to answer /readyz.
const controllerStartTimeout = 2 * time.Minute

// Process is a local fleet whose controllers run as their own process, `navarkos controller`
// from the bin directory, as in production: its CPU and memory are its own, and its metrics
// are scraped from its endpoint.
type Process struct {
	Fleet  localfleet.Fleet
	Client client.Client
	// Config is the fleet API's, for Client.
	Config *rest.Config
	// PID is the controllers' process.
	PID int
	// MetricsURL serves the controllers' Prometheus metrics.
	MetricsURL string
	// PprofURL serves the controllers' /debug/pprof profiles.
	PprofURL string
	// Log is the controllers' log file.
	Log string

	cmd *exec.Cmd
}

// StartProcess starts the fleet API server of a local fleet in a temporary directory, its
// CRDs and default pools, and `navarkos controller` against it with the local provider, the
// planner off and args added. Stop ends it all and removes the directory.
func StartProcess(ctx context.Context, binDir string, args ...string) (p *Process, err error) {
	if binDir, err = filepath.Abs(binDir); err != nil {
		return nil, err
	}
	dataDir, err := os.MkdirTemp("", "navarkos-bench-")
	if err != nil {
		return nil, err
	}
	p = &Process{Fleet: localfleet.Fleet{DataDir: dataDir, BinDir: binDir}}
	defer func() {
		if err != nil {
			p.Stop()
		}
	}()
	if err := p.Fleet.StartAPIServer(ctx); err != nil {
		return p, err
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", p.Fleet.KubeconfigPath())
	if err != nil {
		return p, err
	}
	cfg.QPS, cfg.Burst = 500, 1000
	p.Config = cfg
	if p.Client, err = client.New(cfg, client.Options{Scheme: setup.Scheme()}); err != nil {
		return p, err
	}
	// The controller installs the CRDs; the pools follow once it is ready.
	return p, p.startController(ctx, binDir, dataDir, args)
}

func (p *Process) startController(ctx context.Context, binDir, dataDir string, args []string) error {
	metrics, probe, pprof := freeAddr(), freeAddr(), freeAddr()
	p.MetricsURL, p.PprofURL = "http://"+metrics+"/metrics", "http://"+pprof+"/debug/pprof"
	p.Log = filepath.Join(dataDir, "controller.log")
	logFile, err := os.Create(p.Log)
	if err != nil {
		return err
	}
	defer logFile.Close()
	p.cmd = exec.Command(filepath.Join(binDir, "navarkos"), append([]string{"controller",
		"--kubeconfig", p.Fleet.KubeconfigPath(), "--data-dir", dataDir, "--bin-dir", binDir,
		"--enable-local-provider", "--disable-planner", "--metrics-addr", metrics, "--health-probe-addr", probe, "--pprof-addr", pprof}, args...)...)
	p.cmd.Stdout, p.cmd.Stderr = logFile, logFile
	if err := p.cmd.Start(); err != nil {
		return fmt.Errorf("failed to start navarkos controller: %w", err)
	}
	p.PID = p.cmd.Process.Pid
	err = WaitFor(ctx, controllerStartTimeout, 100*time.Millisecond, func() bool {
		resp, err := http.Get("http://" + probe + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	if err != nil {
		return fmt.Errorf("navarkos controller did not become ready (log: %s): %w", p.Log, err)
	}
	var pools []client.Object
	for _, pool := range localfleet.DefaultPools() {
		pools = append(pools, pool)
	}
	return setup.EnsureObjects(ctx, p.Client, pools...)
}

// Stop ends the controllers, then the members and the fleet API server, and removes the data.
func (p *Process) Stop() {
	if p.cmd != nil && p.cmd.Process != nil {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		_ = p.cmd.Wait()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	_ = p.Fleet.Stop(ctx)
	_ = os.RemoveAll(p.Fleet.DataDir)
}

// freeAddr is a loopback address with a port free now.
func freeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "127.0.0.1:0"
	}
	defer l.Close()
	return "127.0.0.1:" + strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}
