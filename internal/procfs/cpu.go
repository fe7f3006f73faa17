package procfs

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// clockTick is the kernel's USER_HZ, the unit of the CPU times in /proc/<pid>/stat; it is 100 on Linux.
const clockTick = time.Second / 100

// CPUOf reads the CPU time, user and system, that a process has used; 0 when it is gone.
func CPUOf(pid int) time.Duration {
	raw, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0
	}
	// The command name may hold spaces; the fields after it do not.
	_, rest, ok := strings.Cut(string(raw), ") ")
	if !ok {
		return 0
	}
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * clockTick
}

// MachineCPU reads the time all CPUs of the machine have spent since boot, and how much of it
// idle (idle and waiting for I/O), from /proc/stat; zeros when it cannot be read.
func MachineCPU() (total, idle time.Duration) {
	raw, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line, _, _ := strings.Cut(string(raw), "\n")
	fields := strings.Fields(line)
	if len(fields) < 6 || fields[0] != "cpu" {
		return 0, 0
	}
	var ticks, idleTicks int64
	for i, f := range fields[1:] {
		v, _ := strconv.ParseInt(f, 10, 64)
		ticks += v
		if i == 3 || i == 4 { // idle, iowait
			idleTicks += v
		}
	}
	return time.Duration(ticks) * clockTick, time.Duration(idleTicks) * clockTick
}
