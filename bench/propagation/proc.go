package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/navarkos/navarkos/bench/internal/benchfleet"
	"github.com/navarkos/navarkos/bench/internal/stats"
	"github.com/navarkos/navarkos/internal/localfleet"
	"github.com/navarkos/navarkos/internal/procfs"
)

// clusterDir finds the cluster a component belongs to in its command line.
var clusterDir = regexp.MustCompile(`/clusters/([^/]+)/`)

// The processes that are not a cluster's components: the controllers, and this benchmark,
// which creates the Deployments and watches for them in every member.
const (
	navarkosProcess  = "navarkos controller"
	benchmarkProcess = "the benchmark (its creations and watches)"
)

// byProcess measures each kind of process: the navarkos controller, this benchmark, and each
// component of the fleet API and, summed, of the members, of those whose command line names dir.
func byProcess(dir string, controller int, measure func(pid int) int64) map[string]int64 {
	out := map[string]int64{navarkosProcess: measure(controller), benchmarkProcess: measure(os.Getpid())}
	for _, p := range procfs.Under(dir) {
		if p.PID == controller {
			continue
		}
		where := "members'"
		for _, arg := range p.Cmdline {
			if m := clusterDir.FindStringSubmatch(arg); m != nil && m[1] == localfleet.APIServerName {
				where = "fleet API"
			}
		}
		out[where+" "+filepath.Base(p.Cmdline[0])] += measure(p.PID)
	}
	return out
}

// membersCPU is the CPU the members' own components used between two snapshots.
func membersCPU(before, after map[string]int64) time.Duration {
	var total int64
	for name, t := range after {
		if strings.HasPrefix(name, "members' ") {
			total += t - before[name]
		}
	}
	return time.Duration(total)
}

func cpuTime(pid int) int64 { return int64(procfs.CPUOf(pid)) }

// printShares prints a table of what each kind of process used, largest first.
func printShares(title, unit string, scale float64, values map[string]int64) {
	var names []string
	var total int64
	for name, v := range values {
		if v > 0 {
			names = append(names, name)
			total += v
		}
	}
	slices.SortFunc(names, func(a, b string) int { return int(values[b] - values[a]) })
	fmt.Printf("\n%s:\n\n| process | %s | share |\n|---|---|---|\n", title, unit)
	for _, name := range names {
		fmt.Printf("| %s | %.1f | %.0f%% |\n", name, float64(values[name])/scale, 100*float64(values[name])/float64(total))
	}
}

// printCPU shows where the CPU went between two snapshots, over a wall-clock time.
func printCPU(before, after map[string]int64, wall time.Duration) {
	used := map[string]int64{}
	var total int64
	for name, t := range after {
		used[name] = t - before[name]
		total += used[name]
	}
	title := fmt.Sprintf("CPU used while propagating (%.0f s wall clock, %.0f s of CPU over all cores)", wall.Seconds(), time.Duration(total).Seconds())
	printShares(title, "CPU seconds", float64(time.Second), used)
}

// idleFleet is what the fleet costs the machine while nothing is created.
type idleFleet struct {
	// membersCPU is the members' components' CPU, in cores.
	membersCPU float64
	// machineIdle is the share of the machine's CPU time spent idle.
	machineIdle float64
	// memory is each member's memory.
	memory []procfs.Memory
	// controlCPU and controlRSS are the controllers' and the fleet API server's CPU, in
	// cores, and resident memory: what the members cost the control plane.
	controlCPU, controlRSS map[string]float64
	// fleetRequests are the fleet API server's requests a second, by verb and resource.
	fleetRequests map[string]float64
}

// controlPlane are the processes whose per-member cost the footprint reports.
var controlPlane = []string{navarkosProcess, "fleet API kube-apiserver"}

// measureIdle reads the members', the control plane's and the machine's CPU over idleSample,
// the fleet API server's requests, and each member's memory at its end.
func measureIdle(ctx context.Context, bf *benchfleet.Process, fleetAPI kubernetes.Interface, names []string) (idleFleet, error) {
	fl := bf.Fleet
	requests0, err := requestCounts(ctx, fleetAPI)
	if err != nil {
		return idleFleet{}, err
	}
	before := byProcess(fl.DataDir, bf.PID, cpuTime)
	total0, idle0 := procfs.MachineCPU()
	time.Sleep(idleSample)
	total1, idle1 := procfs.MachineCPU()
	after := byProcess(fl.DataDir, bf.PID, cpuTime)
	requests1, err := requestCounts(ctx, fleetAPI)
	if err != nil {
		return idleFleet{}, err
	}
	out := idleFleet{
		membersCPU:    membersCPU(before, after).Seconds() / idleSample.Seconds(),
		machineIdle:   float64(idle1-idle0) / float64(total1-total0),
		controlCPU:    map[string]float64{},
		controlRSS:    map[string]float64{},
		fleetRequests: map[string]float64{},
	}
	rss := byProcess(fl.DataDir, bf.PID, procfs.RSSOf)
	for _, name := range controlPlane {
		out.controlCPU[name] = time.Duration(after[name]-before[name]).Seconds() / idleSample.Seconds()
		out.controlRSS[name] = float64(rss[name]) / (1 << 20)
	}
	for k, v := range requests1 {
		out.fleetRequests[k] = (v - requests0[k]) / idleSample.Seconds()
	}
	for _, name := range names {
		out.memory = append(out.memory, procfs.MemoryUnder(fl.Runner().ClusterDir(name)))
	}
	return out, nil
}

// printFleetFootprint prints how long the members took to be Ready and what they cost idle:
// the machine, and the control plane for each member.
func printFleetFootprint(n int, ready time.Duration, idle idleFleet) {
	const mib = 1 << 20
	var total procfs.Memory
	var rss, pss, private []float64
	for _, m := range idle.memory {
		total = total.Add(m)
		rss, pss, private = append(rss, float64(m.RSS)/mib), append(pss, float64(m.PSS)/mib), append(private, float64(m.Anonymous)/mib)
	}
	fmt.Printf("| %d members, idle | figure |\n|---|---|\n", n)
	fmt.Printf("| all Ready, from the first Cluster's creation | %.0f s |\n", ready.Seconds())
	fmt.Printf("| one member, median: RSS / PSS / private | %.0f / %.0f / %.0f MiB |\n", stats.Median(rss), stats.Median(pss), stats.Median(private))
	fmt.Printf("| all members: RSS / PSS / private | %.0f / %.0f / %.0f MiB |\n", float64(total.RSS)/mib, float64(total.PSS)/mib, float64(total.Anonymous)/mib)
	fmt.Printf("| members' CPU, idle (%s) | %.2f cores |\n", idleSample, idle.membersCPU)
	fmt.Printf("| machine idle CPU over the same window | %.0f%% |\n", 100*idle.machineIdle)
	for _, name := range controlPlane {
		fmt.Printf("| %s: CPU / RSS | %.3f cores / %.0f MiB |\n", name, idle.controlCPU[name], idle.controlRSS[name])
	}
	var writes, reads float64
	for k, v := range idle.fleetRequests {
		switch verb, _, _ := strings.Cut(k, " "); verb {
		case "GET", "LIST", "WATCH":
			reads += v
		default:
			writes += v
		}
	}
	fmt.Printf("| fleet API requests a second: writes / reads | %.2f / %.2f |\n", writes, reads)
	for _, k := range busiest(idle.fleetRequests, 3) {
		fmt.Printf("| fleet API, %s a second | %.2f |\n", k, idle.fleetRequests[k])
	}
	fmt.Println()
}
