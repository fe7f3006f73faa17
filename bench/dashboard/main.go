// Command dashboard measures the dashboard in a real headless Chromium against a fleet API
// (envtest) holding 300 clusters and 3,000 workloads: how long the fleet map and the workloads
// page take to show everything, and how long an update takes to reach each page. Baselines
// from the same run: a list of the same objects straight from the API server, and a watch's
// delivery of the same update.
//
//	go run ./bench/dashboard [-clusters 300] [-workloads 3000] [-runs 5] [-updates 15]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/chromedp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/dashboard"
	"github.com/navarkos/navarkos/internal/setup"
	"github.com/navarkos/navarkos/internal/testenv"
)

func main() {
	clusters := flag.Int("clusters", 300, "clusters in the fleet API")
	workloads := flag.Int("workloads", 3000, "workloads (a Placement and a ResourceBinding each)")
	runs := flag.Int("runs", 5, "page loads measured per page")
	updates := flag.Int("updates", 15, "updates measured per page")
	flag.Parse()
	if err := run(*clusters, *workloads, *runs, *updates); err != nil {
		log.Fatal(err)
	}
}

const pools = 30

func run(clusters, workloads, runs, updates int) error {
	ctx := context.Background()
	env, cfg, err := testenv.Start()
	if err != nil {
		return err
	}
	defer func() { _ = env.Stop() }()
	cfg.QPS, cfg.Burst = 2000, 4000
	c, err := client.NewWithWatch(cfg, client.Options{Scheme: setup.Scheme()})
	if err != nil {
		return err
	}
	if err := setup.InstallCRDs(ctx, c); err != nil {
		return err
	}
	start := time.Now()
	if err := fill(ctx, c, clusters, workloads); err != nil {
		return err
	}
	fmt.Printf("fleet API filled with %d pools, %d clusters and %d workloads in %.1fs\n", pools, clusters, workloads, time.Since(start).Seconds())

	dashCtx, stop := context.WithCancel(ctx)
	defer stop()
	url, _, err := dashboard.Listen(dashCtx, cfg, setup.Scheme(), "127.0.0.1:0", dashboard.Options{})
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "navarkos-bench-browser-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	page, closeBrowser, problems, err := testenv.StartBrowser(dir)
	if err != nil {
		return err
	}
	defer closeBrowser()
	base := url[:len(url)-len("?token=")-48]
	if _, err := chromedp.Run(page, chromedp.Navigate(url)); err != nil { // sets the cookie
		return err
	}

	lastCluster := fmt.Sprintf(`[data-cluster="c-%d"]`, clusters-1)
	lastBinding := fmt.Sprintf(`[data-binding="%s/deployment-w-%d"]`, nsOf(workloads-1), workloads-1)
	mapLoads, err := loads(page, base+"#map", lastCluster, runs)
	if err != nil {
		return err
	}
	// The workloads page draws the first 100 and counts them all; the filter finds any.
	workloadLoads, err := loads(page, base+"#workloads", `[data-binding="team-0/deployment-w-0"]`, runs)
	if err != nil {
		return err
	}
	count, err := chromedp.Run(page, chromedp.Text(chromedp.CSS(`#workload-count`)))
	if err != nil || !strings.HasPrefix(count, strconv.Itoa(workloads)+" workloads") {
		return fmt.Errorf("the workloads page counts %q (%v), want %d workloads", count, err, workloads)
	}
	filtered, err := timed(runs, func() error {
		ctx, cancel := context.WithTimeout(page, time.Minute)
		defer cancel()
		_, err := chromedp.Run(ctx, chromedp.Steps(
			chromedp.SendKeys(chromedp.CSS(`#workload-filter`), fmt.Sprintf("w-%d", workloads-1)),
			chromedp.WaitVisible(chromedp.CSS(lastBinding))))
		if err != nil {
			return err
		}
		_, err = chromedp.Run(ctx, chromedp.Evaluate[bool](`{ const f = document.getElementById("workload-filter"); f.value = ""; f.dispatchEvent(new Event("input")); } true`))
		return err
	})
	if err != nil {
		return fmt.Errorf("filtering to %s: %w", lastBinding, err)
	}
	listClusters, err := timed(runs, func() error {
		return errorsOf(c.List(ctx, &n6sv1alpha1.ClusterList{}), c.List(ctx, &n6sv1alpha1.ClusterPoolList{}))
	})
	if err != nil {
		return err
	}
	listWorkloads, err := timed(runs, func() error {
		return errorsOf(c.List(ctx, &n6sv1alpha1.ResourceBindingList{}), c.List(ctx, &n6sv1alpha1.PlacementList{}))
	})
	if err != nil {
		return err
	}

	token := url[len(url)-48:]
	serveWorkloads, err := timed(runs, func() error { return fetch(base+"api/workloads", token) })
	if err != nil {
		return err
	}
	serveFleet, err := timed(runs, func() error { return fetch(base+"api/fleet", token) })
	if err != nil {
		return err
	}

	mapUpdates, mapWatch, err := measureUpdates(ctx, c, page, base, updates, mapUpdate(c))
	if err != nil {
		return err
	}
	workloadUpdates, workloadWatch, err := measureUpdates(ctx, c, page, base, updates, workloadUpdate(c))
	if err != nil {
		return err
	}
	if p := problems(); len(p) > 0 {
		return fmt.Errorf("the page logged errors: %v", p)
	}
	fmt.Printf("\n%d clusters, %d workloads; medians of %d loads and %d updates\n", clusters, workloads, runs, updates)
	fmt.Printf("%-34s %10s %10s %8s\n", "", "dashboard", "baseline", "ratio")
	row := func(name string, got, base []time.Duration, baseName string) {
		g, b := median(got), median(base)
		fmt.Printf("%-34s %8.0fms %8.0fms %7.1fx  (baseline: %s; dashboard p90 %.0fms)\n", name, ms(g), ms(b), float64(g)/float64(b), baseName, ms(percentile(got, 0.9)))
	}
	row("fleet map, first page usable", mapLoads, listClusters, "list clusters and pools")
	row("workloads page, first page usable", workloadLoads, listWorkloads, "list bindings and placements")
	row("filter to the last of them", filtered, listWorkloads, "list bindings and placements")
	row("its JSON, GET /api/fleet", serveFleet, listClusters, "list clusters and pools")
	row("its JSON, GET /api/workloads", serveWorkloads, listWorkloads, "list bindings and placements")
	row("update on the fleet map", mapUpdates, mapWatch, "a watch's delivery")
	row("update on the workloads page", workloadUpdates, workloadWatch, "a watch's delivery")
	return nil
}

// fill creates the pools, clusters with their status, and workloads, eight at a time.
func fill(ctx context.Context, c client.Client, clusters, workloads int) error {
	regions := []string{"us-east", "us-west", "eu-west", "eu-central", "ap-south", "ap-northeast"}
	var jobs []func() error
	for p := range pools {
		jobs = append(jobs, func() error {
			return c.Create(ctx, &n6sv1alpha1.ClusterPool{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("pool-%d", p)}, Spec: n6sv1alpha1.ClusterPoolSpec{
				Provider: "local", Region: regions[p%len(regions)], NodeShape: n6sv1alpha1.NodeShape{CPU: resource.MustParse("4"), Memory: resource.MustParse("16Gi"), Pods: 110},
				Price:    n6sv1alpha1.Price{PerNodeHour: resource.MustParse("0.192"), PerClusterHour: ptr.To(resource.MustParse("0.1"))},
				Clusters: n6sv1alpha1.CountRange{Max: 20}, NodesPerCluster: n6sv1alpha1.CountRange{Min: 1, Max: 10}}})
		})
	}
	if err := parallel(jobs); err != nil {
		return err
	}
	jobs = nil
	for i := range clusters {
		jobs = append(jobs, func() error {
			cl := &n6sv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("c-%d", i)}, Spec: n6sv1alpha1.ClusterSpec{Pool: fmt.Sprintf("pool-%d", i%pools)}}
			if err := c.Create(ctx, cl); err != nil {
				return err
			}
			setClusterStatus(cl, 3)
			return c.Status().Update(ctx, cl)
		})
	}
	for i := range workloads {
		jobs = append(jobs, func() error {
			ns, name := nsOf(i), fmt.Sprintf("w-%d", i)
			if i%30 == 0 {
				if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
					return err
				}
			}
			p := &n6sv1alpha1.Placement{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: n6sv1alpha1.PlacementSpec{
				ResourceSelectors: []n6sv1alpha1.ResourceSelector{{APIVersion: "apps/v1", Kind: "Deployment", Name: name}}}}
			b := &n6sv1alpha1.ResourceBinding{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "deployment-" + name}, Spec: n6sv1alpha1.ResourceBindingSpec{
				Resource:  n6sv1alpha1.ResourceReference{APIVersion: "apps/v1", Kind: "Deployment", Namespace: ns, Name: name},
				Placement: n6sv1alpha1.PlacementReference{Kind: "Placement", Namespace: ns, Name: name},
				Reason:    "3 of 300 clusters eligible; chose the cheapest by cost",
				Clusters: []n6sv1alpha1.TargetCluster{{Name: fmt.Sprintf("c-%d", i%clusters), Replicas: ptr.To[int32](2)},
					{Name: fmt.Sprintf("c-%d", (i+1)%clusters), Replicas: ptr.To[int32](1)}}}}
			if err := errorsOf(c.Create(ctx, p), c.Create(ctx, b)); err != nil {
				return err
			}
			b.Status.Clusters = []n6sv1alpha1.ClusterResourceStatus{{Name: b.Spec.Clusters[0].Name, State: n6sv1alpha1.ResourceApplied, ReadyReplicas: 2},
				{Name: b.Spec.Clusters[1].Name, State: n6sv1alpha1.ResourceApplied, ReadyReplicas: 1}}
			return c.Status().Update(ctx, b)
		})
	}
	return parallel(jobs)
}

func nsOf(workload int) string { return fmt.Sprintf("team-%d", workload/30) }

func setClusterStatus(cl *n6sv1alpha1.Cluster, nodes int32) {
	cl.Status.Phase, cl.Status.Nodes = n6sv1alpha1.ClusterPhaseReady, nodes
	cl.Status.CostPerHour = ptr.To(resource.MustParse("0.676"))
	cl.Status.Capacity.Allocatable.CPU, cl.Status.Capacity.Used.CPU = resource.MustParse("12"), resource.MustParse("5")
	cl.Status.Capacity.Allocatable.Memory, cl.Status.Capacity.Used.Memory = resource.MustParse("48Gi"), resource.MustParse("20Gi")
	meta.SetStatusCondition(&cl.Status.Conditions, metav1.Condition{Type: n6sv1alpha1.ClusterReadyCondition, Status: metav1.ConditionTrue, Reason: "Ready", Message: "the API answered"})
}

// parallel runs jobs eight at a time and returns the first error.
func parallel(jobs []func() error) error {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	next := make(chan func() error)
	for range 8 {
		wg.Go(func() {
			for job := range next {
				if err := job(); err != nil {
					mu.Lock()
					first = errorsOf(first, err)
					mu.Unlock()
				}
			}
		})
	}
	for _, j := range jobs {
		next <- j
	}
	close(next)
	wg.Wait()
	return first
}

func errorsOf(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// loads opens the page afresh n times and times each until sel is drawn.
func loads(page context.Context, url, sel string, n int) ([]time.Duration, error) {
	var out []time.Duration
	for range n {
		if _, err := chromedp.Run(page, chromedp.Navigate("about:blank")); err != nil {
			return nil, err
		}
		start := time.Now()
		ctx, cancel := context.WithTimeout(page, time.Minute)
		_, err := chromedp.Run(ctx, chromedp.Steps(chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS(sel))))
		cancel()
		if err != nil {
			return nil, fmt.Errorf("loading %s until %s: %w", url, sel, err)
		}
		out = append(out, time.Since(start))
	}
	return out, nil
}

// fetch reads a dashboard URL with the token.
func fetch(url, token string) error {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}

func timed(n int, f func() error) ([]time.Duration, error) {
	var out []time.Duration
	for range n {
		start := time.Now()
		if err := f(); err != nil {
			return nil, err
		}
		out = append(out, time.Since(start))
	}
	return out, nil
}

// watchFor starts a watch of list's kind and returns a function that waits for an event
// whose object passes ok, and says when it came.
func watchFor(ctx context.Context, c client.WithWatch, list client.ObjectList, opts ...client.ListOption) (func(ok func(client.Object) bool) (time.Time, error), func(), error) {
	w, err := c.Watch(ctx, list, opts...)
	if err != nil {
		return nil, nil, err
	}
	return func(ok func(client.Object) bool) (time.Time, error) {
		deadline := time.After(30 * time.Second)
		for {
			select {
			case e, open := <-w.ResultChan():
				if !open {
					return time.Time{}, fmt.Errorf("the watch closed")
				}
				if o, isObj := e.Object.(client.Object); isObj && e.Type == watch.Modified && ok(o) {
					return time.Now(), nil
				}
			case <-deadline:
				return time.Time{}, fmt.Errorf("no watch event in 30s")
			}
		}
	}, w.Stop, nil
}

// seenInPage installs an observer that notes, in window.seen, when the page first showed
// each value that text(root) finds, in the page's clock (Unix ms).
func seenInPage(page context.Context, root, text string) error {
	script := fmt.Sprintf(`window.seen = {};
new MutationObserver(() => {
  const v = (%s)(document);
  if (v !== null && !(v in window.seen)) window.seen[v] = performance.timeOrigin + performance.now();
}).observe(document.querySelector(%q), {subtree: true, childList: true, characterData: true});
true`, text, root)
	_, err := chromedp.Run(page, chromedp.Evaluate[bool](script))
	return err
}

// awaitSeen polls the page until it showed value, and returns when it did.
func awaitSeen(page context.Context, value string) (time.Time, error) {
	var at time.Time
	err := wait.PollUntilContextTimeout(page, 20*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		ms, err := chromedp.Run(page, chromedp.Evaluate[float64](fmt.Sprintf(`window.seen[%q] || 0`, value)))
		at = time.UnixMicro(int64(ms * 1000))
		return ms > 0, err
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("waiting for the page to show %q: %w", value, err)
	}
	return at, nil
}

// updateProbe is one page's update to time: a write of a new value, the page that shows it,
// and the watch event that carries it.
type updateProbe struct {
	// hash opens the page; ready is drawn once it shows.
	hash, ready string
	// root is where the page's observer looks, and text the script that reads the value there.
	root, text string
	list       client.ObjectList
	opts       []client.ListOption
	write      func(ctx context.Context, value int32) error
	carries    func(o client.Object, value int32) bool
}

// mapUpdate changes cluster c-0's node count.
func mapUpdate(c client.Client) updateProbe {
	return updateProbe{hash: "#map", ready: `[data-cluster="c-0"]`, root: "#map",
		text: `d => { const m = d.querySelector('[data-cluster="c-0"] .meta'); return m ? m.textContent.split(" ")[0] : null; }`,
		list: &n6sv1alpha1.ClusterList{},
		write: func(ctx context.Context, nodes int32) error {
			cl := &n6sv1alpha1.Cluster{}
			if err := c.Get(ctx, client.ObjectKey{Name: "c-0"}, cl); err != nil {
				return err
			}
			setClusterStatus(cl, nodes)
			return c.Status().Update(ctx, cl)
		},
		carries: func(o client.Object, nodes int32) bool {
			x := o.(*n6sv1alpha1.Cluster)
			return x.Name == "c-0" && x.Status.Nodes == nodes
		}}
}

// workloadUpdate changes the first workload's Ready replicas.
func workloadUpdate(c client.Client) updateProbe {
	return updateProbe{hash: "#workloads", ready: `[data-binding="team-0/deployment-w-0"]`, root: "#workloads",
		text: `d => { const m = d.querySelector('[data-binding="team-0/deployment-w-0"] .head span'); return m ? m.textContent.split(" ")[0] : null; }`,
		list: &n6sv1alpha1.ResourceBindingList{}, opts: []client.ListOption{client.InNamespace("team-0")},
		write: func(ctx context.Context, ready int32) error {
			b := &n6sv1alpha1.ResourceBinding{}
			if err := c.Get(ctx, client.ObjectKey{Namespace: "team-0", Name: "deployment-w-0"}, b); err != nil {
				return err
			}
			b.Status.Clusters[0].ReadyReplicas = ready - b.Status.Clusters[1].ReadyReplicas
			return c.Status().Update(ctx, b)
		},
		carries: func(o client.Object, ready int32) bool {
			x := o.(*n6sv1alpha1.ResourceBinding)
			return x.Name == "deployment-w-0" && x.Status.Clusters[0].ReadyReplicas+x.Status.Clusters[1].ReadyReplicas == ready
		}}
}

// measureUpdates writes n new values and times each to the page and to a watch of the same
// API server, from just before the write.
func measureUpdates(ctx context.Context, c client.WithWatch, page context.Context, base string, n int, p updateProbe) (shown, watched []time.Duration, err error) {
	if _, err := chromedp.Run(page, chromedp.Steps(chromedp.Navigate(base+p.hash), chromedp.WaitVisible(chromedp.CSS(p.ready)))); err != nil {
		return nil, nil, err
	}
	if err := seenInPage(page, p.root, p.text); err != nil {
		return nil, nil, err
	}
	next, stop, err := watchFor(ctx, c, p.list, p.opts...)
	if err != nil {
		return nil, nil, err
	}
	defer stop()
	for i := range n {
		value := int32(100 + i)
		sent := time.Now()
		if err := p.write(ctx, value); err != nil {
			return nil, nil, err
		}
		at, err := next(func(o client.Object) bool { return p.carries(o, value) })
		if err != nil {
			return nil, nil, err
		}
		on, err := awaitSeen(page, strconv.Itoa(int(value)))
		if err != nil {
			return nil, nil, err
		}
		watched, shown = append(watched, at.Sub(sent)), append(shown, on.Sub(sent))
	}
	return shown, watched, nil
}

func median(d []time.Duration) time.Duration { return percentile(d, 0.5) }

func percentile(d []time.Duration, p float64) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[int(p*float64(len(s)-1)+0.5)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
