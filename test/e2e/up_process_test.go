package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/navarkos/navarkos/internal/testenv"
)

// upProcess is a `navarkos up` child process.
type upProcess struct {
	cmd    *exec.Cmd
	output *testenv.SyncBuffer
	exited chan error
}

// startUp runs `navarkos up` on dataDir, with any more flags, and waits for its ready line.
func startUp(t *testing.T, dataDir string, flags ...string) *upProcess {
	t.Helper()
	if err := testenv.RequireBinaries("navarkos"); err != nil {
		t.Fatal(err)
	}
	p := &upProcess{output: &testenv.SyncBuffer{}, exited: make(chan error, 1)}
	p.cmd = exec.Command(filepath.Join(testenv.BinDir(), "navarkos"), append([]string{"up",
		"--data-dir", dataDir, "--bin-dir", testenv.BinDir(), "--health-interval", healthInterval.String()}, flags...)...)
	p.cmd.Stdout, p.cmd.Stderr = p.output, p.output
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("failed to start navarkos up: %v", err)
	}
	go func() { p.exited <- p.cmd.Wait() }()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
		}
		killAllUnder(dataDir)
	})
	deadline := time.Now().Add(clusterTimeout)
	for !strings.Contains(p.output.String(), "Fleet ready") {
		select {
		case err := <-p.exited:
			t.Fatalf("navarkos up exited before it was ready (%v):\n%s", err, p.output.String())
		case <-time.After(poll):
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for navarkos up to print its ready line:\n%s", p.output.String())
		}
	}
	return p
}

// stop sends sig and waits for the process to exit.
func (p *upProcess) stop(t *testing.T, sig syscall.Signal) error {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("failed to signal navarkos up: %v", err)
	}
	select {
	case err := <-p.exited:
		return err
	case <-time.After(clusterTimeout):
		t.Fatalf("timed out waiting for navarkos up to exit after %v:\n%s", sig, p.output.String())
		return nil
	}
}

// killAllUnder kills whatever a failed test left running under dir, so that one failure does not leak into the next test.
func killAllUnder(dir string) {
	for _, p := range testenv.ProcessesUnder(dir) {
		if pid, err := strconv.Atoi(strings.SplitN(p, ":", 2)[0]); err == nil {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
