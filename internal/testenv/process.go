package testenv

import (
	"bytes"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/navarkos/navarkos/internal/kwokctl"
)

// ProcessesUnder lists the live processes whose command line mentions dir, as "pid: command line".
func ProcessesUnder(dir string) []string {
	entries, _ := os.ReadDir("/proc")
	var found []string
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		raw, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || !strings.Contains(string(raw), dir) || !kwokctl.Alive(pid) {
			continue
		}
		found = append(found, e.Name()+": "+strings.TrimSpace(strings.ReplaceAll(string(raw), "\x00", " ")))
	}
	return found
}

// CountProcesses counts the live processes whose executable is named exe and whose command line mentions dir.
func CountProcesses(exe, dir string) int {
	n := 0
	for _, p := range ProcessesUnder(dir) {
		fields := strings.Fields(strings.SplitN(p, ": ", 2)[1])
		if len(fields) > 0 && filepath.Base(fields[0]) == exe {
			n++
		}
	}
	return n
}

// Listening reports whether something accepts TCP connections at the host:port of an endpoint URL.
func Listening(endpoint string) bool {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return false
	}
	conn, err := net.DialTimeout("tcp", u.Host, time.Second)
	if err != nil {
		return false
	}
	_ = conn.Close()
	return true
}

// StartProcess runs a program until the test ends, then kills it and waits for it. Its output
// goes to a buffer that the test logs if it fails; the returned function reads it.
func StartProcess(t *testing.T, name string, args ...string) (output func() string) {
	t.Helper()
	return StartCommand(t, exec.Command(name, args...))
}

// StartCommand is StartProcess for a command prepared by the caller (its environment, its
// directory).
func StartCommand(t *testing.T, cmd *exec.Cmd) (output func() string) {
	t.Helper()
	name, args := cmd.Path, cmd.Args[1:]
	logs := &SyncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("failed to start %s: %v", name, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("output of %s %s:\n%s", filepath.Base(name), strings.Join(args, " "), logs.String())
		}
	})
	return logs.String
}

// SyncBuffer is a buffer a process writes to while a test or a benchmark reads it.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
