package procfs

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Memory is a process's memory, in bytes, from /proc/<pid>/smaps_rollup.
type Memory struct {
	// RSS is all its resident pages, the pages of files it maps (its executable's code among
	// them) counted in full though other processes share them.
	RSS int64
	// PSS shares each resident page among the processes that map it.
	PSS int64
	// Anonymous is its resident private memory (heap, stacks): what it alone costs.
	Anonymous int64
}

// Add sums two readings.
func (m Memory) Add(o Memory) Memory {
	return Memory{RSS: m.RSS + o.RSS, PSS: m.PSS + o.PSS, Anonymous: m.Anonymous + o.Anonymous}
}

// MemoryOf reads a process's memory; zero when the process is gone.
func MemoryOf(pid int) Memory {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return Memory{}
	}
	var m Memory
	for _, line := range strings.Split(string(raw), "\n") {
		fields := strings.Fields(line)
		if len(fields) != 3 || fields[2] != "kB" {
			continue
		}
		kb, err := strconv.ParseInt(fields[1], 10, 64)
		if err != nil {
			continue
		}
		switch fields[0] {
		case "Rss:":
			m.RSS = kb << 10
		case "Pss:":
			m.PSS = kb << 10
		case "Anonymous:":
			m.Anonymous = kb << 10
		}
	}
	return m
}

// MemoryUnder sums the memory of the live processes whose command line mentions dir.
func MemoryUnder(dir string) Memory {
	var total Memory
	for _, p := range Under(dir) {
		total = total.Add(MemoryOf(p.PID))
	}
	return total
}
