// Command members measures what one local member costs this machine under each member
// profile of the local provider, one lightening at a time, against the profile before them
// (Go's GOGC, leader election, every controller), all members running side by side so that
// every profile meets the same machine:
//
//	go run ./bench/members -bin-dir bin
//
// Each member gets the pool's nodes and a Deployment whose pods become Ready; once they are,
// and the member has settled, the command reads each member's memory and the CPU its
// components use while idle, over several windows, and prints the medians.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/navarkos/navarkos/bench/internal/benchfleet"
	"github.com/navarkos/navarkos/bench/internal/stats"
	"github.com/navarkos/navarkos/internal/kwokctl"
	"github.com/navarkos/navarkos/internal/localfleet"
	"github.com/navarkos/navarkos/internal/procfs"
	"github.com/navarkos/navarkos/internal/provider"
	"github.com/navarkos/navarkos/internal/provider/local"
)

// variant is one member profile under measurement.
type variant struct {
	name    string
	profile local.MemberProfile
}

// variants: the profile before the lightenings, each lightening alone, and all of them.
var variants = []variant{
	{"before: GOGC 100, leader election, every controller", local.MemberProfile{GOGC: 100, LeaderElection: true, AllControllers: true}},
	{"GOGC 50 alone", local.MemberProfile{GOGC: local.DefaultMemberGOGC, LeaderElection: true, AllControllers: true}},
	{"no leader election alone", local.MemberProfile{GOGC: 100, AllControllers: true}},
	{"a member's controllers alone", local.MemberProfile{GOGC: 100, LeaderElection: true}},
	{"all three (the default)", local.MemberProfile{}},
}

// reading is one member's memory and idle CPU over one window.
type reading struct {
	memory procfs.Memory
	cpu    float64 // share of one core
}

func main() {
	binDir := flag.String("bin-dir", "bin", "directory of the Kubernetes, etcd and kwok binaries")
	nodes := flag.Int("nodes", 5, "nodes of each member")
	replicas := flag.Int("replicas", 10, "replicas of each member's Deployment")
	settle := flag.Duration("settle", 30*time.Second, "how long the members run before the first window")
	window := flag.Duration("window", time.Minute, "length of one idle window")
	windows := flag.Int("windows", 3, "idle windows; the medians are over them")
	flag.Parse()
	if err := run(*binDir, int32(*nodes), int32(*replicas), *settle, *window, *windows); err != nil {
		log.Fatal(err)
	}
}

func run(binDir string, nodes, replicas int32, settle, window time.Duration, windows int) error {
	ctx := context.Background()
	bin, err := filepath.Abs(binDir)
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "navarkos-members")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	runner := kwokctl.Runner{BinDir: bin, WorkDir: work, KubeVersion: localfleet.KubeVersion}
	pool := localfleet.DefaultPools()[0].Spec
	for i, v := range variants {
		req := provider.Request{Name: fmt.Sprintf("member-%d", i), Pool: &pool, Nodes: nodes}
		p := &local.Provider{Runner: runner, CreateTimeout: 2 * time.Minute, Profile: v.profile}
		defer func() { _ = p.Delete(context.Background(), req) }()
		start := time.Now()
		if err := bringUp(ctx, p, req, replicas); err != nil {
			return fmt.Errorf("%s: %w", v.name, err)
		}
		log.Printf("%s: %d nodes and %d Ready replicas in %.1fs", v.name, nodes, replicas, time.Since(start).Seconds())
	}
	log.Printf("settling for %s, then %d idle windows of %s", settle, windows, window)
	time.Sleep(settle)
	readings := make([][]reading, len(variants))
	for range windows {
		for i, r := range idleWindow(runner, window) {
			readings[i] = append(readings[i], r)
		}
	}
	printTable(readings, nodes, replicas, window, windows)
	return nil
}

// bringUp creates a member with its nodes and a Deployment, and waits for its pods to be Ready.
func bringUp(ctx context.Context, p *local.Provider, req provider.Request, replicas int32) error {
	if err := p.Create(ctx, req); err != nil {
		return err
	}
	if err := p.ScaleNodes(ctx, req); err != nil {
		return err
	}
	raw, err := p.Kubeconfig(ctx, req)
	if err != nil {
		return err
	}
	cfg, err := clientcmd.RESTConfigFromKubeConfig(raw)
	if err != nil {
		return err
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	d := benchfleet.Deployment("default", "web", replicas)
	if _, err := cs.AppsV1().Deployments("default").Create(ctx, d, metav1.CreateOptions{}); err != nil {
		return err
	}
	err = benchfleet.WaitFor(ctx, 3*time.Minute, time.Second, func() bool {
		got, err := cs.AppsV1().Deployments("default").Get(ctx, "web", metav1.GetOptions{})
		return err == nil && got.Status.ReadyReplicas == replicas
	})
	if err != nil {
		return fmt.Errorf("deployment web of %s, %d Ready replicas: %w", req.Name, replicas, err)
	}
	return nil
}

// idleWindow reads, for each variant's member, the CPU its processes use over one window and
// its memory at the end.
func idleWindow(runner kwokctl.Runner, window time.Duration) []reading {
	cpu := func(i int) time.Duration {
		var total time.Duration
		for _, p := range procfs.Under(runner.ClusterDir(fmt.Sprintf("member-%d", i))) {
			total += procfs.CPUOf(p.PID)
		}
		return total
	}
	before := make([]time.Duration, len(variants))
	for i := range variants {
		before[i] = cpu(i)
	}
	start := time.Now()
	time.Sleep(window)
	elapsed := time.Since(start)
	out := make([]reading, len(variants))
	for i := range variants {
		out[i] = reading{
			memory: procfs.MemoryUnder(runner.ClusterDir(fmt.Sprintf("member-%d", i))),
			cpu:    (cpu(i) - before[i]).Seconds() / elapsed.Seconds(),
		}
	}
	return out
}

func printTable(readings [][]reading, nodes, replicas int32, window time.Duration, windows int) {
	const mib = 1 << 20
	med := func(rs []reading, f func(reading) float64) float64 {
		xs := make([]float64, len(rs))
		for i, r := range rs {
			xs[i] = f(r)
		}
		return stats.Median(xs)
	}
	rss := func(r reading) float64 { return float64(r.memory.RSS) / mib }
	pss := func(r reading) float64 { return float64(r.memory.PSS) / mib }
	private := func(r reading) float64 { return float64(r.memory.Anonymous) / mib }
	idle := func(r reading) float64 { return 100 * r.cpu }
	base := readings[0]
	fmt.Printf("| member profile (%d nodes, %d Ready pods; median of %d windows of %s) | RSS | PSS | private memory | idle CPU, %% of a core | private, vs before | idle CPU, vs before |\n",
		nodes, replicas, windows, window)
	fmt.Println("|---|---|---|---|---|---|---|")
	for i, v := range variants {
		rs := readings[i]
		fmt.Printf("| %s | %.0f MiB | %.0f MiB | %.0f MiB | %.2f | %.2f× | %.2f× |\n", v.name, med(rs, rss), med(rs, pss),
			med(rs, private), med(rs, idle), med(rs, private)/med(base, private), med(rs, idle)/med(base, idle))
	}
}
