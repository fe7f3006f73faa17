package fninstall

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart/common/util"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/kube"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/charts"
	"github.com/navarkos/navarkos/internal/kubeconfig"
)

// InstanceLabel carries the release name on every object of the chart.
const InstanceLabel = "app.kubernetes.io/instance"

// fieldOwner is the field manager of the objects Navarkos makes for a fleet-wide install.
const fieldOwner = client.FieldOwner("navarkos-fn")

// Release names one installation of Fn.
type Release struct {
	Name      string
	Namespace string
}

// Install says what to install and how.
type Install struct {
	Release
	// Chart is the Fn chart; nil means the embedded one.
	Chart *chart.Chart
	// Values are the user's chart values. On an upgrade, as with `helm upgrade`, none keep the
	// last release's; ReuseValues merges them over the last release's; ResetValues starts from
	// the chart's defaults even when none are given.
	Values                   map[string]any
	ReuseValues, ResetValues bool
	// Wait returns only once every workload is ready: in the cluster, or in every selected
	// cluster of a fleet-wide install.
	Wait bool
	// Timeout bounds the install and the wait.
	Timeout time.Duration
	// RollbackOnFailure undoes an upgrade that fails, and uninstalls a first install that does.
	RollbackOnFailure bool
	// AllowSeparateDatastores lets a fleet-wide install give every cluster a datastore of its
	// own (sqlite, or the bundled MySQL): each cluster then has its own apps and functions.
	AllowSeparateDatastores bool
	// Report receives what was done besides the install, such as recovering a pending release.
	Report func(string)
}

func (in Install) helmOptions(values map[string]any, wait bool) helmOptions {
	report := in.Report
	if report == nil {
		report = func(string) {}
	}
	return helmOptions{values: values, reuse: in.ReuseValues, reset: in.ResetValues, wait: wait, timeout: in.Timeout,
		rollback: in.RollbackOnFailure, report: report}
}

func (in Install) chart() (*chart.Chart, error) {
	if in.Chart != nil {
		return in.Chart, nil
	}
	return charts.Load(charts.Fn)
}

// ToCluster installs (or upgrades) the release into the member cluster of a kubeconfig.
func (in Install) ToCluster(ctx context.Context, kubeconfig []byte) error {
	ch, err := in.chart()
	if err != nil {
		return err
	}
	cfg, err := helmConfig(kubeconfig, in.Namespace)
	if err != nil {
		return err
	}
	_, err = installOrUpgrade(ctx, cfg, ch, in.Name, in.Namespace, in.helmOptions(in.Values, in.Wait))
	return err
}

// Fleet says where a fleet-wide install runs and how it is named.
type Fleet struct {
	// ClusterSelector picks the clusters Fn runs on; nil or empty means every cluster.
	ClusterSelector *metav1.LabelSelector
	// GlobalName is the one DNS name of the API and invoke endpoints, inside Zone.
	GlobalName string
	// Zone is the GlobalIngress zone; empty means the default zone.
	Zone string
	// Kubeconfigs reaches the member clusters, for Install.Wait.
	Kubeconfigs Kubeconfigs
}

// PlacementName is the ClusterPlacement of a fleet-wide release.
func PlacementName(r Release) string { return "fn-" + r.Namespace + "-" + r.Name }

// ToFleet installs (or upgrades) the release into the fleet API, whose kubeconfig and client
// are given, with an Ingress for the global name; a ClusterPlacement duplicates every object
// of the release to the selected clusters, and a GlobalIngress answers the global name with
// the Ingress address of each cluster.
func (in Install) ToFleet(ctx context.Context, kubeconfig []byte, c client.Client, f Fleet) error {
	if f.GlobalName == "" {
		return errors.New("a fleet-wide install needs a global DNS name")
	}
	// The API checks the global name (inside its zone, a valid hostname) before anything is
	// made; in the default namespace, since the release's may not exist yet.
	probe := Release{Name: in.Name, Namespace: metav1.NamespaceDefault}
	err := c.Apply(ctx, globalIngress(probe, "unchecked", f), fieldOwner, client.ForceOwnership, client.DryRunAll)
	if err != nil {
		return fmt.Errorf("the global name %q is refused: %w", f.GlobalName, err)
	}
	ch, err := in.chart()
	if err != nil {
		return err
	}
	cfg, err := helmConfig(kubeconfig, in.Namespace)
	if err != nil {
		return err
	}
	// The values Helm would use, worked out here since the global name's Ingress is added to
	// them: Helm would otherwise see values given every time, and never keep the last ones.
	values, err := in.fleetValues(cfg)
	if err != nil {
		return err
	}
	if store := separateDatastore(values); store != "" && !in.AllowSeparateDatastores {
		return fmt.Errorf("the datastore is %s, which each cluster would have to itself: behind one global name the clusters "+
			"would split apps and functions between them without a word. Point datastore at one MySQL or PostgreSQL that "+
			"every cluster reaches (datastore.type, datastore.host), or pass --allow-separate-datastores", store)
	}
	withName := in
	withName.ResetValues, withName.ReuseValues = true, false
	// A rollback is judged by the clusters, below: Helm's would wait for the fleet API.
	withName.RollbackOnFailure = false
	// Fleet workloads are templates; they never become ready in the fleet API itself: the
	// wait is for the clusters, below.
	rel, err := installOrUpgrade(ctx, cfg, ch, in.Name, in.Namespace, withName.helmOptions(withIngress(values, f.GlobalName), false))
	if err != nil {
		return err
	}
	objs, err := charts.Decode(rel.Manifest, in.Namespace)
	if err != nil {
		return err
	}
	var kinds []schema.GroupVersionKind
	ingress := ""
	for _, o := range objs {
		gvk := o.GroupVersionKind()
		if !slices.Contains(kinds, gvk) {
			kinds = append(kinds, gvk)
		}
		if gvk.Kind == "Ingress" {
			ingress = o.GetName()
		}
	}
	if ingress == "" {
		return fmt.Errorf("release %s has no Ingress for the global name", in.Name)
	}
	if err := c.Apply(ctx, placement(in.Release, kinds, f.ClusterSelector), fieldOwner, client.ForceOwnership); err != nil {
		return fmt.Errorf("failed to apply ClusterPlacement %s: %w", PlacementName(in.Release), err)
	}
	if err := c.Apply(ctx, globalIngress(in.Release, ingress, f), fieldOwner, client.ForceOwnership); err != nil {
		return fmt.Errorf("failed to apply GlobalIngress %s/%s: %w", in.Namespace, in.Name, err)
	}
	if !in.Wait && !in.RollbackOnFailure {
		return nil
	}
	err = waitFleet(ctx, c, f, in.Release, rel.Version, in.Timeout)
	if err == nil || !in.RollbackOnFailure {
		return err
	}
	return errors.Join(err, in.rollbackFleet(ctx, cfg, kubeconfig, c, rel.Version))
}

// rollbackFleet undoes a fleet-wide revision whose clusters did not become ready: the release
// in the fleet API goes back to the revision before, which the placement then brings to the
// clusters, or, for a first install, is uninstalled with its data kept.
func (in Install) rollbackFleet(ctx context.Context, cfg *action.Configuration, kubeconfig []byte, c client.Client, revision int) error {
	report := in.helmOptions(nil, false).report
	if revision <= 1 {
		if err := UninstallFromFleet(ctx, kubeconfig, c, in.Release, true, in.Timeout); err != nil {
			return fmt.Errorf("failed to uninstall the failed first install: %w", err)
		}
		report(fmt.Sprintf("Rolled back: the first install of release %s was uninstalled (its data claims are kept).", in.Name))
		return nil
	}
	rb := action.NewRollback(cfg)
	rb.WaitStrategy, rb.Timeout = kube.HookOnlyStrategy, in.Timeout
	if err := rb.Run(in.Name); err != nil {
		return fmt.Errorf("failed to roll release %s back: %w", in.Name, err)
	}
	report(fmt.Sprintf("Rolled back: release %s is at revision %d's values again, which the placement brings back to the clusters.", in.Name, revision-1))
	return nil
}

// fleetPoll is how often a fleet-wide wait reads the clusters.
const fleetPoll = 2 * time.Second

// waitFleet waits until the release runs Ready at the given revision in every Ready cluster the
// selector picks, and fails after timeout with each cluster that is not.
func waitFleet(ctx context.Context, c client.Client, f Fleet, r Release, revision int, timeout time.Duration) error {
	if f.Kubeconfigs == nil {
		return errors.New("waiting for a fleet-wide install needs the member clusters' kubeconfigs")
	}
	selector := labels.Everything()
	if f.ClusterSelector != nil {
		var err error
		if selector, err = metav1.LabelSelectorAsSelector(f.ClusterSelector); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var waiting []string
	for {
		clusters := &n6sv1alpha1.ClusterList{}
		err := c.List(ctx, clusters, client.MatchingLabelsSelector{Selector: selector})
		var statuses []ClusterStatus
		if err == nil {
			statuses, err = Status(ctx, c, f.Kubeconfigs, r)
		}
		if err == nil {
			waiting = notReady(clusters.Items, statuses, revision)
			if len(waiting) == 0 {
				return nil
			}
		} else {
			waiting = []string{err.Error()}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the Fn release %s is not ready after %s: %s", r.Name, timeout, strings.Join(waiting, "; "))
		case <-time.After(fleetPoll):
		}
	}
}

// notReady says, for each Ready cluster, why the release is not ready there at revision.
func notReady(clusters []n6sv1alpha1.Cluster, statuses []ClusterStatus, revision int) []string {
	var out []string
	for _, cl := range clusters {
		if cl.Status.Phase != n6sv1alpha1.ClusterPhaseReady {
			continue
		}
		i := slices.IndexFunc(statuses, func(s ClusterStatus) bool { return s.Cluster == cl.Name })
		switch {
		case i < 0:
			out = append(out, "cluster "+cl.Name+": no workload yet")
		case !statuses[i].Ready():
			out = append(out, "cluster "+cl.Name+": "+statuses[i].Summary())
		case statuses[i].Revision() < revision:
			out = append(out, fmt.Sprintf("cluster %s: revision %d, not yet %d", cl.Name, statuses[i].Revision(), revision))
		}
	}
	return out
}

// fleetValues are the values of a fleet-wide install or upgrade, as `helm upgrade` would take
// them: the given ones, or the last release's when none are given, or both merged with
// ReuseValues; the given ones alone with ResetValues or on a first install.
func (in Install) fleetValues(cfg *action.Configuration) (map[string]any, error) {
	history, err := releaseHistory(cfg, in.Name)
	if err != nil || len(history) == 0 || in.ResetValues {
		return in.Values, err
	}
	last := history[len(history)-1].Config
	switch {
	case in.ReuseValues:
		return util.CoalesceTables(maps.Clone(in.Values), last), nil
	case len(in.Values) == 0:
		return last, nil
	}
	return in.Values, nil
}

// separateDatastore names the datastore of values when every cluster would have its own:
// sqlite (the default) or the bundled MySQL; empty for a shared one.
func separateDatastore(values map[string]any) string {
	datastore, _ := values["datastore"].(map[string]any)
	mysql, _ := values["mysql"].(map[string]any)
	switch kind, _ := datastore["type"].(string); {
	case kind == "" || kind == "sqlite":
		return "sqlite"
	case mysql["enabled"] == true:
		return "the bundled MySQL"
	}
	return ""
}

// withIngress turns on the chart's Ingress for the global name, keeping the user's other
// Ingress values.
func withIngress(values map[string]any, host string) map[string]any {
	out := map[string]any{}
	for k, v := range values {
		out[k] = v
	}
	ing := map[string]any{}
	if user, ok := values["ingress"].(map[string]any); ok {
		for k, v := range user {
			ing[k] = v
		}
	}
	ing["enabled"] = true
	ing["hosts"] = []any{host}
	out["ingress"] = ing
	return out
}

// placement duplicates every kind of the release, in its namespace, to the selected clusters.
func placement(r Release, kinds []schema.GroupVersionKind, clusters *metav1.LabelSelector) runtime.ApplyConfiguration {
	mine := &metav1.LabelSelector{MatchLabels: map[string]string{InstanceLabel: r.Name}}
	p := &n6sv1alpha1.ClusterPlacement{
		TypeMeta:   metav1.TypeMeta{APIVersion: n6sv1alpha1.GroupVersion.String(), Kind: "ClusterPlacement"},
		ObjectMeta: metav1.ObjectMeta{Name: PlacementName(r), Labels: map[string]string{InstanceLabel: r.Name}},
		Spec: n6sv1alpha1.PlacementSpec{
			Replicas: &n6sv1alpha1.ReplicaScheduling{Mode: n6sv1alpha1.ReplicaModeDuplicated},
		},
	}
	for _, k := range kinds {
		apiVersion, kind := k.ToAPIVersionAndKind()
		p.Spec.ResourceSelectors = append(p.Spec.ResourceSelectors, n6sv1alpha1.ResourceSelector{
			APIVersion: apiVersion, Kind: kind, Namespace: r.Namespace, LabelSelector: mine,
		})
	}
	if clusters != nil && (len(clusters.MatchLabels) > 0 || len(clusters.MatchExpressions) > 0) {
		p.Spec.ClusterAffinity = &n6sv1alpha1.ClusterAffinity{ClusterSelector: clusters}
	}
	return applyConfiguration(p)
}

// globalIngress answers the global name with the Ingress address of every cluster.
func globalIngress(r Release, ingress string, f Fleet) runtime.ApplyConfiguration {
	gi := &n6sv1alpha1.GlobalIngress{
		TypeMeta:   metav1.TypeMeta{APIVersion: n6sv1alpha1.GroupVersion.String(), Kind: "GlobalIngress"},
		ObjectMeta: metav1.ObjectMeta{Namespace: r.Namespace, Name: r.Name, Labels: map[string]string{InstanceLabel: r.Name}},
		Spec: n6sv1alpha1.GlobalIngressSpec{
			Hosts:   []string{f.GlobalName},
			Zone:    f.Zone,
			Backend: n6sv1alpha1.GlobalIngressBackend{IngressName: ingress},
		},
	}
	return applyConfiguration(gi)
}

func applyConfiguration(obj client.Object) runtime.ApplyConfiguration {
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		panic(fmt.Sprintf("a %T does not convert: %v", obj, err)) // our own types always convert
	}
	delete(u, "status")
	unstructured.RemoveNestedField(u, "metadata", "creationTimestamp")
	return client.ApplyConfigurationFromUnstructured(&unstructured.Unstructured{Object: u})
}

// WorkloadStatus is one Deployment or StatefulSet of a release in one cluster.
type WorkloadStatus struct {
	Kind, Name     string
	Ready, Desired int32
	// Revision is the release revision that last wrote the workload (RevisionLabel).
	Revision int
}

// RevisionLabel carries, on every object of the Fn chart, the release revision that wrote it.
const RevisionLabel = "fn.n6s.io/release-revision"

// Revision is the oldest release revision among the cluster's workloads: the revision the
// cluster has all of.
func (s ClusterStatus) Revision() int {
	oldest := 0
	for i, w := range s.Workloads {
		if i == 0 || w.Revision < oldest {
			oldest = w.Revision
		}
	}
	return oldest
}

// ClusterStatus is a release in one member cluster.
type ClusterStatus struct {
	Cluster   string
	Workloads []WorkloadStatus
	// Err says why the cluster could not be read.
	Err error
}

// Ready says whether every workload of the release in the cluster is ready.
func (s ClusterStatus) Ready() bool {
	if s.Err != nil || len(s.Workloads) == 0 {
		return false
	}
	for _, w := range s.Workloads {
		if w.Ready < w.Desired {
			return false
		}
	}
	return true
}

// Summary is one line about the workloads, e.g. "api 1/1, lb 2/2, runner 2/2".
func (s ClusterStatus) Summary() string {
	if s.Err != nil {
		return s.Err.Error()
	}
	var parts []string
	for _, w := range s.Workloads {
		parts = append(parts, fmt.Sprintf("%s %d/%d", w.Name, w.Ready, w.Desired))
	}
	return strings.Join(parts, ", ")
}

// Kubeconfigs gives the kubeconfig of a member cluster by name.
type Kubeconfigs func(ctx context.Context, cluster string) ([]byte, error)

// Status reads the release's workloads in every Ready member cluster that has them.
func Status(ctx context.Context, fleet client.Client, kubeconfigs Kubeconfigs, r Release) ([]ClusterStatus, error) {
	clusters := &n6sv1alpha1.ClusterList{}
	if err := fleet.List(ctx, clusters); err != nil {
		return nil, fmt.Errorf("failed to list the clusters: %w", err)
	}
	var out []ClusterStatus
	for _, cl := range clusters.Items {
		if cl.Status.Phase != n6sv1alpha1.ClusterPhaseReady {
			continue
		}
		s := ClusterStatus{Cluster: cl.Name}
		kc, err := kubeconfigs(ctx, cl.Name)
		var mc client.Client
		if err == nil {
			mc, err = memberClient(kc)
		}
		if err == nil {
			s.Workloads, err = workloads(ctx, mc, r)
		}
		if err != nil {
			s.Err = fmt.Errorf("cannot read cluster %s: %w", cl.Name, err)
		} else if len(s.Workloads) == 0 {
			continue
		}
		out = append(out, s)
	}
	return out, nil
}

// memberClient is a plain client of the cluster of a kubeconfig, for the built-in kinds.
func memberClient(kubeconfigData []byte) (client.Client, error) {
	cfg, err := kubeconfig.Policy{}.RESTConfig(kubeconfigData)
	if err != nil {
		return nil, err
	}
	cfg.Timeout = 10 * time.Second
	return client.New(cfg, client.Options{})
}

// workloads lists the Deployments and StatefulSets of a release, named by component.
func workloads(ctx context.Context, c client.Client, r Release) ([]WorkloadStatus, error) {
	sel := client.MatchingLabels{InstanceLabel: r.Name}
	deployments := &appsv1.DeploymentList{}
	if err := c.List(ctx, deployments, client.InNamespace(r.Namespace), sel); err != nil {
		return nil, err
	}
	statefulSets := &appsv1.StatefulSetList{}
	if err := c.List(ctx, statefulSets, client.InNamespace(r.Namespace), sel); err != nil {
		return nil, err
	}
	var out []WorkloadStatus
	for _, d := range deployments.Items {
		ready := d.Status.ReadyReplicas
		if d.Status.ObservedGeneration < d.Generation {
			ready = 0 // the status is of an older spec
		}
		out = append(out, WorkloadStatus{Kind: "Deployment", Name: component(d.ObjectMeta), Ready: ready, Desired: ptr.Deref(d.Spec.Replicas, 1),
			Revision: revisionOf(d.ObjectMeta)})
	}
	for _, s := range statefulSets.Items {
		// Pods of an older spec are not counted.
		ready := min(s.Status.ReadyReplicas, s.Status.UpdatedReplicas)
		if s.Status.ObservedGeneration < s.Generation {
			ready = 0
		}
		out = append(out, WorkloadStatus{Kind: "StatefulSet", Name: component(s.ObjectMeta), Ready: ready, Desired: ptr.Deref(s.Spec.Replicas, 1),
			Revision: revisionOf(s.ObjectMeta)})
	}
	slices.SortFunc(out, func(a, b WorkloadStatus) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

func revisionOf(m metav1.ObjectMeta) int {
	n, _ := strconv.Atoi(m.Labels[RevisionLabel])
	return n
}

func component(m metav1.ObjectMeta) string {
	if c := m.Labels["app.kubernetes.io/component"]; c != "" {
		return c
	}
	return m.Name
}

// UninstallFromCluster removes the release from a member cluster, and its data claims unless keepData.
func UninstallFromCluster(ctx context.Context, kubeconfig []byte, r Release, keepData bool, timeout time.Duration) error {
	cfg, err := helmConfig(kubeconfig, r.Namespace)
	if err != nil {
		return err
	}
	member, err := memberClient(kubeconfig)
	if err != nil {
		return err
	}
	if err := uninstall(cfg, r.Name, timeout); err != nil {
		return err
	}
	// Helm leaves the pods of failed tests, for their logs; they go with the release.
	err = member.DeleteAllOf(ctx, &corev1.Pod{}, client.InNamespace(r.Namespace),
		client.MatchingLabels{InstanceLabel: r.Name, "app.kubernetes.io/component": "test"})
	if err != nil {
		return fmt.Errorf("failed to delete the test pods of release %s: %w", r.Name, err)
	}
	if keepData {
		return nil
	}
	return deleteClaims(ctx, member, r)
}

// UninstallFromFleet removes a fleet-wide release: the GlobalIngress, the release in the
// fleet API (the placement then removes its objects from the clusters), its data claims unless
// keepData, and the ClusterPlacement; with keepData the placement stays, narrowed to the claims.
func UninstallFromFleet(ctx context.Context, kubeconfig []byte, c client.Client, r Release, keepData bool, timeout time.Duration) error {
	gi := &n6sv1alpha1.GlobalIngress{ObjectMeta: metav1.ObjectMeta{Namespace: r.Namespace, Name: r.Name}}
	if err := c.Delete(ctx, gi); client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("failed to delete GlobalIngress %s/%s: %w", r.Namespace, r.Name, err)
	}
	cfg, err := helmConfig(kubeconfig, r.Namespace)
	if err != nil {
		return err
	}
	if err := uninstall(cfg, r.Name, timeout); err != nil {
		return err
	}
	if keepData {
		claims := []schema.GroupVersionKind{corev1.SchemeGroupVersion.WithKind("PersistentVolumeClaim")}
		p := &n6sv1alpha1.ClusterPlacement{}
		if err := c.Get(ctx, client.ObjectKey{Name: PlacementName(r)}, p); err != nil {
			return client.IgnoreNotFound(err)
		}
		var selector *metav1.LabelSelector
		if p.Spec.ClusterAffinity != nil {
			selector = p.Spec.ClusterAffinity.ClusterSelector
		}
		return c.Apply(ctx, placement(r, claims, selector), fieldOwner, client.ForceOwnership)
	}
	if err := deleteClaims(ctx, c, r); err != nil {
		return err
	}
	p := &n6sv1alpha1.ClusterPlacement{ObjectMeta: metav1.ObjectMeta{Name: PlacementName(r)}}
	if err := c.Delete(ctx, p); client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("failed to delete ClusterPlacement %s: %w", p.Name, err)
	}
	return nil
}

// deleteClaims deletes the release's PersistentVolumeClaims, which the chart keeps on uninstall.
func deleteClaims(ctx context.Context, c client.Client, r Release) error {
	err := c.DeleteAllOf(ctx, &corev1.PersistentVolumeClaim{}, client.InNamespace(r.Namespace), client.MatchingLabels{InstanceLabel: r.Name})
	if err != nil {
		return fmt.Errorf("failed to delete the data claims of release %s: %w", r.Name, err)
	}
	return nil
}
