package kwokctl

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
)

func TestAlive(t *testing.T) {
	if !Alive(os.Getpid()) {
		t.Fatal("the test process itself must be alive")
	}
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	if !Alive(pid) {
		t.Fatal("a running child must be alive")
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	// Until it is reaped the child is a zombie, which must not count as alive.
	NewWithT(t).Eventually(func() bool { return Alive(pid) }, 10*time.Second, 10*time.Millisecond).
		Should(BeFalse(), "waiting for the killed, unreaped child %d to count as gone", pid)
	_ = cmd.Wait()
	if Alive(pid) {
		t.Fatal("a reaped child must not be alive")
	}
}

func TestProcessesDropsStalePidFiles(t *testing.T) {
	r := Runner{WorkDir: t.TempDir()}
	pids := filepath.Join(r.ClusterDir("c1"), "pids")
	if err := os.MkdirAll(pids, 0o755); err != nil {
		t.Fatal(err)
	}
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(pids, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// A component runs from the cluster's bin directory, as kwokctl starts it.
	bin := filepath.Join(r.ClusterDir("c1"), "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	cat, err := exec.LookPath("cat")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(cat, filepath.Join(bin, "kube-apiserver")); err != nil {
		t.Fatal(err)
	}
	component := startIdle(t, filepath.Join(bin, "kube-apiserver"))
	// An unrelated process that took the pid of a component gone since (after a reboot, say).
	unrelated := startIdle(t, cat)

	write("kube-apiserver.pid", strconv.Itoa(component.Process.Pid))
	write("kube-scheduler.pid", strconv.Itoa(unrelated.Process.Pid))
	write("etcd.pid", strconv.Itoa(dead.Process.Pid))
	write("kwok-controller.pid", "garbage")

	procs, err := r.Processes("c1")
	if err != nil {
		t.Fatal(err)
	}
	if len(procs) != 1 || procs["kube-apiserver"] != component.Process.Pid {
		t.Fatalf("Processes = %v, want only the live kube-apiserver", procs)
	}
	for _, stale := range []string{"kube-scheduler.pid", "etcd.pid", "kwok-controller.pid"} {
		if _, err := os.Stat(filepath.Join(pids, stale)); !os.IsNotExist(err) {
			t.Errorf("stale pid file %s must be removed so that kwokctl restarts the component", stale)
		}
	}
	// Deleting the cluster stops its component and leaves the unrelated process alone.
	write("kube-scheduler.pid", strconv.Itoa(unrelated.Process.Pid))
	if err := r.Delete(t.Context(), "c1"); err != nil {
		t.Fatal(err)
	}
	if !Alive(unrelated.Process.Pid) {
		t.Fatal("deleting the cluster killed an unrelated process whose pid a stale pid file named")
	}
}

// startIdle runs a program that waits on its standard input until the test ends.
func startIdle(t *testing.T, path string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stdin.Close(); _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd
}

func TestLastLines(t *testing.T) {
	out := "noise\n" +
		`{"time":"t","level":"ERROR","msg":"Execute exit","err":"empty path"}` + "\n" +
		"plain line\n"
	got := lastLines(out, 2, 40)
	want := "Execute exit: empty path | plain line"
	if got != want {
		t.Errorf("lastLines = %q, want %q", got, want)
	}
	if got := lastLines("0123456789", 1, 4); got != "0123…" {
		t.Errorf("long lines must be cut, got %q", got)
	}
}

// TestHangingCommandsAreBounded: a kwokctl that never returns is killed after the runner's
// command timeout, and the call fails instead of holding its caller.
func TestHangingCommandsAreBounded(t *testing.T) {
	bin := t.TempDir()
	script := "#!/bin/sh\nexec sleep 300\n"
	if err := os.WriteFile(filepath.Join(bin, "kwokctl"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	r := Runner{BinDir: bin, WorkDir: t.TempDir(), CommandTimeout: 300 * time.Millisecond}
	err := r.Start(t.Context(), "hung")
	if err == nil || !strings.Contains(err.Error(), "kwokctl start cluster hung failed") {
		t.Fatalf("Start of a hanging kwokctl: %v, want a failure", err)
	}
}
