// Command fninstall times installing Fn on a local fleet of three members. Baseline: the chart
// into one member with the Helm SDK, waiting until every workload is ready (what `helm install
// --wait` does). Measured: the fleet-wide install `navarkos fn install --all-clusters` runs,
// called in-process, until Fn is Ready on all three members and the global name answers with
// three addresses. Runs alternate; medians are reported.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/go-logr/logr"
	mdns "github.com/miekg/dns"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/navarkos/navarkos/bench/internal/benchfleet"
	"github.com/navarkos/navarkos/bench/internal/stats"
	"github.com/navarkos/navarkos/internal/dns"
	"github.com/navarkos/navarkos/internal/fninstall"
	"github.com/navarkos/navarkos/internal/member"
	"github.com/navarkos/navarkos/internal/setup"
)

const globalName = "fn.navarkos.local"

func main() {
	runs := flag.Int("runs", 3, "runs of each install")
	binDir := flag.String("bin-dir", "bin", "directory with the Kubernetes, etcd and kwok binaries")
	flag.Parse()
	ctrl.SetLogger(logr.Discard())
	if err := run(*runs, *binDir); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(runs int, binDir string) error {
	ctx := context.Background()
	server := &dns.Server{Addr: "127.0.0.1:0"}
	fl, c, stop, err := benchfleet.StartWith(ctx, binDir, setup.Options{Planner: setup.PlannerOptions{Disabled: true}, DNS: setup.DNSOptions{Server: server}})
	if err != nil {
		return err
	}
	defer stop()
	names := []string{"fa", "fb", "fc"}
	if _, err := benchfleet.StartMembers(ctx, c, names, func(*rest.Config) {}); err != nil {
		return err
	}
	fleetKC, err := os.ReadFile(fl.KubeconfigPath())
	if err != nil {
		return err
	}
	memberKC, err := member.Kubeconfig(ctx, c, names[0])
	if err != nil {
		return err
	}
	var single, fleetWide []time.Duration
	for i := range runs {
		r := fninstall.Release{Name: fmt.Sprintf("fn%d", i), Namespace: fmt.Sprintf("fn%d", i)}
		d, err := clusterInstall(ctx, memberKC, r)
		if err != nil {
			return err
		}
		single = append(single, d)
		d, err = fleetInstall(ctx, c, fleetKC, server.BoundAddr(), r)
		if err != nil {
			return err
		}
		fleetWide = append(fleetWide, d)
		fmt.Printf("run %d: one cluster, helm --wait: %.1f s; three clusters and the global name: %.1f s\n", i+1, single[i].Seconds(), fleetWide[i].Seconds())
	}
	s, f := stats.Median(single), stats.Median(fleetWide)
	fmt.Printf("median of %d: one cluster %.1f s, fleet-wide on 3 clusters %.1f s (%.2fx)\n", runs, s.Seconds(), f.Seconds(), f.Seconds()/s.Seconds())
	return nil
}

// clusterInstall installs into one member and waits as Helm does; the release is then removed.
func clusterInstall(ctx context.Context, kc []byte, r fninstall.Release) (time.Duration, error) {
	start := time.Now()
	if err := (fninstall.Install{Release: r, Wait: true, Timeout: 5 * time.Minute}).ToCluster(ctx, kc); err != nil {
		return 0, err
	}
	return time.Since(start), fninstall.UninstallFromCluster(ctx, kc, r, false, time.Minute)
}

// fleetInstall installs across the fleet and waits until all three members are Ready and the
// global name answers with three addresses; the release is then removed.
func fleetInstall(ctx context.Context, c client.Client, kc []byte, dnsAddr string, r fninstall.Release) (time.Duration, error) {
	start := time.Now()
	// As the benchmark has measured it since it began: sqlite in each cluster.
	in := fninstall.Install{Release: r, Timeout: 5 * time.Minute, AllowSeparateDatastores: true}
	if err := in.ToFleet(ctx, kc, c, fninstall.Fleet{GlobalName: globalName}); err != nil {
		return 0, err
	}
	err := benchfleet.WaitFor(ctx, 5*time.Minute, 100*time.Millisecond, func() bool {
		statuses, err := fninstall.Status(ctx, c, member.Kubeconfigs(c), r)
		if err != nil || len(statuses) != 3 {
			return false
		}
		for _, s := range statuses {
			if !s.Ready() {
				return false
			}
		}
		return answers(dnsAddr) == 3
	})
	if err != nil {
		return 0, fmt.Errorf("waiting for Fn on three clusters behind %s: %w", globalName, err)
	}
	took := time.Since(start)
	if err := fninstall.UninstallFromFleet(ctx, kc, c, r, false, time.Minute); err != nil {
		return 0, err
	}
	// The next run's GlobalIngress takes the same name: wait until this one's answers are gone.
	return took, benchfleet.WaitFor(ctx, 2*time.Minute, 100*time.Millisecond, func() bool { return answers(dnsAddr) == 0 })
}

func answers(server string) int {
	m := new(mdns.Msg)
	m.SetQuestion(globalName+".", mdns.TypeA)
	resp, _, err := (&mdns.Client{Timeout: time.Second}).Exchange(m, server)
	if err != nil {
		return -1
	}
	return len(resp.Answer)
}
