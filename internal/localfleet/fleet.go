package localfleet

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/navarkos/navarkos/internal/kwokctl"
	"github.com/navarkos/navarkos/internal/provider/local"
)

const (
	// KubeVersion is the Kubernetes version of the binaries the fleet runs.
	KubeVersion = "v1.37.2"
	// APIServerName is the kwokctl name of the fleet API server; no local member cluster may take it.
	APIServerName = "navarkos-fleet"
	// housekeepingControllers are the only kube-controller-manager controllers of the fleet API:
	// workloads there are templates and must never get pods.
	housekeepingControllers = "namespace,garbagecollector,serviceaccount-token,serviceaccount,clusterrole-aggregation"
)

// fleetComponentEnv lightens the fleet API's components as local members are lightened: a heap
// that grows by half before a collection (docs/performance.md, the control plane).
var fleetComponentEnv = []string{
	"etcd=GOGC=" + strconv.Itoa(local.DefaultMemberGOGC),
	"kube-apiserver=GOGC=" + strconv.Itoa(local.DefaultMemberGOGC),
	"kube-controller-manager=GOGC=" + strconv.Itoa(local.DefaultMemberGOGC),
}

// Fleet is a local fleet rooted at a data directory.
type Fleet struct {
	// DataDir holds the fleet API server, the member clusters and the admin kubeconfig.
	DataDir string
	// BinDir holds the Kubernetes, etcd and kwok binaries.
	BinDir string
	// APIServerPort fixes the fleet API server's port on first creation; 0 picks a free one.
	APIServerPort int
	// Members lightens the components of the local members it creates.
	MemberProfile local.MemberProfile
}

// KubeconfigPath is where the fleet's admin kubeconfig is written.
func (f Fleet) KubeconfigPath() string { return filepath.Join(f.DataDir, "fleet.kubeconfig") }

// Runner runs the fleet API server and the local member clusters. They share one kwokctl
// work directory because kwokctl only avoids the ports of the clusters it can see there:
// with two directories, a member could take a stopped fleet API server's port.
func (f Fleet) Runner() kwokctl.Runner {
	return kwokctl.Runner{BinDir: f.BinDir, WorkDir: filepath.Join(f.DataDir, "kwok"), KubeVersion: KubeVersion}
}

// APIServerDir holds the fleet API server's configuration, data and logs.
func (f Fleet) APIServerDir() string { return f.Runner().ClusterDir(APIServerName) }

// LocalProvider is the local provider over the fleet's work directory.
func (f Fleet) LocalProvider() *local.Provider {
	return &local.Provider{Runner: f.Runner(), CreateTimeout: 2 * time.Minute, Reserved: APIServerName, Profile: f.MemberProfile}
}

// Members lists the local member clusters.
func (f Fleet) Members() ([]string, error) {
	names, err := f.Runner().Clusters()
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(names, func(n string) bool { return n == APIServerName }), nil
}

// CheckBinaries reports the binaries the fleet needs that are missing.
func (f Fleet) CheckBinaries() error {
	var missing []string
	for _, b := range []string{"kwokctl", "kwok", "etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"} {
		if _, err := os.Stat(filepath.Join(f.BinDir, b)); err != nil {
			missing = append(missing, b)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing binaries in %s: %s (run `make` to build them)", f.BinDir, strings.Join(missing, ", "))
	}
	return nil
}

// StartAPIServer starts the fleet API server, creating it on first use, and writes the admin kubeconfig.
// Components left running by an earlier run that was killed are adopted, not duplicated.
func (f Fleet) StartAPIServer(ctx context.Context) error {
	cp := f.Runner()
	switch {
	case cp.Complete(APIServerName):
		if err := cp.Start(ctx, APIServerName); err != nil {
			return fmt.Errorf("failed to start the fleet API server: %w", err)
		}
	default:
		// Nothing, or the leftovers of a creation that did not finish.
		if err := cp.Delete(ctx, APIServerName); err != nil {
			return err
		}
		err := cp.Create(ctx, APIServerName, kwokctl.CreateOptions{
			Disable: []string{"kube-scheduler", "kwok-controller"},
			// One kube-controller-manager runs: it has no leader to elect, nor a Lease to renew every 2 s.
			ExtraArgs: []string{"kube-controller-manager=controllers=" + housekeepingControllers,
				"kube-controller-manager=leader-elect=false", kwokctl.NoFsync},
			Env:           fleetComponentEnv,
			APIServerPort: f.APIServerPort,
		})
		if err != nil {
			return fmt.Errorf("failed to create the fleet API server: %w", err)
		}
	}
	data, err := local.FlattenKubeconfig(cp.KubeconfigPath(APIServerName), "navarkos")
	if err != nil {
		return err
	}
	if err := os.WriteFile(f.KubeconfigPath(), data, 0o600); err != nil {
		return fmt.Errorf("failed to write the fleet kubeconfig: %w", err)
	}
	return nil
}

// Stop stops every member cluster and then the fleet API server, keeping all data.
func (f Fleet) Stop(ctx context.Context) error {
	names, err := f.Members()
	if err != nil {
		return err
	}
	r := f.Runner()
	var errs []error
	for _, name := range names {
		errs = append(errs, r.Stop(ctx, name))
	}
	if r.Exists(APIServerName) {
		errs = append(errs, r.Stop(ctx, APIServerName))
	}
	return errors.Join(errs...)
}

// Lock makes sure that one process at a time runs the fleet of a data directory.
// The lock is an flock, so the kernel releases it even when the holder is killed. The file
// is removed while still locked, on unlock; a process that locked the file just before it was
// removed sees that the path no longer names its file and tries again, so two processes never
// both hold a lock.
func (f Fleet) Lock() (unlock func(), err error) {
	if err := os.MkdirAll(f.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("failed to create data directory %s: %w", f.DataDir, err)
	}
	path := filepath.Join(f.DataDir, "navarkos.lock")
	for {
		file, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return nil, fmt.Errorf("failed to open lock %s: %w", path, err)
		}
		if err := syscall.Flock(int(file.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			holder, _ := os.ReadFile(path)
			_ = file.Close()
			return nil, fmt.Errorf("another navarkos (pid %s) runs the fleet in %s", strings.TrimSpace(string(holder)), f.DataDir)
		}
		if !sameFile(file, path) {
			_ = file.Close() // removed by its last holder between our open and our lock
			continue
		}
		_ = file.Truncate(0)
		_, _ = file.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
		return func() {
			_ = os.Remove(path)
			_ = file.Close()
		}, nil
	}
}

// sameFile reports whether path still names the open file.
func sameFile(file *os.File, path string) bool {
	open, err := file.Stat()
	if err != nil {
		return false
	}
	named, err := os.Stat(path)
	return err == nil && os.SameFile(open, named)
}
