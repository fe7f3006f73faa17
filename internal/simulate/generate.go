package simulate

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

// TraceKinds are the demand shapes Generate makes.
var TraceKinds = []string{"diurnal", "bursty", "compliance",
	"diurnal-4-regions", "follow-the-sun", "flash-crowd", "weekly-batch", "mixed-compliance",
	"long-idle", "oscillation", "steady-onprem", "onprem-teams", "spot-heavy", "slow-and-fast"}

// TracePools names, for each trace kind, the pools of internal/simulate/traces it is meant for: some
// shapes are only interesting beside pools that make the obvious choice wrong.
var TracePools = map[string]string{
	"steady-onprem": "pools-onprem.yaml", "onprem-teams": "pools-onprem.yaml", "spot-heavy": "pools-spot-heavy.yaml", "slow-and-fast": "pools-slow-and-fast.yaml",
}

// PoolsFor is the pools file of internal/simulate/traces that a trace kind is meant for.
func PoolsFor(kind string) string {
	if p, ok := TracePools[kind]; ok {
		return p
	}
	return "pools.yaml"
}

// genWorkload is one workload of a generated trace.
type genWorkload struct {
	name        string
	cpuMillis   int64
	memoryMiB   int64
	constraints string
	// demand is the replicas from each region at a time of day.
	demand func(t time.Duration) map[string]float64
}

// Generate writes a trace of the given kind. The same seed gives the same trace.
func Generate(w io.Writer, kind string, seed uint64) error {
	rng := rand.New(rand.NewPCG(seed, 0x6e36))
	var loads []genWorkload
	var length, every time.Duration
	switch kind {
	case "diurnal":
		// Three regions whose days peak eight hours apart, for a day.
		length, every = 24*time.Hour, 5*time.Minute
		loads = []genWorkload{
			{name: "shop/web", cpuMillis: 500, memoryMiB: 1024, demand: regionsByDay(map[string]float64{"us-east": 50, "eu-west": 40, "ap-south": 30})},
			{name: "shop/api", cpuMillis: 250, memoryMiB: 512, demand: regionsByDay(map[string]float64{"us-east": 40, "eu-west": 30, "ap-south": 20})},
			{name: "shop/search", cpuMillis: 1000, memoryMiB: 2048, demand: regionsByDay(map[string]float64{"us-east": 10, "eu-west": 10, "ap-south": 6})},
		}
	case "bursty":
		// A steady demand with a ten-fold spike for 15 minutes, two hours in.
		length, every = 6*time.Hour, time.Minute
		spike := func(t time.Duration) float64 {
			if t >= 2*time.Hour && t < 2*time.Hour+15*time.Minute {
				return 10
			}
			return 1
		}
		loads = []genWorkload{
			{name: "shop/checkout", cpuMillis: 500, memoryMiB: 1024, demand: func(t time.Duration) map[string]float64 {
				return map[string]float64{"us-east": 14 * spike(t), "eu-west": 6 * spike(t)}
			}},
			{name: "shop/web", cpuMillis: 500, memoryMiB: 1024, demand: func(time.Duration) map[string]float64 {
				return map[string]float64{"us-east": 20, "eu-west": 10}
			}},
		}
	case "compliance":
		// Payments that must stay in GDPR pools beside a global web front, for half a day.
		length, every = 12*time.Hour, 5*time.Minute
		loads = []genWorkload{
			{name: "eu/payments", cpuMillis: 1000, memoryMiB: 2048, constraints: "compliance.n6s.io/gdpr=true", demand: regionsByDay(map[string]float64{"eu-west": 40})},
			{name: "global/web", cpuMillis: 500, memoryMiB: 1024, demand: regionsByDay(map[string]float64{"us-east": 40, "eu-west": 40, "ap-south": 20})},
		}
	case "diurnal-4-regions":
		// Four regions, each with its own day, for four days: long enough for a forecast to learn.
		length, every = 96*time.Hour, 5*time.Minute
		loads = []genWorkload{
			{name: "shop/web", cpuMillis: 500, memoryMiB: 1024, demand: regionsByDay(map[string]float64{"us-east": 40, "us-west": 30, "eu-west": 40, "ap-south": 30})},
			{name: "shop/api", cpuMillis: 250, memoryMiB: 512, demand: regionsByDay(map[string]float64{"us-east": 30, "us-west": 20, "eu-west": 30, "ap-south": 20})},
		}
	case "follow-the-sun":
		// One support desk whose demand moves with working hours: Asia, then Europe, then the Americas.
		length, every = 24*time.Hour, 5*time.Minute
		loads = []genWorkload{{name: "support/desk", cpuMillis: 500, memoryMiB: 1024, demand: func(t time.Duration) map[string]float64 {
			out := map[string]float64{}
			for region, start := range map[string]float64{"ap-south": 3, "eu-west": 8, "us-east": 14} {
				hour := math.Mod(t.Hours()-start+24, 24)
				if hour < 9 {
					out[region] = 40 * math.Sin(math.Pi*hour/9)
				}
				out[region] += 2
			}
			return out
		}}}
	case "flash-crowd":
		// A steady shop hit by three 20-fold crowds of 10 minutes, at hours 1, 3 and 5.
		length, every = 6*time.Hour, time.Minute
		crowd := func(t time.Duration) float64 {
			for _, at := range []time.Duration{time.Hour, 3 * time.Hour, 5 * time.Hour} {
				if t >= at && t < at+10*time.Minute {
					return 20
				}
			}
			return 1
		}
		loads = []genWorkload{{name: "shop/tickets", cpuMillis: 500, memoryMiB: 512, demand: func(t time.Duration) map[string]float64 {
			return map[string]float64{"us-east": 3 * crowd(t), "eu-west": 2 * crowd(t)}
		}}}
	case "weekly-batch":
		// A small always-on API, and a batch of 120 replicas for three hours every Sunday night, over two weeks.
		length, every = 14*24*time.Hour, 15*time.Minute
		loads = []genWorkload{
			{name: "data/api", cpuMillis: 250, memoryMiB: 512, demand: func(time.Duration) map[string]float64 { return map[string]float64{"us-east": 6} }},
			{name: "data/batch", cpuMillis: 1000, memoryMiB: 2048, demand: func(t time.Duration) map[string]float64 {
				day, hour := int(t.Hours()/24)%7, math.Mod(t.Hours(), 24)
				if day == 6 && hour >= 1 && hour < 4 {
					return map[string]float64{"us-east": 120}
				}
				return map[string]float64{"us-east": 0}
			}},
		}
	case "mixed-compliance":
		// 32 workloads: a quarter bound to GDPR pools, a quarter to PCI pools, the rest free,
		// each with its own size and day, for a day.
		length, every = 24*time.Hour, 10*time.Minute
		for i := range 32 {
			constraints := []string{"", "", "compliance.n6s.io/gdpr=true", "compliance.n6s.io/pci=true"}[i%4]
			peaks := map[string]float64{"us-east": float64(2 + rng.IntN(10)), "eu-west": float64(2 + rng.IntN(10))}
			if constraints == "compliance.n6s.io/gdpr=true" {
				peaks = map[string]float64{"eu-west": float64(4 + rng.IntN(12))}
			}
			loads = append(loads, genWorkload{name: fmt.Sprintf("team%02d/app", i), cpuMillis: int64(250 * (1 + rng.IntN(4))), memoryMiB: int64(512 * (1 + rng.IntN(4))),
				constraints: constraints, demand: regionsByDay(peaks)})
		}
	case "long-idle":
		// An hour of work, ten hours of nothing, then an hour of work again.
		length, every = 12*time.Hour, 5*time.Minute
		loads = []genWorkload{{name: "lab/notebooks", cpuMillis: 1000, memoryMiB: 2048, demand: func(t time.Duration) map[string]float64 {
			if t < time.Hour || t >= 11*time.Hour {
				return map[string]float64{"eu-west": 24}
			}
			return map[string]float64{"eu-west": 0}
		}}}
	case "oscillation":
		// Demand that swings between 40 and 8 replicas every 10 minutes for 6 hours.
		length, every = 6*time.Hour, 5*time.Minute
		loads = []genWorkload{{name: "shop/search", cpuMillis: 1000, memoryMiB: 1024, demand: func(t time.Duration) map[string]float64 {
			if int(t.Minutes()/10)%2 == 0 {
				return map[string]float64{"us-east": 40}
			}
			return map[string]float64{"us-east": 8}
		}}}
	case "steady-onprem":
		// A large, steady demand near an on-premises pool priced per cluster, for a day.
		length, every = 24*time.Hour, 15*time.Minute
		loads = []genWorkload{
			{name: "erp/core", cpuMillis: 1000, memoryMiB: 2048, demand: func(time.Duration) map[string]float64 { return map[string]float64{"eu-west": 120} }},
			{name: "erp/web", cpuMillis: 500, memoryMiB: 1024, demand: regionsByDay(map[string]float64{"eu-west": 60, "us-east": 20})},
		}
	case "onprem-teams":
		// Thirty small teams' services near the on-premises pool, one arriving every ten
		// minutes, then steady for the day: each is too small to pay for an on-premises
		// cluster alone, and together they fill one.
		length, every = 24*time.Hour, 15*time.Minute
		for i := range 30 {
			replicas, arrives := float64(3+rng.IntN(7)), time.Duration(i)*10*time.Minute
			cpu := []int64{500, 1000, 2000}[rng.IntN(3)]
			loads = append(loads, genWorkload{name: fmt.Sprintf("team%02d/svc", i), cpuMillis: cpu, memoryMiB: 2 * cpu, demand: func(t time.Duration) map[string]float64 {
				if t < arrives {
					return map[string]float64{}
				}
				return map[string]float64{"eu-west": replicas}
			}})
		}
	case "spot-heavy":
		// Cost-driven batch and web demand beside mostly spot pools, for a day.
		length, every = 24*time.Hour, 5*time.Minute
		loads = []genWorkload{
			{name: "ml/train", cpuMillis: 2000, memoryMiB: 4096, demand: func(time.Duration) map[string]float64 { return map[string]float64{"us-east": 30} }},
			{name: "shop/web", cpuMillis: 500, memoryMiB: 1024, demand: regionsByDay(map[string]float64{"us-east": 40, "eu-west": 30})},
		}
	case "slow-and-fast":
		// Bursts of 15 minutes, 8-fold, every two hours, beside a cheap slow pool and a dearer fast one.
		length, every = 8*time.Hour, time.Minute
		burst := func(t time.Duration) float64 {
			if math.Mod(t.Minutes(), 120) >= 60 && math.Mod(t.Minutes(), 120) < 75 {
				return 8
			}
			return 1
		}
		loads = []genWorkload{{name: "shop/checkout", cpuMillis: 500, memoryMiB: 1024, demand: func(t time.Duration) map[string]float64 {
			return map[string]float64{"us-east": 10 * burst(t)}
		}}}
	case RandomKind:
		loads, length, every = randomLoads(seed)
	default:
		return fmt.Errorf("unknown trace kind %q: want one of %s, or %s", kind, strings.Join(TraceKinds, ", "), RandomKind)
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(TraceHeader); err != nil {
		return err
	}
	for t := time.Duration(0); t <= length; t += every {
		for _, l := range loads {
			byRegion := l.demand(t)
			var total float64
			for _, v := range byRegion {
				total += v
			}
			noisy := total * (0.95 + 0.1*rng.Float64())
			replicas := min(int64(math.Round(noisy)), MaxTraceReplicas)
			if t == length {
				replicas = 0 // the trace ends with every workload gone
			}
			regions := ""
			if total > 0 {
				regions = shares(byRegion, total)
			}
			rec := []string{strconv.FormatInt(int64(t.Seconds()), 10), l.name, strconv.FormatInt(replicas, 10),
				strconv.FormatInt(l.cpuMillis, 10), strconv.FormatInt(l.memoryMiB, 10), regions, l.constraints}
			if err := cw.Write(rec); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// regionsByDay gives each region a day that peaks at its own noon, eight hours apart, with
// a night at a fifth of the peak.
func regionsByDay(peaks map[string]float64) func(time.Duration) map[string]float64 {
	offsets := map[string]float64{"us-west": 3, "us-east": 0, "eu-west": -6, "ap-south": -11}
	return func(t time.Duration) map[string]float64 {
		out := map[string]float64{}
		for region, peak := range peaks {
			hour := math.Mod(t.Hours()-offsets[region], 24)
			day := 0.5 - 0.5*math.Cos(2*math.Pi*(hour-2)/24) // 0 at 2 am, 1 at 2 pm
			out[region] = peak * (0.2 + 0.8*day)
		}
		return out
	}
}

func shares(byRegion map[string]float64, total float64) string {
	regions := make([]string, 0, len(byRegion))
	for r := range byRegion {
		regions = append(regions, r)
	}
	slices.Sort(regions)
	parts := make([]string, 0, len(regions))
	left := 1.0
	for i, r := range regions {
		share := math.Round(byRegion[r]/total*100) / 100
		if i == len(regions)-1 {
			share = math.Round(left*100) / 100
		}
		left -= share
		parts = append(parts, r+":"+strconv.FormatFloat(share, 'f', -1, 64))
	}
	return strings.Join(parts, ";")
}
