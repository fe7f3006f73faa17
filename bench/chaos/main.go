// Command chaos breaks a local fleet run by `navarkos up` while it works, and counts what was
// lost. Scenarios:
//
//   - kill: kill -9 the controllers in the middle of a rollout of Deployments to member
//     clusters, delete some of the rolled-out Deployments while they are down, start them
//     again, and count in every member the lost, duplicated and orphaned objects.
//   - freeze-etcd: stop the fleet API's etcd (SIGSTOP) for a while during a rollout, let it go
//     on, and check that the same controller process (no restart) finishes the rollout.
//
// Everything runs on this machine, on loopback.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/bench/internal/benchfleet"
	"github.com/navarkos/navarkos/internal/localfleet"
	"github.com/navarkos/navarkos/internal/procfs"
	"github.com/navarkos/navarkos/internal/setup"
	"github.com/navarkos/navarkos/internal/testenv"
)

func main() {
	scenario := flag.String("scenario", "kill", "kill or freeze-etcd")
	clusters := flag.Int("clusters", 3, "member clusters")
	deployments := flag.Int("deployments", 500, "Deployments rolled out")
	rate := flag.Float64("rate", 20, "Deployments created per second")
	deleted := flag.Int("delete", 50, "kill: Deployments deleted from the fleet while the controllers are down")
	freeze := flag.Duration("freeze", 30*time.Second, "freeze-etcd: how long etcd stays stopped")
	binDir := flag.String("bin-dir", "bin", "directory with navarkos and the Kubernetes, etcd and kwok binaries")
	flag.Parse()
	b, err := newBench(*binDir, *clusters)
	if err == nil {
		defer b.stop()
		switch *scenario {
		case "kill":
			err = b.kill(*deployments, *deleted, *rate)
		case "freeze-etcd":
			err = b.freezeEtcd(*deployments, *rate, *freeze)
		default:
			err = fmt.Errorf("unknown scenario %q", *scenario)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
		os.Exit(1)
	}
}

// bench is a fleet of `navarkos up` with its members.
type bench struct {
	fl      localfleet.Fleet
	up      *upProcess
	c       client.Client
	members map[string]kubernetes.Interface
}

func newBench(binDir string, clusters int) (*bench, error) {
	binDir, err := filepath.Abs(binDir)
	if err != nil {
		return nil, err
	}
	dataDir, err := os.MkdirTemp("", "navarkos-chaos-")
	if err != nil {
		return nil, err
	}
	b := &bench{fl: localfleet.Fleet{DataDir: dataDir, BinDir: binDir}}
	if b.up, err = startUp(b.fl); err != nil {
		b.stop()
		return nil, err
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", b.fl.KubeconfigPath())
	if err != nil {
		b.stop()
		return nil, err
	}
	cfg.QPS, cfg.Burst = 500, 1000
	if b.c, err = client.New(cfg, client.Options{Scheme: setup.Scheme()}); err != nil {
		b.stop()
		return nil, err
	}
	var names []string
	for i := range clusters {
		names = append(names, fmt.Sprintf("m%d", i))
	}
	ctx := context.Background()
	fmt.Fprintf(os.Stderr, "waiting for %d member clusters\n", clusters)
	if b.members, err = benchfleet.StartMembers(ctx, b.c, names, func(cfg *rest.Config) { cfg.QPS, cfg.Burst = 200, 400 }); err != nil {
		b.stop()
		return nil, err
	}
	err = errors.Join(
		b.c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "chaos"}}),
		b.c.Create(ctx, &n6sv1alpha1.Placement{
			ObjectMeta: metav1.ObjectMeta{Namespace: "chaos", Name: "all"},
			Spec:       n6sv1alpha1.PlacementSpec{ResourceSelectors: []n6sv1alpha1.ResourceSelector{{APIVersion: "apps/v1", Kind: "Deployment"}}},
		}))
	if err != nil {
		b.stop()
		return nil, err
	}
	return b, nil
}

// stop ends `navarkos up` and every process of the fleet, and removes its directory.
func (b *bench) stop() {
	if b.up != nil {
		_ = b.up.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-b.up.exited:
		case <-time.After(2 * time.Minute):
			_ = b.up.cmd.Process.Kill()
		}
	}
	for _, p := range procfs.Under(b.fl.DataDir) {
		_ = syscall.Kill(p.PID, syscall.SIGKILL)
	}
	_ = os.RemoveAll(b.fl.DataDir)
}

// kill: kill -9 halfway through the rollout, delete some Deployments while the controllers
// are down, start them again, and count.
func (b *bench) kill(n, deleted int, rate float64) error {
	ctx := context.Background()
	names := deploymentNames(n)
	half := n / 2
	if err := b.create(ctx, names[:half], rate); err != nil {
		return err
	}
	killedAt := time.Now()
	if err := b.up.cmd.Process.Kill(); err != nil {
		return err
	}
	<-b.up.exited
	fmt.Fprintf(os.Stderr, "killed the controllers (kill -9) after %d of %d Deployments\n", half, n)
	// The fleet API lives on: the rest are created, and some deleted, with nobody to propagate.
	if err := b.create(ctx, names[half:], rate); err != nil {
		return err
	}
	for _, name := range names[:deleted] {
		if err := b.c.Delete(ctx, benchfleet.Deployment("chaos", name, 0)); err != nil {
			return err
		}
	}
	down := time.Since(killedAt)
	var err error
	if b.up, err = startUp(b.fl); err != nil {
		return err
	}
	want := names[deleted:]
	converged, err := b.converge(ctx, want, 10*time.Minute)
	lost, orphans, dup, cerr := b.count(ctx, want)
	if cerr != nil {
		return cerr
	}
	fmt.Printf("| kill -9 of the controllers mid-rollout: %d Deployments × %d members, %d deleted while down | result |\n|---|---|\n", n, len(b.members), deleted)
	fmt.Printf("| controllers down | %.1f s |\n", down.Seconds())
	fmt.Printf("| restart → every member holds exactly the fleet's Deployments | %s |\n", duration(converged, err))
	fmt.Printf("| lost (in the fleet, missing in a member), summed over members | %d |\n", lost)
	fmt.Printf("| orphaned (in a member, gone from the fleet), summed over members | %d |\n", orphans)
	fmt.Printf("| duplicated (ResourceBindings of one fleet object beyond the first) | %d |\n", dup)
	return err
}

// freezeEtcd stops the fleet API's etcd for a while mid-rollout and checks that the same
// controller process finishes the rollout afterwards.
func (b *bench) freezeEtcd(n int, rate float64, freeze time.Duration) error {
	ctx := context.Background()
	names := deploymentNames(n)
	half := n / 2
	if err := b.create(ctx, names[:half], rate); err != nil {
		return err
	}
	etcd, err := b.fleetEtcd()
	if err != nil {
		return err
	}
	pid := b.up.cmd.Process.Pid
	if err := syscall.Kill(etcd, syscall.SIGSTOP); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "froze the fleet's etcd (pid %d) for %s\n", etcd, freeze)
	time.Sleep(freeze) // the fault itself: etcd stays stopped this long
	if err := syscall.Kill(etcd, syscall.SIGCONT); err != nil {
		return err
	}
	thawed := time.Now()
	if err := b.create(ctx, names[half:], rate); err != nil {
		return err
	}
	_, err = b.converge(ctx, names, 10*time.Minute)
	afterThaw := time.Since(thawed)
	lost, orphans, dup, cerr := b.count(ctx, names)
	if cerr != nil {
		return cerr
	}
	alive := "yes"
	select {
	case <-b.up.exited:
		alive = "no: it exited"
	default:
	}
	fmt.Printf("| fleet etcd frozen %s mid-rollout: %d Deployments × %d members | result |\n|---|---|\n", freeze, n, len(b.members))
	fmt.Printf("| same controller process afterwards (pid %d) | %s |\n", pid, alive)
	fmt.Printf("| thaw → every member holds every Deployment (the second half created after the thaw) | %s |\n", duration(afterThaw, err))
	fmt.Printf("| lost / orphaned / duplicated | %d / %d / %d |\n", lost, orphans, dup)
	return err
}

// fleetEtcd finds the fleet API's etcd process.
func (b *bench) fleetEtcd() (int, error) {
	for _, p := range procfs.Under(b.fl.APIServerDir()) {
		if len(p.Cmdline) > 0 && filepath.Base(p.Cmdline[0]) == "etcd" {
			return p.PID, nil
		}
	}
	return 0, errors.New("no etcd process of the fleet API")
}

func deploymentNames(n int) []string {
	var out []string
	for i := range n {
		out = append(out, fmt.Sprintf("d-%04d", i))
	}
	return out
}

// create makes the Deployments in the fleet API at the rate, retrying while it cannot be reached.
func (b *bench) create(ctx context.Context, names []string, rate float64) error {
	tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer tick.Stop()
	for _, name := range names {
		<-tick.C
		err := benchfleet.WaitFor(ctx, 5*time.Minute, 200*time.Millisecond, func() bool {
			err := b.c.Create(ctx, benchfleet.Deployment("chaos", name, 0))
			return err == nil || apierrors.IsAlreadyExists(err)
		})
		if err != nil {
			return fmt.Errorf("creating Deployment %s: %w", name, err)
		}
	}
	return nil
}

// converge waits until every member holds exactly the wanted Deployments, and says how long it took.
func (b *bench) converge(ctx context.Context, want []string, timeout time.Duration) (time.Duration, error) {
	start := time.Now()
	err := benchfleet.WaitFor(ctx, timeout, 500*time.Millisecond, func() bool {
		lost, orphans, _, err := b.count(ctx, want)
		return err == nil && lost == 0 && orphans == 0
	})
	return time.Since(start), err
}

// count compares every member's Deployments with the wanted ones, and counts Bindings per object.
func (b *bench) count(ctx context.Context, want []string) (lost, orphans, duplicated int, err error) {
	wanted := map[string]bool{}
	for _, n := range want {
		wanted[n] = true
	}
	for name, m := range b.members {
		list, err := m.AppsV1().Deployments("chaos").List(ctx, metav1.ListOptions{})
		if err != nil {
			return 0, 0, 0, fmt.Errorf("listing member %s: %w", name, err)
		}
		have := map[string]bool{}
		for _, d := range list.Items {
			if d.DeletionTimestamp != nil {
				continue
			}
			have[d.Name] = true
			if !wanted[d.Name] {
				orphans++
			}
		}
		for n := range wanted {
			if !have[n] {
				lost++
			}
		}
	}
	bindings := &n6sv1alpha1.ResourceBindingList{}
	if err := b.c.List(ctx, bindings, client.InNamespace("chaos")); err != nil {
		return 0, 0, 0, err
	}
	per := map[string]int{}
	for _, bd := range bindings.Items {
		per[bd.Spec.Resource.Name]++
	}
	for _, n := range per {
		duplicated += max(n-1, 0)
	}
	return lost, orphans, duplicated, nil
}

func duration(d time.Duration, err error) string {
	if err != nil {
		return fmt.Sprintf("not within %s: %v", d.Round(time.Second), err)
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}

// upProcess is `navarkos up` as a child process.
type upProcess struct {
	cmd    *exec.Cmd
	output *testenv.SyncBuffer
	exited chan error
}

// startUp runs `navarkos up` with the planner off on the fleet's directory and waits for its ready line.
func startUp(fl localfleet.Fleet) (*upProcess, error) {
	p := &upProcess{output: &testenv.SyncBuffer{}, exited: make(chan error, 1)}
	p.cmd = exec.Command(filepath.Join(fl.BinDir, "navarkos"), "up", "--data-dir", fl.DataDir, "--bin-dir", fl.BinDir,
		"--disable-planner", "--dns-addr", "")
	p.cmd.Stdout, p.cmd.Stderr = p.output, p.output
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { p.exited <- p.cmd.Wait() }()
	err := benchfleet.WaitFor(context.Background(), 5*time.Minute, 200*time.Millisecond, func() bool {
		select {
		case err := <-p.exited:
			p.exited <- err
			return true
		default:
		}
		return strings.Contains(p.output.String(), "Fleet ready")
	})
	if err != nil || !strings.Contains(p.output.String(), "Fleet ready") {
		return nil, fmt.Errorf("navarkos up did not get ready (%v):\n%s", err, lastLines(p.output.String(), 20))
	}
	return p, nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
