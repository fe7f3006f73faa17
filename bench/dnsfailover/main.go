// Command dnsfailover times DNS failover on a local fleet of three members: a GlobalIngress
// answers with every member's address; one member's kube-apiserver is frozen (SIGSTOP), and
// the time until the embedded DNS server's answers leave its address out is measured, then
// the time until it is back after the thaw. Each run freezes another member.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"slices"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	mdns "github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/bench/internal/benchfleet"
	"github.com/navarkos/navarkos/bench/internal/stats"
	"github.com/navarkos/navarkos/internal/dns"
	"github.com/navarkos/navarkos/internal/setup"
)

func main() {
	runs := flag.Int("runs", 5, "freezes, each of another member in turn")
	binDir := flag.String("bin-dir", "bin", "directory with the Kubernetes, etcd and kwok binaries")
	flag.Parse()
	ctrl.SetLogger(logr.Discard())
	if err := run(*runs, *binDir); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// ttl and interval are the GlobalIngress's; the clusters' own health checks run every 10 s, as in `navarkos up`.
const (
	ttl      = 5
	interval = time.Second
)

func run(runs int, binDir string) error {
	ctx := context.Background()
	server := &dns.Server{Addr: "127.0.0.1:0"}
	fl, c, stop, err := benchfleet.StartWith(ctx, binDir, setup.Options{Planner: setup.PlannerOptions{Disabled: true}, DNS: setup.DNSOptions{Server: server}})
	if err != nil {
		return err
	}
	defer stop()
	names := []string{"da", "db", "dc"}
	if _, err := benchfleet.StartMembers(ctx, c, names, func(cfg *rest.Config) { cfg.Timeout = 2 * time.Second }); err != nil {
		return err
	}
	for _, obj := range []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "bench"}},
		benchfleet.Deployment("bench", "web", 2),
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "bench", Name: "web"}, Spec: corev1.ServiceSpec{
			Type: corev1.ServiceTypeLoadBalancer, Selector: map[string]string{"app": "web"}, Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(8080)}}}},
		&n6sv1alpha1.Placement{ObjectMeta: metav1.ObjectMeta{Namespace: "bench", Name: "web"}, Spec: n6sv1alpha1.PlacementSpec{ResourceSelectors: []n6sv1alpha1.ResourceSelector{
			{APIVersion: "apps/v1", Kind: "Deployment", Name: "web"}, {APIVersion: "v1", Kind: "Service", Name: "web"}}}},
		&n6sv1alpha1.GlobalIngress{ObjectMeta: metav1.ObjectMeta{Namespace: "bench", Name: "web"}, Spec: n6sv1alpha1.GlobalIngressSpec{
			Hosts: []string{"web.navarkos.local"}, Backend: n6sv1alpha1.GlobalIngressBackend{ServiceName: "web"}, TTL: ttl,
			HealthCheck: n6sv1alpha1.HealthCheck{Interval: n6sv1alpha1.DurationOf(interval)}}},
	} {
		if err := c.Create(ctx, obj); err != nil {
			return err
		}
	}
	addrOf := map[string]string{}
	all := func() bool {
		gi := &n6sv1alpha1.GlobalIngress{}
		if c.Get(ctx, client.ObjectKey{Namespace: "bench", Name: "web"}, gi) != nil || len(gi.Status.Hosts) == 0 {
			return false
		}
		for _, t := range gi.Status.Hosts[0].Targets {
			if len(t.Addresses) == 1 {
				addrOf[t.Cluster] = t.Addresses[0]
			}
		}
		return len(addrOf) == 3 && len(answers(server.BoundAddr())) == 3
	}
	if err := benchfleet.WaitFor(ctx, 3*time.Minute, 100*time.Millisecond, all); err != nil {
		return fmt.Errorf("waiting for three answered targets: %w", err)
	}

	var gone, back []time.Duration
	for i := range runs {
		victim := names[i%len(names)]
		pids, err := fl.Runner().Processes(victim)
		if err != nil {
			return err
		}
		apiserver, err := os.FindProcess(pids["kube-apiserver"])
		if err != nil {
			return err
		}
		start := time.Now()
		if err := apiserver.Signal(syscall.SIGSTOP); err != nil {
			return err
		}
		left := func() bool { return !slices.Contains(answers(server.BoundAddr()), addrOf[victim]) }
		err = benchfleet.WaitFor(ctx, 3*time.Minute, 50*time.Millisecond, left)
		gone = append(gone, time.Since(start))
		_ = apiserver.Signal(syscall.SIGCONT)
		if err != nil {
			return fmt.Errorf("waiting for %s to leave the answers: %w", victim, err)
		}
		thawed := time.Now()
		if err := benchfleet.WaitFor(ctx, 3*time.Minute, 50*time.Millisecond, func() bool { return len(answers(server.BoundAddr())) == 3 }); err != nil {
			return fmt.Errorf("waiting for %s to come back: %w", victim, err)
		}
		back = append(back, time.Since(thawed))
		fmt.Fprintf(os.Stderr, "run %d (%s frozen): out of the answers after %v; back %v after the thaw\n", i+1, victim, gone[i].Round(time.Millisecond), back[i].Round(time.Millisecond))
	}
	fmt.Printf("| one of 3 members frozen (GlobalIngress interval %v, TTL %d s; cluster health every 10 s), median of %d | seconds |\n|---|---|\n", interval, ttl, runs)
	fmt.Printf("| freeze → its address out of the answers | %.1f |\n", stats.Median(gone).Seconds())
	fmt.Printf("| … plus the TTL, the most a client can hold the old answer | %.1f |\n", stats.Median(gone).Seconds()+ttl)
	fmt.Printf("| thaw → its address back | %.1f |\n", stats.Median(back).Seconds())
	fmt.Printf("| k8gb's published failover demo (for reference) | about 48 |\n")
	return nil
}

// answers asks the server for web.navarkos.local's addresses.
func answers(server string) []string {
	m := new(mdns.Msg)
	m.SetQuestion("web.navarkos.local.", mdns.TypeA)
	resp, _, err := (&mdns.Client{Timeout: time.Second}).Exchange(m, server)
	if err != nil {
		return nil
	}
	var out []string
	for _, rr := range resp.Answer {
		if a, ok := rr.(*mdns.A); ok {
			out = append(out, a.A.String())
		}
	}
	return out
}
