package dashboard

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/testenv"
)

// The fleet map in a real browser: a cluster made while the page is open appears, and turns
// Ready, without a reload; its conditions are in its hover text; the page logs no error.
func TestDashboardFleetMapInABrowser(t *testing.T) {
	ctx := t.Context()
	u := listen(t)
	makePool(t, "browser-us", "us-east", "0.192")
	page, problems := testenv.Browser(t)
	testenv.Within(t, page, 30*time.Second, "the map with pool browser-us", chromedp.Steps(
		chromedp.Navigate(u.String()),
		chromedp.WaitVisible(chromedp.CSS(`[data-pool="browser-us"]`)),
		// A mark that a reload would wipe.
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := chromedp.Evaluate[bool](`window.loadedOnce = true`)(ctx, t)
			return err
		})))
	if address := testenv.Within(t, page, 5*time.Second, "the address", chromedp.Location()); strings.Contains(address, "token=") {
		t.Errorf("the token stayed in the address bar: %s", address)
	}

	c := &n6sv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "browser-1"}, Spec: n6sv1alpha1.ClusterSpec{Pool: "browser-us"}}
	if err := k8s.Create(ctx, c); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = k8s.Delete(context.Background(), c) })
	cluster := `[data-pool="browser-us"] [data-cluster="browser-1"]`
	testenv.Within(t, page, 30*time.Second, "the new cluster on the map", chromedp.WaitVisible(chromedp.CSS(cluster)))
	c.Status.Phase, c.Status.Nodes = n6sv1alpha1.ClusterPhaseReady, 2
	c.Status.CostPerHour = ptrQ("0.484")
	meta.SetStatusCondition(&c.Status.Conditions, metav1.Condition{Type: n6sv1alpha1.ClusterReadyCondition, Status: metav1.ConditionTrue,
		Reason: "Ready", Message: "the API answered; 2 nodes Ready"})
	if err := k8s.Status().Update(ctx, c); err != nil {
		t.Fatal(err)
	}
	testenv.Within(t, page, 30*time.Second, "the cluster Ready on the map", chromedp.WaitVisible(chromedp.CSS(cluster+`[data-phase="Ready"]`)))
	hover := testenv.Within(t, page, 5*time.Second, "the cluster's hover text", chromedp.AttributeValue(chromedp.CSS(cluster), "title"))
	if !strings.Contains(hover.Value, "Ready=True (Ready): the API answered; 2 nodes Ready") {
		t.Errorf("hover text %q, want the Ready condition with its reason", hover.Value)
	}
	card := testenv.Within(t, page, 5*time.Second, "the cluster's card", chromedp.Text(chromedp.CSS(cluster)))
	summary := testenv.Within(t, page, 5*time.Second, "the summary", chromedp.Text(chromedp.CSS(`#summary`)))
	reloaded := testenv.Within(t, page, 5*time.Second, "the reload mark", chromedp.Evaluate[bool](`window.loadedOnce !== true`))
	if !strings.Contains(card, "2 nodes · 0.484/h") || !strings.Contains(summary, "/h") || reloaded {
		t.Errorf("card %q, summary %q, reloaded %t: want the nodes and cost, the fleet's cost, and no reload", card, summary, reloaded)
	}

	// A cluster of a pool that does not exist is drawn under that name, marked, with no price.
	orphan := &n6sv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "browser-orphan"}, Spec: n6sv1alpha1.ClusterSpec{Pool: "browser-gone"}}
	if err := k8s.Create(ctx, orphan); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = k8s.Delete(context.Background(), orphan) })
	testenv.Within(t, page, 30*time.Second, "the cluster of a missing pool on the map",
		chromedp.WaitVisible(chromedp.CSS(`[data-pool="browser-gone"] [data-cluster="browser-orphan"]`)))
	head := testenv.Within(t, page, 5*time.Second, "the missing pool's heading", chromedp.Text(chromedp.CSS(`[data-pool="browser-gone"] h3`)))
	if !strings.Contains(head, "no such ClusterPool") || strings.Contains(head, "undefined") {
		t.Errorf("the missing pool's heading is %q, want it to say there is no such ClusterPool", head)
	}
	if p := problems(); len(p) > 0 {
		t.Errorf("the page logged errors:\n%s", strings.Join(p, "\n"))
	}
}

// A workload Applied in a cluster whose replicas are not Ready yet (Pending pods) is not drawn
// as serving: the member line says how many are Ready and takes the warning colour, not the
// green of a member that serves.
func TestDashboardWorkloadNotReadyIsNotGreen(t *testing.T) {
	ctx := t.Context()
	u := listen(t)
	if err := k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "pending"}}); err != nil {
		t.Fatal(err)
	}
	ref := n6sv1alpha1.PlacementReference{Kind: n6sv1alpha1.PlacementKind, Namespace: "pending", Name: "app"}
	if err := k8s.Create(ctx, &n6sv1alpha1.Placement{ObjectMeta: metav1.ObjectMeta{Namespace: "pending", Name: "app"},
		Spec: n6sv1alpha1.PlacementSpec{ResourceSelectors: []n6sv1alpha1.ResourceSelector{{APIVersion: "apps/v1", Kind: "Deployment", Name: "app"}}}}); err != nil {
		t.Fatal(err)
	}
	b := &n6sv1alpha1.ResourceBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: "pending", Name: "deployment-app"},
		Spec: n6sv1alpha1.ResourceBindingSpec{Placement: ref, Clusters: []n6sv1alpha1.TargetCluster{{Name: "m1", Replicas: ptr.To[int32](2)}},
			Resource: n6sv1alpha1.ResourceReference{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "pending", Name: "app"}},
	}
	if err := k8s.Create(ctx, b); err != nil {
		t.Fatal(err)
	}
	b.Status.Clusters = []n6sv1alpha1.ClusterResourceStatus{{Name: "m1", State: n6sv1alpha1.ResourceApplied, ReadyReplicas: 0}}
	if err := k8s.Status().Update(ctx, b); err != nil {
		t.Fatal(err)
	}
	member := `[data-binding="pending/deployment-app"] [data-cluster="m1"]`
	page, problems := testenv.Browser(t)
	testenv.Within(t, page, 30*time.Second, "the workloads page with the Applied member", chromedp.Steps(
		chromedp.Navigate(u.String()+"#workloads"), chromedp.WaitVisible(chromedp.CSS(member+`[data-state="Applied"]`))))
	text := testenv.Within(t, page, 5*time.Second, "the member's line", chromedp.Text(chromedp.CSS(member)))
	colour := testenv.Within(t, page, 5*time.Second, "the member's border colour",
		chromedp.Evaluate[string](`getComputedStyle(document.querySelector('`+member+`')).borderLeftColor`))
	// --warn is #9a6700; --ok, green, is #1a7f37.
	if !strings.Contains(text, "0/2 Ready") || colour != "rgb(154, 103, 0)" {
		t.Errorf("the member reads %q in %s; want 0/2 Ready in the warning colour rgb(154, 103, 0)", text, colour)
	}
	if p := problems(); len(p) > 0 {
		t.Errorf("the page logged errors:\n%s", strings.Join(p, "\n"))
	}
}

// TestDashboardShowsAPlacementProblemInRed: a Placement whose replica fits no node says so on
// the workloads page, in the colour of a failure, and so does a move in progress.
func TestDashboardShowsAPlacementProblemInRed(t *testing.T) {
	ctx := t.Context()
	u := listen(t)
	if err := k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "toobig"}}); err != nil {
		t.Fatal(err)
	}
	p := &n6sv1alpha1.Placement{ObjectMeta: metav1.ObjectMeta{Namespace: "toobig", Name: "app"},
		Spec: n6sv1alpha1.PlacementSpec{ResourceSelectors: []n6sv1alpha1.ResourceSelector{{APIVersion: "apps/v1", Kind: "Deployment", Name: "app"}}}}
	if err := k8s.Create(ctx, p); err != nil {
		t.Fatal(err)
	}
	const needs = "deployment/app needs 8 CPU, 1Gi per replica; the largest node of any eligible cluster or pool has 4 CPU, 16Gi"
	p.Status.Conditions = []metav1.Condition{
		{Type: n6sv1alpha1.PlacementScheduledCondition, Status: metav1.ConditionFalse, Reason: n6sv1alpha1.PlacementUnschedulableReason, Message: needs, LastTransitionTime: metav1.Now()},
		{Type: n6sv1alpha1.PlacementProgressingCondition, Status: metav1.ConditionTrue, Reason: n6sv1alpha1.PlacementMovingReason, Message: "deployment/app: moving eu 4→0, us 4→6; 6 of 6 Ready", LastTransitionTime: metav1.Now()},
	}
	if err := k8s.Status().Update(ctx, p); err != nil {
		t.Fatal(err)
	}
	ref := n6sv1alpha1.PlacementReference{Kind: n6sv1alpha1.PlacementKind, Namespace: "toobig", Name: "app"}
	if err := k8s.Create(ctx, &n6sv1alpha1.ResourceBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: "toobig", Name: "deployment-app"},
		Spec: n6sv1alpha1.ResourceBindingSpec{Placement: ref, UnplacedReplicas: 2,
			Resource: n6sv1alpha1.ResourceReference{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "toobig", Name: "app"}},
	}); err != nil {
		t.Fatal(err)
	}
	card := `[data-placement="toobig/app"]`
	page, problems := testenv.Browser(t)
	testenv.Within(t, page, 30*time.Second, "the workloads page with the placement's problem", chromedp.Steps(
		chromedp.Navigate(u.String()+"#workloads"), chromedp.WaitVisible(chromedp.CSS(card+` p.problem`))))
	text := testenv.Within(t, page, 5*time.Second, "the problem's text", chromedp.Text(chromedp.CSS(card+` p.problem`)))
	colour := testenv.Within(t, page, 5*time.Second, "the problem's colour",
		chromedp.Evaluate[string](`getComputedStyle(document.querySelector('`+card+` p.problem')).color`))
	moving := testenv.Within(t, page, 5*time.Second, "the move's text", chromedp.Text(chromedp.CSS(card+` p.moving`)))
	// --bad is #cf222e.
	if text != "Unschedulable: "+needs || colour != "rgb(207, 34, 46)" {
		t.Errorf("the problem reads %q in %s; want the Unschedulable message in the failure colour rgb(207, 34, 46)", text, colour)
	}
	if !strings.Contains(moving, "moving eu 4→0, us 4→6; 6 of 6 Ready") {
		t.Errorf("the move reads %q", moving)
	}
	if p := problems(); len(p) > 0 {
		t.Errorf("the page logged errors:\n%s", strings.Join(p, "\n"))
	}
}
