package testenv

import (
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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
