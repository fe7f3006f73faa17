package setup_test

import (
	"context"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/provider"
	"github.com/navarkos/navarkos/internal/provider/static"
	"github.com/navarkos/navarkos/internal/setup"
	"github.com/navarkos/navarkos/internal/testenv"
)

// TestBadDurationsAreRefusedAndTheControllersGoOn applies every duration field of every kind
// with values that would stop an informer from decoding its list ("soon", "1d") or make a hot
// loop ("1ms"), through the API as a user would; each is refused with the field at fault. Then
// the whole controller manager starts and reconciles good objects.
func TestBadDurationsAreRefusedAndTheControllersGoOn(t *testing.T) {
	g := NewWithT(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	env, cfg, err := testenv.Start()
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(func() { _ = env.Stop() })
	c, err := client.New(cfg, client.Options{Scheme: setup.Scheme()})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(setup.InstallCRDs(ctx, c)).To(Succeed())
	g.Expect(c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}})).To(Succeed())

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
		gi := &n6sv1alpha1.GlobalIngress{}
		g.Expect(c.Get(ctx, client.ObjectKey{Namespace: "shop", Name: "good"}, gi)).To(Succeed())
		g.Expect(meta.FindStatusCondition(gi.Status.Conditions, n6sv1alpha1.GlobalIngressReadyCondition)).NotTo(BeNil())
	}, time.Minute, 100*time.Millisecond).Should(Succeed(), "waiting for the controllers to reconcile a good Placement and GlobalIngress")
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
