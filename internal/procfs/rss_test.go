package procfs

import (
	"os"
	"testing"
	"time"
)

func TestRSSOf(t *testing.T) {
	if rss := RSSOf(os.Getpid()); rss < 1<<20 {
		t.Errorf("RSS of the test process = %d bytes, want at least 1 MiB", rss)
	}
	if rss := RSSOf(-1); rss != 0 {
		t.Errorf("RSS of no process = %d, want 0", rss)
	}
}

func TestCPUOf(t *testing.T) {
	start := CPUOf(os.Getpid())
	deadline := time.Now().Add(30 * time.Second)
	for CPUOf(os.Getpid()) <= start {
		if time.Now().After(deadline) {
			t.Fatalf("CPU time of a busy test process stayed at %v for 30 s", start)
		}
		for i := range 1_000_000 {
			burned += i
		}
	}
	if cpu := CPUOf(-1); cpu != 0 {
		t.Errorf("CPU time of no process = %v, want 0", cpu)
	}
}

// burned keeps the busy loop of TestCPUOf from being optimized away.
var burned int

// TestMemoryOf: the test process has resident and private memory, its shares are no more
// than its pages, and no process reads as zero.
func TestMemoryOf(t *testing.T) {
	m := MemoryOf(os.Getpid())
	if m.RSS < 1<<20 || m.Anonymous < 1<<20 {
		t.Errorf("memory of the test process = %+v, want at least 1 MiB resident and private", m)
	}
	if m.PSS > m.RSS || m.Anonymous > m.RSS {
		t.Errorf("memory of the test process = %+v: PSS and private memory must be within RSS", m)
	}
	if m := MemoryOf(-1); m != (Memory{}) {
		t.Errorf("memory of no process = %+v, want zero", m)
	}
}

// TestMachineCPU: the machine has run, and idled no longer than it ran.
func TestMachineCPU(t *testing.T) {
	total, idle := MachineCPU()
	if total <= 0 || idle < 0 || idle > total {
		t.Errorf("machine CPU total %v, idle %v: want idle within a positive total", total, idle)
	}
}
