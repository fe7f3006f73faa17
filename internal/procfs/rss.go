package procfs

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/navarkos/navarkos/internal/kwokctl"
)

// Process is a live process.
type Process struct {
	PID     int
	Cmdline []string
}

// Under lists the live processes whose command line mentions dir, or a path under it.
func Under(dir string) []Process {
	var out []Process
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		raw, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && mentions(string(raw), dir) && kwokctl.Alive(pid) {
			out = append(out, Process{PID: pid, Cmdline: strings.Split(strings.TrimRight(string(raw), "\x00"), "\x00")})
		}
	}
	return out
}

// mentions reports whether a NUL-separated command line names dir or a path under it: not a
// sibling whose name dir begins, as clusters/m1 begins clusters/m10.
func mentions(cmdline, dir string) bool {
	dir = strings.TrimSuffix(dir, "/")
	return strings.Contains(cmdline, dir+"/") || strings.Contains(cmdline+"\x00", dir+"\x00")
}

// RSSUnder sums the resident memory, in bytes, of the live processes whose command line mentions dir.
func RSSUnder(dir string) int64 {
	var total int64
	for _, p := range Under(dir) {
		total += RSSOf(p.PID)
	}
	return total
}

// RSSOf reads a process's resident set size in bytes; 0 when the process is gone.
func RSSOf(pid int) int64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
