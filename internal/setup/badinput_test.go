package setup_test

import (
	"context"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/provider"
	"github.com/navarkos/navarkos/internal/provider/static"
	"github.com/navarkos/navarkos/internal/setup"
	"github.com/navarkos/navarkos/internal/testenv"
)

// TestBadDurationsAreRefusedAndTheControllersGoOn applies every duration field of every kind
// with values that would stop an informer from decoding its list ("soon", "1d") or make a hot
// loop ("1ms"), through the API as a user would; each is refused with the field at fault. Such
// values stored earlier, by a version whose CRDs had no rules, still decode: the whole
// controller manager starts, reconciles good objects, and serves the old ones with the
// fields' defaults and a SpecValid condition that names the field.
func TestBadDurationsAreRefusedAndTheControllersGoOn(t *testing.T) {
	g := NewWithT(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	env, cfg, err := testenv.Start()
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(func() { _ = env.Stop() })
	c, err := client.New(cfg, client.Options{Scheme: setup.Scheme()})
	g.Expect(err).NotTo(HaveOccurred())

	// An older version's CRDs: the same schemas without CEL rules, applied by the same manager
	// that applies this version's.
	crds, err := setup.CRDs()
	g.Expect(err).NotTo(HaveOccurred())
	for _, crd := range crds {
		for i := range crd.Spec.Versions {
			withoutRules(crd.Spec.Versions[i].Schema.OpenAPIV3Schema)
		}
		g.Expect(setup.Apply(ctx, c, crd, client.ForceOwnership)).To(Succeed())
	}
	g.Expect(c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}})).To(Succeed())
	stored := map[string]*unstructured.Unstructured{
		"spec.healthCheck.interval": object("GlobalIngress", "shop", map[string]any{"hosts": []any{"old.navarkos.local"}, "backend": map[string]any{"serviceName": "web"}, "healthCheck": map[string]any{"interval": "soon"}}),
		"spec.failoverToleration":   object("Placement", "shop", map[string]any{"resourceSelectors": []any{map[string]any{"apiVersion": "apps/v1", "kind": "Deployment"}}, "failoverToleration": "1d"}),
		"spec.idleTTL":              object("ClusterPool", "", poolSpec(map[string]any{"idleTTL": "1ms", "timeToCapacity": map[string]any{"create": "5 min"}})),
	}
	for _, obj := range stored {
		obj.SetName("old")
		g.Eventually(func() error { return c.Create(ctx, obj) }, 30*time.Second, 100*time.Millisecond).Should(Succeed(), "waiting to store an old %s", obj.GetKind())
	}
	// This version's CRDs keep what is stored.
	g.Expect(setup.InstallCRDs(ctx, c)).To(Succeed())
	old := &n6sv1alpha1.GlobalIngressList{}
	g.Expect(c.List(ctx, old)).To(Succeed(), "a list with a malformed duration decodes")

	objects := map[string]func(value string) *unstructured.Unstructured{
		"spec.healthCheck.interval": func(v string) *unstructured.Unstructured {
			return object("GlobalIngress", "shop", map[string]any{"hosts": []any{"shop.navarkos.local"}, "backend": map[string]any{"serviceName": "web"}, "healthCheck": map[string]any{"interval": v}})
		},
		"spec.failoverToleration": func(v string) *unstructured.Unstructured {
			return object("Placement", "shop", map[string]any{"resourceSelectors": []any{map[string]any{"apiVersion": "apps/v1", "kind": "Deployment"}}, "failoverToleration": v})
		},
		"spec.idleTTL": func(v string) *unstructured.Unstructured {
			return object("ClusterPool", "", poolSpec(map[string]any{"idleTTL": v}))
		},
		"spec.timeToCapacity.create": func(v string) *unstructured.Unstructured {
			return object("ClusterPool", "", poolSpec(map[string]any{"timeToCapacity": map[string]any{"create": v}}))
		},
	}
	for field, make := range objects {
		for _, bad := range []string{"soon", "1d", "1ms", "-5m", "10", "1h 2m", strings.Repeat("9", 40) + "h"} {
			obj := make(bad)
			err := c.Create(ctx, obj)
			if field == "spec.timeToCapacity.create" && bad == "1ms" {
				g.Expect(err).NotTo(HaveOccurred(), "a time to capacity may be short")
				g.Expect(c.Delete(ctx, obj)).To(Succeed())
				continue
			}
			g.Expect(err).To(HaveOccurred(), "%s %q was accepted", field, bad)
			g.Expect(err.Error()).To(ContainSubstring(field), "%s %q: the error names the field", field, bad)
			g.Expect(err.Error()).To(ContainSubstring("must be a duration such as"), "%s %q", field, bad)
		}
	}

	// The controllers start on this API and serve good objects.
	mgr, err := setup.NewManager(ctx, cfg, setup.Options{Providers: provider.Registry{n6sv1alpha1.ProviderStatic: static.Provider{}}, Planner: setup.PlannerOptions{Disabled: true}})
	g.Expect(err).NotTo(HaveOccurred())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	g.Expect(c.Create(ctx, objects["spec.failoverToleration"]("90s"))).To(Succeed())
	g.Expect(c.Create(ctx, objects["spec.healthCheck.interval"]("2s"))).To(Succeed())
	g.Eventually(func(g Gomega) {
		p := &n6sv1alpha1.Placement{}
		g.Expect(c.Get(ctx, client.ObjectKey{Namespace: "shop", Name: "good"}, p)).To(Succeed())
		g.Expect(meta.FindStatusCondition(p.Status.Conditions, n6sv1alpha1.PlacementScheduledCondition)).NotTo(BeNil())
		g.Expect(meta.FindStatusCondition(p.Status.Conditions, n6sv1alpha1.SpecValidCondition)).To(BeNil())
		gi := &n6sv1alpha1.GlobalIngress{}
		g.Expect(c.Get(ctx, client.ObjectKey{Namespace: "shop", Name: "good"}, gi)).To(Succeed())
		g.Expect(meta.FindStatusCondition(gi.Status.Conditions, n6sv1alpha1.GlobalIngressReadyCondition)).NotTo(BeNil())
	}, time.Minute, 100*time.Millisecond).Should(Succeed(), "waiting for the controllers to reconcile a good Placement and GlobalIngress")

	// The old objects are served with the defaults, and say which field to fix.
	malformed := func(g Gomega, conditions []metav1.Condition, field string) {
		cond := meta.FindStatusCondition(conditions, n6sv1alpha1.SpecValidCondition)
		g.Expect(cond).NotTo(BeNil(), "no SpecValid condition for %s", field)
		g.Expect(cond.Status).To(Equal(metav1.ConditionFalse))
		g.Expect(cond.Reason).To(Equal(n6sv1alpha1.MalformedDurationReason))
		g.Expect(cond.Message).To(ContainSubstring(field))
	}
	g.Eventually(func(g Gomega) {
		gi := &n6sv1alpha1.GlobalIngress{}
		g.Expect(c.Get(ctx, client.ObjectKey{Namespace: "shop", Name: "old"}, gi)).To(Succeed())
		g.Expect(meta.FindStatusCondition(gi.Status.Conditions, n6sv1alpha1.GlobalIngressReadyCondition)).NotTo(BeNil())
		malformed(g, gi.Status.Conditions, `spec.healthCheck.interval: "soon" is not a duration`)
		p := &n6sv1alpha1.Placement{}
		g.Expect(c.Get(ctx, client.ObjectKey{Namespace: "shop", Name: "old"}, p)).To(Succeed())
		g.Expect(meta.FindStatusCondition(p.Status.Conditions, n6sv1alpha1.PlacementScheduledCondition)).NotTo(BeNil())
		malformed(g, p.Status.Conditions, `spec.failoverToleration: "1d" is not a duration`)
		pool := &n6sv1alpha1.ClusterPool{}
		g.Expect(c.Get(ctx, client.ObjectKey{Name: "old"}, pool)).To(Succeed())
		malformed(g, pool.Status.Conditions, "spec.idleTTL: 1ms is not between 10s and 720h0m0s")
		malformed(g, pool.Status.Conditions, `spec.timeToCapacity.create: "5 min" is not a duration`)
	}, time.Minute, 100*time.Millisecond).Should(Succeed(), "waiting for SpecValid=False on the objects stored with malformed durations")

	// Fixed, the condition goes.
	gi := &n6sv1alpha1.GlobalIngress{}
	g.Expect(c.Get(ctx, client.ObjectKey{Namespace: "shop", Name: "old"}, gi)).To(Succeed())
	g.Expect(c.Patch(ctx, gi, client.RawPatch(types.MergePatchType, []byte(`{"spec":{"healthCheck":{"interval":"30s"}}}`)))).To(Succeed())
	g.Eventually(func(g Gomega) {
		g.Expect(c.Get(ctx, client.ObjectKey{Namespace: "shop", Name: "old"}, gi)).To(Succeed())
		g.Expect(meta.FindStatusCondition(gi.Status.Conditions, n6sv1alpha1.SpecValidCondition)).To(BeNil())
	}, time.Minute, 100*time.Millisecond).Should(Succeed(), "waiting for SpecValid to go once the interval is fixed")
}

// withoutRules removes every CEL rule from a schema, as a CRD of an older version had none.
func withoutRules(s *apiextensionsv1.JSONSchemaProps) {
	if s == nil {
		return
	}
	s.XValidations = nil
	for k, p := range s.Properties {
		withoutRules(&p)
		s.Properties[k] = p
	}
	if s.Items != nil {
		withoutRules(s.Items.Schema)
	}
	if s.AdditionalProperties != nil {
		withoutRules(s.AdditionalProperties.Schema)
	}
}

// object is an n6s.io object named "good" of the kind, namespace and spec.
func object(kind, namespace string, spec map[string]any) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{"spec": spec}}
	u.SetGroupVersionKind(n6sv1alpha1.GroupVersion.WithKind(kind))
	u.SetNamespace(namespace)
	u.SetName("good")
	return u
}

func poolSpec(extra map[string]any) map[string]any {
	spec := map[string]any{
		"provider": "static", "region": "eu-west", "nodeShape": map[string]any{"cpu": "4", "memory": "16Gi", "pods": int64(110)},
		"price": map[string]any{"perNodeHour": "0.1"}, "clusters": map[string]any{"max": int64(1)}, "nodesPerCluster": map[string]any{"min": int64(1), "max": int64(2)},
	}
	for k, v := range extra {
		spec[k] = v
	}
	return spec
}

// TestABadProfileAddressIsAClearError: a --pprof-addr that is no address stops the controllers
// at start with an error that names it, rather than leaving them without profiles unnoticed.
func TestABadProfileAddressIsAClearError(t *testing.T) {
	env, cfg, err := testenv.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	_, err = setup.NewManager(t.Context(), cfg, setup.Options{PprofAddr: "not-an-address", Planner: setup.PlannerOptions{Disabled: true}})
	if err == nil || !strings.Contains(err.Error(), "not-an-address") {
		t.Fatalf("NewManager with a pprof address of %q: %v, want an error that names it", "not-an-address", err)
	}
}
