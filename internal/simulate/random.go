package simulate

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
)

// RandomKind is the trace kind drawn from a seed, with the pools RandomPools draws from the
// same seed. Seeds from HeldOutSeeds on are held out: no test and no tuning uses them. Seeds
// from TuningSeeds to HeldOutSeeds are for tuning the planner: no test uses them, and what
// is tuned on them is judged on the held-out ones.
const (
	RandomKind   = "random"
	TuningSeeds  = 500
	HeldOutSeeds = 1000
)

// randomRegions are the regions a random world draws from; near ones share their first part.
var randomRegions = []string{"us-east", "us-west", "eu-west", "eu-central", "ap-south", "ap-east"}

// randomCompliance are the compliance labels a random world may ask for.
var randomCompliance = []string{"compliance.n6s.io/gdpr", "compliance.n6s.io/pci"}

// world is what a seed's trace and pools share: the regions demand comes from, and the
// compliance labels some workloads need.
type world struct {
	regions    []string
	compliance []string
}

// stream numbers keep a seed's draws for its world, its trace and its pools apart.
const (
	worldStream uint64 = 0x77
	traceStream uint64 = 0x74
	poolsStream uint64 = 0x70
)

func worldOf(seed uint64) world {
	rng := rand.New(rand.NewPCG(seed, worldStream))
	regions := slices.Clone(randomRegions)
	rng.Shuffle(len(regions), func(i, j int) { regions[i], regions[j] = regions[j], regions[i] })
	w := world{regions: regions[:1+rng.IntN(4)]}
	for _, label := range randomCompliance {
		if rng.IntN(2) == 0 {
			w.compliance = append(w.compliance, label)
		}
	}
	return w
}

// randomLoads draws a trace from a seed: 1 to 60 workloads in the world's regions, each with
// diurnal, weekly, step and burst parts (bursts 2 to 30 times for 5 to 60 minutes), some
// arriving late or leaving early, some needing a compliance label.
func randomLoads(seed uint64) (loads []genWorkload, length, every time.Duration) {
	w := worldOf(seed)
	rng := rand.New(rand.NewPCG(seed, traceStream))
	length = time.Duration(6+rng.IntN(43)) * time.Hour // 6 h to 2 days
	every = []time.Duration{time.Minute, 2 * time.Minute, 5 * time.Minute}[rng.IntN(3)]
	if length > 24*time.Hour {
		every = 5 * time.Minute
	}
	n := 1 + rng.IntN(60)
	for i := range n {
		loads = append(loads, randomWorkload(rng, w, i, length))
	}
	return loads, length, every
}

func randomWorkload(rng *rand.Rand, w world, i int, length time.Duration) genWorkload {
	g := genWorkload{
		name:      fmt.Sprintf("team-%d/app-%d", i%7, i),
		cpuMillis: int64(100 * (1 + rng.IntN(20))),
		memoryMiB: int64(128 * (1 + rng.IntN(32))),
	}
	if len(w.compliance) > 0 && rng.Float64() < 0.3 {
		g.constraints = w.compliance[rng.IntN(len(w.compliance))] + "=true"
	}
	peaks := map[string]float64{}
	for _, r := range w.regions {
		if len(peaks) == 0 || rng.Float64() < 0.5 {
			peaks[r] = 1 + rng.Float64()*49
		}
	}
	shape := randomShape(rng, length)
	g.demand = func(t time.Duration) map[string]float64 {
		f := shape(t)
		out := make(map[string]float64, len(peaks))
		for r, p := range peaks {
			out[r] = p * f
		}
		return out
	}
	return g
}

// randomShape is a workload's demand over time, as a factor of its peak: a product of
// parts each present by chance, zero outside its life.
func randomShape(rng *rand.Rand, length time.Duration) func(time.Duration) float64 {
	var start, end time.Duration = 0, length
	if rng.Float64() < 0.3 {
		start = time.Duration(rng.Int64N(int64(length / 2)))
	}
	if rng.Float64() < 0.3 {
		end = start + time.Duration(rng.Int64N(int64(length-start)))
	}
	diurnal, weekly := rng.Float64() < 0.6, length >= 48*time.Hour && rng.Float64() < 0.5
	offset := rng.Float64() * 24
	var steps []struct {
		at     time.Duration
		factor float64
	}
	for range rng.IntN(3) {
		steps = append(steps, struct {
			at     time.Duration
			factor float64
		}{time.Duration(rng.Int64N(int64(length))), 0.3 + 2.7*rng.Float64()})
	}
	type burst struct {
		at, lasts time.Duration
		factor    float64
	}
	var bursts []burst
	if rng.Float64() < 0.4 {
		for range 1 + rng.IntN(3) {
			bursts = append(bursts, burst{time.Duration(rng.Int64N(int64(length))), time.Duration(5+rng.IntN(56)) * time.Minute, float64(2 + rng.IntN(29))})
		}
	}
	return func(t time.Duration) float64 {
		if t < start || t >= end {
			return 0
		}
		f := 1.0
		if diurnal {
			hour := math.Mod(t.Hours()+offset, 24)
			f *= 0.2 + 0.8*(0.5-0.5*math.Cos(2*math.Pi*hour/24))
		}
		if weekly && math.Mod(t.Hours(), 24*7) >= 24*5 {
			f *= 0.4 // the weekend
		}
		for _, s := range steps {
			if t >= s.at {
				f *= s.factor
			}
		}
		burst := 1.0 // bursts that overlap do not compound: the largest holds
		for _, b := range bursts {
			if t >= b.at && t < b.at+b.lasts {
				burst = max(burst, b.factor)
			}
		}
		return f * burst
	}
}

// RandomPools writes, as YAML documents, the 2 to 8 pools a seed draws for its random trace:
// on-demand, spot, and fixed-price ones paid per cluster with free nodes, some with a price
// while hibernated, with times to capacity from 1 to 60 minutes. The first pool carries
// every compliance label the trace asks for, so that every workload has somewhere to run.
func RandomPools(out io.Writer, seed uint64) error {
	w := worldOf(seed)
	rng := rand.New(rand.NewPCG(seed, poolsStream))
	n := 2 + rng.IntN(7)
	for i := range n {
		p := randomPool(rng, w, i)
		if i == 0 {
			for _, label := range w.compliance {
				p.Labels[label] = "true"
			}
		}
		data, err := yaml.Marshal(p)
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintf(out, "---\n%s", data); err != nil {
			return err
		}
	}
	return nil
}

// poolKinds are the kinds of pool RandomPools draws.
const (
	onDemandPool = iota
	spotPool
	fixedPricePool
	poolKindCount
)

func randomPool(rng *rand.Rand, w world, i int) *n6sv1alpha1.ClusterPool {
	region := w.regions[rng.IntN(len(w.regions))]
	if rng.Float64() < 0.2 {
		region = randomRegions[rng.IntN(len(randomRegions))] // a pool far from the demand
	}
	kind := rng.IntN(poolKindCount)
	cpu := []int64{2, 4, 8, 16}[rng.IntN(4)]
	p := &n6sv1alpha1.ClusterPool{
		TypeMeta:   metav1.TypeMeta{APIVersion: n6sv1alpha1.GroupVersion.String(), Kind: "ClusterPool"},
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("pool-%d-%s", i, region), Labels: map[string]string{}},
		Spec: n6sv1alpha1.ClusterPoolSpec{
			Provider:        n6sv1alpha1.ProviderLocal,
			Region:          region,
			NodeShape:       n6sv1alpha1.NodeShape{CPU: *resource.NewQuantity(cpu, resource.DecimalSI), Memory: *resource.NewQuantity(cpu*4<<30, resource.BinarySI), Pods: 110},
			Clusters:        n6sv1alpha1.CountRange{Max: int32(1 + rng.IntN(5))},
			NodesPerCluster: n6sv1alpha1.CountRange{Min: 1, Max: int32(5 + rng.IntN(16))},
			IdleTTL:         n6sv1alpha1.DurationOf(time.Duration(5+rng.IntN(116)) * time.Minute),
			OfflineMode:     []n6sv1alpha1.OfflineMode{n6sv1alpha1.OfflineHibernate, n6sv1alpha1.OfflineDelete}[rng.IntN(2)],
		},
	}
	for _, label := range w.compliance {
		if rng.Float64() < 0.4 {
			p.Labels[label] = "true"
		}
	}
	perNode := 0.02 * float64(cpu) * (0.5 + rng.Float64()) // about 0.01 to 0.03 per CPU-hour
	perCluster := 0.1 * rng.Float64()
	p.Spec.Price = n6sv1alpha1.Price{Market: n6sv1alpha1.MarketOnDemand}
	switch kind {
	case spotPool:
		perNode *= 0.3
		p.Spec.Price.Market = n6sv1alpha1.MarketSpot
	case fixedPricePool:
		perNode, perCluster = 0, 0.5+2.5*rng.Float64()
		p.Spec.NodesPerCluster.Max = int32(8 + rng.IntN(9))
	}
	p.Spec.Price.PerNodeHour = money(perNode)
	p.Spec.Price.PerClusterHour = ptrMoney(perCluster)
	if p.Spec.OfflineMode == n6sv1alpha1.OfflineHibernate && rng.Float64() < 0.5 {
		p.Spec.Price.HibernatedPerClusterHour = ptrMoney(perCluster * rng.Float64() * 0.5)
	}
	create := time.Duration(1+rng.IntN(60)) * time.Minute
	p.Spec.TimeToCapacity = &n6sv1alpha1.TimeToCapacity{
		Create: n6sv1alpha1.DurationOf(create),
		Wake:   n6sv1alpha1.DurationOf(time.Duration(1+rng.Int64N(int64(create/time.Minute))) * time.Minute),
		Scale:  n6sv1alpha1.DurationOf(time.Duration(1+rng.Int64N(int64(create/time.Minute))) * time.Minute),
	}
	return p
}

// money is a price rounded to a thousandth, as pools are written.
func money(v float64) resource.Quantity {
	return *resource.NewMilliQuantity(int64(math.Round(v*1000)), resource.DecimalSI)
}

func ptrMoney(v float64) *resource.Quantity {
	q := money(v)
	return &q
}
