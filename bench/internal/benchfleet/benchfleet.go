// Package benchfleet starts a throwaway local fleet for a benchmark.
package benchfleet

import (
	"context"
	"errors"
	"os"
	"path/filepath"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/navarkos/navarkos/internal/fleet"
	"github.com/navarkos/navarkos/internal/setup"
)

// Start runs a local fleet in a temporary data directory with the binaries of binDir and
// returns it with a client of its fleet API. stop ends the fleet and removes the directory.
func Start(ctx context.Context, binDir string) (fl fleet.Fleet, c client.Client, stop func(), err error) {
	binDir, err = filepath.Abs(binDir)
	if err != nil {
		return fl, nil, nil, err
	}
	dataDir, err := os.MkdirTemp("", "navarkos-bench-")
	if err != nil {
		return fl, nil, nil, err
	}
	fl = fleet.Fleet{DataDir: dataDir, BinDir: binDir}
	cfg, stopFleet, err := fl.Start(ctx, fleet.RunOptions{})
	if err != nil {
		return fl, nil, nil, errors.Join(err, os.RemoveAll(dataDir))
	}
	stop = func() {
		_ = stopFleet()
		_ = os.RemoveAll(dataDir)
	}
	cfg.QPS, cfg.Burst = 500, 1000
	c, err = client.New(cfg, client.Options{Scheme: setup.Scheme()})
	if err != nil {
		stop()
		return fl, nil, nil, err
	}
	return fl, c, stop, nil
}
