package globalingress

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/dns"
	"github.com/navarkos/navarkos/internal/member"
)

// ingressPorts are the ports an Ingress serves, HTTP and HTTPS: the only ones its probes may ask for.
var ingressPorts = []int32{80, 443}

// Reconciler publishes each GlobalIngress's hosts with the addresses of its backend in the
// member clusters that serve it, checked every health interval.
type Reconciler struct {
	// Client reads and writes the fleet API.
	Client client.Client
	// Members gives clients of the member clusters.
	Members *member.Clients
	// Registry receives the hosts to publish.
	Registry *dns.Registry
	// PublishDNSEndpoints also writes an ExternalDNS DNSEndpoint per host.
	PublishDNSEndpoints bool
	// RFC2136, when set, also publishes the hosts inside its zone to an external server.
	RFC2136 *dns.RFC2136
	// Probe checks a target's address; nil skips the optional probes.
	Probe func(ctx context.Context, p *n6sv1alpha1.HealthProbe, host string, addr netip.Addr, port int32) error

	failures probeFailures
}

// probeFailures counts each target's probe failures in a row, by GlobalIngress and cluster.
// Reconciles may run at once, so it is locked.
type probeFailures struct {
	mu sync.Mutex
	n  map[string]int32
}

// failed counts one more failure of key and returns how many in a row.
func (f *probeFailures) failed(key string) int32 {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n == nil {
		f.n = map[string]int32{}
	}
	f.n[key]++
	return f.n[key]
}

// passed ends key's run of failures.
func (f *probeFailures) passed(key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.n, key)
}

// forget drops the counts of every target of the GlobalIngress owner.
func (f *probeFailures) forget(owner string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for key := range f.n {
		if strings.HasPrefix(key, owner+"/") {
			delete(f.n, key)
		}
	}
}

// SetupWithManager runs the controller on GlobalIngresses, and on the Bindings and Clusters they depend on.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	if r.Client == nil || r.Members == nil || r.Registry == nil {
		return errors.New("globalingress reconciler needs a Client, Members and a Registry")
	}
	return ctrl.NewControllerManagedBy(mgr).
		For(&n6sv1alpha1.GlobalIngress{}).
		Watches(&n6sv1alpha1.GlobalIngress{}, handler.EnqueueRequestsFromMapFunc(r.sharingHosts)).
		Watches(&n6sv1alpha1.ResourceBinding{}, handler.EnqueueRequestsFromMapFunc(r.ofBinding)).
		// Only a change of health or labels matters; heartbeats need not recheck every host.
		Watches(&n6sv1alpha1.Cluster{}, handler.EnqueueRequestsFromMapFunc(r.all), builder.WithPredicates(healthOrLabelsChanged())).
		Watches(&corev1.Namespace{}, handler.EnqueueRequestsFromMapFunc(r.inNamespace), builder.WithPredicates(zonesChanged())).
		Named("globalingress").
		Complete(r)
}

// Reconcile observes the backend in every cluster that serves it and publishes the answers.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	gi := &n6sv1alpha1.GlobalIngress{}
	if err := r.Client.Get(ctx, req.NamespacedName, gi); err != nil {
		if client.IgnoreNotFound(err) == nil {
			return ctrl.Result{}, r.forget(ctx, req.String())
		}
		return ctrl.Result{}, err
	}
	if !gi.DeletionTimestamp.IsZero() {
		r.adoptPublished(req.String(), gi)
		if err := r.forget(ctx, req.String()); err != nil {
			return ctrl.Result{}, err
		}
		if controllerutil.RemoveFinalizer(gi, n6sv1alpha1.GlobalIngressFinalizer) {
			return ctrl.Result{}, client.IgnoreNotFound(r.Client.Update(ctx, gi))
		}
		return ctrl.Result{}, nil
	}
	if controllerutil.AddFinalizer(gi, n6sv1alpha1.GlobalIngressFinalizer) {
		if err := r.Client.Update(ctx, gi); err != nil {
			return ctrl.Result{}, fmt.Errorf("failed to add the finalizer of GlobalIngress %s: %w", req, err)
		}
	}
	// After a restart, the names published before come from the status, so that a host
	// removed while the controllers were down is removed from the external server too.
	r.adoptPublished(req.String(), gi)
	if reason, message, err := r.zoneRefusal(ctx, gi); err != nil || reason != "" {
		if err != nil {
			return ctrl.Result{}, err
		}
		if err := r.forget(ctx, req.String()); err != nil {
			return ctrl.Result{}, err
		}
		if r.PublishDNSEndpoints {
			if err := r.pruneEndpoints(ctx, gi, nil); err != nil {
				return ctrl.Result{}, err
			}
		}
		// A change of spec, or of the namespace's zones, brings it back.
		return ctrl.Result{}, r.writeRefusal(ctx, gi, reason, message)
	}
	taken, err := r.claimedElsewhere(ctx, gi)
	if err != nil {
		return ctrl.Result{}, err
	}
	reserved := r.reservedHosts(gi)
	targets, reason, err := r.observe(ctx, gi)
	if err != nil {
		return ctrl.Result{}, err
	}
	answered := dnsTargets(targets)
	held := withoutHosts(gi, reserved, taken)
	r.Registry.Set(req.String(), zoneOf(gi), hostsOf(held, answered))
	var publishErr error
	if r.PublishDNSEndpoints {
		publishErr = r.publishEndpoints(ctx, held, answered)
	}
	if r.RFC2136 != nil {
		publishErr = errors.Join(publishErr, r.publishRFC2136(ctx, req.String(), held, answered))
	}
	if err := r.writeStatus(ctx, gi, targets, reason, withheldHosts(reserved, taken), publishErr); err != nil {
		return ctrl.Result{}, err
	}
	if publishErr != nil {
		return ctrl.Result{}, publishErr // retried with backoff; the condition says why
	}
	after := interval(gi)
	if slices.ContainsFunc(targets, func(t target) bool { return t.settling }) {
		after = min(after, settlingRecheck)
	}
	return ctrl.Result{RequeueAfter: after}, nil
}

// adoptPublished tells the RFC 2136 publisher which names the GlobalIngress published
// before, as its status and spec record them.
func (r *Reconciler) adoptPublished(owner string, gi *n6sv1alpha1.GlobalIngress) {
	if r.RFC2136 == nil {
		return
	}
	var names []string
	for _, h := range gi.Status.Hosts {
		if _, ok := r.RFC2136.ZoneOf(h.Host); ok {
			names = append(names, h.Host)
		}
	}
	if !gi.DeletionTimestamp.IsZero() {
		for _, h := range gi.Spec.Hosts {
			if _, ok := r.RFC2136.ZoneOf(h); ok {
				names = append(names, h)
			}
		}
	}
	r.RFC2136.Adopt(owner, names)
}

// forget unpublishes a GlobalIngress that is gone.
func (r *Reconciler) forget(ctx context.Context, owner string) error {
	r.Registry.Remove(owner)
	r.failures.forget(owner)
	if r.RFC2136 != nil {
		return r.RFC2136.Remove(ctx, owner)
	}
	return nil
}

// publishRFC2136 sends the hosts inside the external zone, with every answered address.
func (r *Reconciler) publishRFC2136(ctx context.Context, owner string, gi *n6sv1alpha1.GlobalIngress, targets []dns.Target) error {
	hosts := map[string][]netip.Addr{}
	for _, h := range gi.Spec.Hosts {
		if _, ok := r.RFC2136.ZoneOf(h); ok {
			hosts[h] = dns.Select(targets, dns.Policy{Strategy: dns.RoundRobin}, nil, "", 0)
		}
	}
	return r.RFC2136.Sync(ctx, owner, hosts, uint32(max(gi.Spec.TTL, 1)))
}

// target is one cluster's addresses for the backend, and why it is healthy or not.
type target struct {
	n6sv1alpha1.TargetStatus
	addrs []netip.Addr
	// port is the backend's first port, which a probe without a port uses; ports are all the
	// ports it serves, the only ones a probe may ask for.
	port  int32
	ports []int32
	// settling: the backend is not yet in the cluster, has no address or no ready endpoint yet
	// (a reachable, healthy cluster where pods are starting); nothing
	// watched here announces when it has, so it is looked at again soon.
	settling bool
}

// observe reads, for every cluster the backend is bound to, the backend's addresses and
// ready endpoints there. reason is set when there is nothing to observe.
func (r *Reconciler) observe(ctx context.Context, gi *n6sv1alpha1.GlobalIngress) ([]target, string, error) {
	kind, name := "Service", gi.Spec.Backend.ServiceName
	if name == "" {
		kind, name = "Ingress", gi.Spec.Backend.IngressName
	}
	b := &n6sv1alpha1.ResourceBinding{}
	if err := r.Client.Get(ctx, client.ObjectKey{Namespace: gi.Namespace, Name: n6sv1alpha1.BindingName(kind, name)}, b); err != nil {
		if client.IgnoreNotFound(err) == nil {
			return nil, fmt.Sprintf("no Placement places %s %s", kind, name), nil
		}
		return nil, "", fmt.Errorf("failed to get the ResourceBinding of %s %s: %w", kind, name, err)
	}
	var out []target
	for _, tc := range b.Spec.Clusters {
		out = append(out, r.observeCluster(ctx, gi, kind, name, tc.Name))
	}
	slices.SortFunc(out, func(a, b target) int { return strings.Compare(a.Cluster, b.Cluster) })
	return out, "", nil
}

// memberFacts is what one cluster shows of a GlobalIngress's backend.
type memberFacts struct {
	cluster *n6sv1alpha1.Cluster
	// problem, when set, says why nothing more could be read; missing is true when it is
	// because the backend is not in the cluster yet.
	problem string
	missing bool
	// ingress are the backend's load-balancer addresses, port its first port, ports all of them.
	ingress []corev1.LoadBalancerIngress
	port    int32
	ports   []int32
	// ready counts the ready endpoints; notReady names, for an Ingress, a Service without any.
	ready    int
	notReady string
}

// observeCluster reads what one cluster shows of the backend, judges it, and probes it when
// the GlobalIngress asks for a probe.
func (r *Reconciler) observeCluster(ctx context.Context, gi *n6sv1alpha1.GlobalIngress, kind, name, cluster string) target {
	// A member that stopped answering must not hold up the answers for the others.
	ctx, cancel := context.WithTimeout(ctx, memberTimeout)
	defer cancel()
	t := judge(gi, cluster, r.readMember(ctx, gi.Namespace, kind, name, cluster))
	if !t.Healthy {
		return t
	}
	if reason, ok := r.probe(ctx, gi, &t); !ok {
		t.Healthy, t.Reason = false, reason
	}
	return t
}

// readMember reads the cluster, and in it the backend and its ready endpoints.
func (r *Reconciler) readMember(ctx context.Context, namespace, kind, name, cluster string) memberFacts {
	f := memberFacts{cluster: &n6sv1alpha1.Cluster{}}
	if err := r.Client.Get(ctx, client.ObjectKey{Name: cluster}, f.cluster); err != nil {
		f.cluster, f.problem = nil, "the Cluster is gone"
		return f
	}
	if !meta.IsStatusConditionTrue(f.cluster.Status.Conditions, n6sv1alpha1.ClusterHealthyCondition) {
		f.problem = "the cluster is not healthy"
		return f
	}
	mc, err := r.Members.ForCluster(ctx, f.cluster)
	if err != nil {
		f.problem = "no client of the cluster: " + err.Error()
		return f
	}
	key := client.ObjectKey{Namespace: namespace, Name: name}
	if kind == "Service" {
		svc := &corev1.Service{}
		if err := mc.Get(ctx, key, svc); err != nil {
			f.problem, f.missing = "the Service is not in the cluster: "+err.Error(), apierrors.IsNotFound(err)
			return f
		}
		f.ingress = svc.Status.LoadBalancer.Ingress
		for _, p := range svc.Spec.Ports {
			f.ports = append(f.ports, p.Port)
		}
		if len(f.ports) > 0 {
			f.port = f.ports[0]
		}
		if f.ready, err = readyEndpoints(ctx, mc, key); err != nil {
			f.problem = "cannot read the EndpointSlices: " + err.Error()
		}
		return f
	}
	ing := &networkingv1.Ingress{}
	if err := mc.Get(ctx, key, ing); err != nil {
		f.problem, f.missing = "the Ingress is not in the cluster: "+err.Error(), apierrors.IsNotFound(err)
		return f
	}
	for _, i := range ing.Status.LoadBalancer.Ingress {
		f.ingress = append(f.ingress, corev1.LoadBalancerIngress{IP: i.IP, Hostname: i.Hostname})
	}
	f.port, f.ports = 80, ingressPorts
	if f.ready, f.notReady, err = ingressReadyEndpoints(ctx, mc, ing); err != nil {
		f.problem = "cannot read the EndpointSlices: " + err.Error()
	}
	return f
}

// judge turns what a cluster shows into its target: its addresses, weight, health and why.
// A healthy target may still fail its probe.
func judge(gi *n6sv1alpha1.GlobalIngress, cluster string, f memberFacts) target {
	t := target{TargetStatus: n6sv1alpha1.TargetStatus{Cluster: cluster}}
	if f.cluster != nil {
		t.Region = f.cluster.Labels[n6sv1alpha1.RegionLabel]
	}
	if f.problem != "" {
		t.Reason, t.settling = f.problem, f.missing
		return t
	}
	t.port, t.ports = f.port, f.ports
	for _, i := range f.ingress {
		if a, err := netip.ParseAddr(i.IP); err == nil {
			t.addrs = append(t.addrs, a)
			t.Addresses = append(t.Addresses, a.String())
		}
	}
	t.Weight = int32(f.ready)
	switch {
	case len(t.addrs) == 0:
		t.Reason, t.settling = "no load-balancer address yet", true
	case f.ready == 0 && f.notReady != "":
		t.Reason, t.settling = "no ready endpoint behind Service "+f.notReady, true
	case f.ready == 0:
		t.Reason, t.settling = "no ready endpoint", true
	default:
		t.Healthy, t.Reason = true, fmt.Sprintf("%d ready endpoints", f.ready)
	}
	if gi.Spec.Strategy.WeightSource == n6sv1alpha1.WeightExplicit {
		t.Weight = explicitWeight(gi.Spec.Strategy.Weights, t.Cluster)
	}
	return t
}

// probe runs the optional probe on a target's first address; it fails a target only after
// failureThreshold failures in a row.
func (r *Reconciler) probe(ctx context.Context, gi *n6sv1alpha1.GlobalIngress, t *target) (string, bool) {
	p := gi.Spec.HealthCheck.Probe
	if p == nil || r.Probe == nil {
		return "", true
	}
	key := gi.Namespace + "/" + gi.Name + "/" + t.Cluster
	port := p.Port
	if port == 0 {
		port = t.port
	}
	// Only the backend's own ports: any other port of its address (another service on the
	// same host, the node, the control plane) is none of the GlobalIngress's business, and its
	// answer would land in the tenant's status.
	if !slices.Contains(t.ports, port) {
		return fmt.Sprintf("probe port %d is not a port of the backend (ports %v); nothing is probed", port, t.ports), false
	}
	if err := r.Probe(ctx, p, strings.TrimSuffix(gi.Spec.Hosts[0], "."), t.addrs[0], port); err != nil {
		if r.failures.failed(key) >= max(p.FailureThreshold, 1) {
			return "probe failed: " + err.Error(), false
		}
		return "", true
	}
	r.failures.passed(key)
	return "", true
}

// readyEndpoints counts the ready endpoints of a Service in a member.
func readyEndpoints(ctx context.Context, c client.Reader, svc client.ObjectKey) (int, error) {
	list := &discoveryv1.EndpointSliceList{}
	if err := c.List(ctx, list, client.InNamespace(svc.Namespace), client.MatchingLabels{discoveryv1.LabelServiceName: svc.Name}); err != nil {
		return 0, err
	}
	n := 0
	for _, s := range list.Items {
		for _, e := range s.Endpoints {
			if e.Conditions.Ready == nil || *e.Conditions.Ready {
				n++
			}
		}
	}
	return n, nil
}

// ingressReadyEndpoints is, for the Services an Ingress routes to, the fewest ready
// endpoints any of them has, and the first that has none: an application behind an Ingress
// serves only when every path has somewhere to go. An Ingress without Service backends
// stands for itself: 1.
func ingressReadyEndpoints(ctx context.Context, c client.Reader, ing *networkingv1.Ingress) (ready int, empty string, err error) {
	var services []string
	add := func(b *networkingv1.IngressBackend) {
		if b != nil && b.Service != nil && !slices.Contains(services, b.Service.Name) {
			services = append(services, b.Service.Name)
		}
	}
	add(ing.Spec.DefaultBackend)
	for _, rule := range ing.Spec.Rules {
		if rule.HTTP == nil {
			continue
		}
		for i := range rule.HTTP.Paths {
			add(&rule.HTTP.Paths[i].Backend)
		}
	}
	if len(services) == 0 {
		return 1, "", nil
	}
	ready = -1
	for _, svc := range services {
		n, err := readyEndpoints(ctx, c, client.ObjectKey{Namespace: ing.Namespace, Name: svc})
		if err != nil {
			return 0, "", err
		}
		if n == 0 && empty == "" {
			empty = svc
		}
		if ready < 0 || n < ready {
			ready = n
		}
	}
	return ready, empty, nil
}

func explicitWeight(weights []n6sv1alpha1.TargetWeight, cluster string) int32 {
	for _, w := range weights {
		if slices.Contains(w.ClusterNames, cluster) {
			return w.Weight
		}
	}
	return 0
}

// hostsOf is what the DNS server answers for each host of a GlobalIngress.
func hostsOf(gi *n6sv1alpha1.GlobalIngress, targets []dns.Target) map[string]dns.Host {
	policy := dns.Policy{Strategy: dns.Strategy(gi.Spec.Strategy.Type), FailoverRegions: gi.Spec.Strategy.FailoverRegions}
	if policy.Strategy == "" {
		policy.Strategy = dns.RoundRobin
	}
	hosts := map[string]dns.Host{}
	for _, h := range gi.Spec.Hosts {
		hosts[h] = dns.Host{Targets: targets, Policy: policy, TTL: uint32(max(gi.Spec.TTL, 1))}
	}
	return hosts
}

func dnsTargets(ts []target) []dns.Target {
	out := make([]dns.Target, 0, len(ts))
	for _, t := range ts {
		out = append(out, dns.Target{Cluster: t.Cluster, Region: t.Region, Addresses: t.addrs, Healthy: t.Healthy, Weight: int64(t.Weight)})
	}
	return out
}

// writeStatus records each host's targets and the Ready condition.
func (r *Reconciler) writeStatus(ctx context.Context, gi *n6sv1alpha1.GlobalIngress, targets []target, reason string, withheld *refusal, publishErr error) error {
	before := gi.DeepCopy()
	var statuses []n6sv1alpha1.TargetStatus
	healthy := 0
	for _, t := range targets {
		statuses = append(statuses, t.TargetStatus)
		if t.Healthy {
			healthy++
		}
	}
	gi.Status.Hosts = nil
	for _, h := range gi.Spec.Hosts {
		gi.Status.Hosts = append(gi.Status.Hosts, n6sv1alpha1.HostStatus{Host: h, Targets: statuses})
	}
	cond := metav1.Condition{Type: n6sv1alpha1.GlobalIngressReadyCondition, ObservedGeneration: gi.Generation}
	switch {
	case withheld != nil:
		cond.Status, cond.Reason, cond.Message = metav1.ConditionFalse, withheld.reason, withheld.message
	case reason != "":
		cond.Status, cond.Reason, cond.Message = metav1.ConditionFalse, n6sv1alpha1.GlobalIngressBackendNotPlacedReason, reason
	case healthy == 0:
		cond.Status, cond.Reason = metav1.ConditionFalse, n6sv1alpha1.GlobalIngressNoHealthyTargetsReason
		cond.Message = fmt.Sprintf("none of %d targets is healthy; every target is answered until one is", len(targets))
	default:
		cond.Status, cond.Reason = metav1.ConditionTrue, n6sv1alpha1.GlobalIngressPublishedReason
		cond.Message = fmt.Sprintf("%d of %d targets healthy", healthy, len(targets))
	}
	meta.SetStatusCondition(&gi.Status.Conditions, cond)
	published := metav1.Condition{Type: n6sv1alpha1.GlobalIngressPublishedCondition, ObservedGeneration: gi.Generation,
		Status: metav1.ConditionTrue, Reason: n6sv1alpha1.GlobalIngressPublishedReason, Message: "published by every enabled publisher"}
	if publishErr != nil {
		published.Status, published.Reason, published.Message = metav1.ConditionFalse, n6sv1alpha1.GlobalIngressPublisherFailedReason, publishErr.Error()
	}
	meta.SetStatusCondition(&gi.Status.Conditions, published)
	return r.patchStatus(ctx, gi, before)
}

// writeRefusal records that nothing of the GlobalIngress is published, and why.
func (r *Reconciler) writeRefusal(ctx context.Context, gi *n6sv1alpha1.GlobalIngress, reason, message string) error {
	before := gi.DeepCopy()
	gi.Status.Hosts = nil
	for _, typ := range []string{n6sv1alpha1.GlobalIngressReadyCondition, n6sv1alpha1.GlobalIngressPublishedCondition} {
		meta.SetStatusCondition(&gi.Status.Conditions, metav1.Condition{
			Type: typ, Status: metav1.ConditionFalse, Reason: reason, Message: message, ObservedGeneration: gi.Generation,
		})
	}
	return r.patchStatus(ctx, gi, before)
}

// patchStatus writes the status, observed at this generation, when it changed.
func (r *Reconciler) patchStatus(ctx context.Context, gi, before *n6sv1alpha1.GlobalIngress) error {
	gi.Status.ObservedGeneration = gi.Generation
	_, malformed := gi.Spec.HealthCheck.IntervalOr(DefaultHealthInterval)
	n6sv1alpha1.SetSpecValidity(&gi.Status.Conditions, gi.Generation, malformed)
	if equality.Semantic.DeepEqual(before.Status, gi.Status) {
		return nil
	}
	if err := r.Client.Status().Patch(ctx, gi, client.MergeFrom(before)); err != nil {
		return fmt.Errorf("failed to patch the status of GlobalIngress %s/%s: %w", gi.Namespace, gi.Name, err)
	}
	return nil
}

func (r *Reconciler) ofBinding(ctx context.Context, o client.Object) []reconcile.Request {
	b := o.(*n6sv1alpha1.ResourceBinding)
	list := &n6sv1alpha1.GlobalIngressList{}
	if err := r.Client.List(ctx, list, client.InNamespace(b.Namespace)); err != nil {
		return nil
	}
	var out []reconcile.Request
	for _, gi := range list.Items {
		name := gi.Spec.Backend.ServiceName
		kind := "Service"
		if name == "" {
			kind, name = "Ingress", gi.Spec.Backend.IngressName
		}
		if b.Spec.Resource.Kind == kind && b.Spec.Resource.Name == name {
			out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&gi)})
		}
	}
	return out
}

// healthOrLabelsChanged passes Cluster creations, deletions, and updates of the Healthy
// condition or the labels (the region comes from them).
func healthOrLabelsChanged() predicate.Funcs {
	return predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
		o, okOld := e.ObjectOld.(*n6sv1alpha1.Cluster)
		n, okNew := e.ObjectNew.(*n6sv1alpha1.Cluster)
		if !okOld || !okNew {
			return true
		}
		healthy := func(c *n6sv1alpha1.Cluster) bool {
			return meta.IsStatusConditionTrue(c.Status.Conditions, n6sv1alpha1.ClusterHealthyCondition)
		}
		return healthy(o) != healthy(n) || !maps.Equal(o.Labels, n.Labels)
	}}
}

func (r *Reconciler) all(ctx context.Context, _ client.Object) []reconcile.Request {
	return r.requests(ctx)
}

// requests are the GlobalIngresses that opts list, as reconcile requests; none when the list fails.
func (r *Reconciler) requests(ctx context.Context, opts ...client.ListOption) []reconcile.Request {
	list := &n6sv1alpha1.GlobalIngressList{}
	if err := r.Client.List(ctx, list, opts...); err != nil {
		return nil
	}
	out := make([]reconcile.Request, 0, len(list.Items))
	for _, gi := range list.Items {
		out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&gi)})
	}
	return out
}

func zoneOf(gi *n6sv1alpha1.GlobalIngress) string {
	if gi.Spec.Zone == "" {
		return DefaultZone
	}
	return gi.Spec.Zone
}

// interval is how often the targets are checked; a malformed interval, which the status
// reports, counts as the default.
func interval(gi *n6sv1alpha1.GlobalIngress) time.Duration {
	d, _ := gi.Spec.HealthCheck.IntervalOr(DefaultHealthInterval)
	return d
}

const (
	// memberTimeout bounds the reads of one member in one health check.
	memberTimeout = 2 * time.Second
	// DefaultZone is the zone of GlobalIngresses that name none.
	DefaultZone = "navarkos.local."
	// DefaultHealthInterval applies when a GlobalIngress sets no health interval.
	DefaultHealthInterval = 10 * time.Second
	// settlingRecheck is how soon a backend still on its way to serving in a cluster is looked
	// at again: one read of the member per second while its pods start.
	settlingRecheck = time.Second
)
