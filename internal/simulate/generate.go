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
var TraceKinds = []string{"diurnal", "bursty", "compliance"}

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
	default:
		return fmt.Errorf("unknown trace kind %q: want one of %s", kind, strings.Join(TraceKinds, ", "))
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
			replicas := int64(math.Round(noisy))
			if t == length {
				replicas = 0 // the trace ends with every workload gone
			}
			rec := []string{strconv.FormatInt(int64(t.Seconds()), 10), l.name, strconv.FormatInt(replicas, 10),
				strconv.FormatInt(l.cpuMillis, 10), strconv.FormatInt(l.memoryMiB, 10), shares(byRegion, total), l.constraints}
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
	offsets := map[string]float64{"us-east": 0, "eu-west": -6, "ap-south": -11}
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
