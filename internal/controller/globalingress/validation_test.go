package globalingress_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
)

func testGlobalIngress(name string, change func(*n6sv1alpha1.GlobalIngressSpec)) *n6sv1alpha1.GlobalIngress {
	gi := &n6sv1alpha1.GlobalIngress{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name},
		Spec: n6sv1alpha1.GlobalIngressSpec{
			Hosts:   []string{"shop.navarkos.local"},
			Backend: n6sv1alpha1.GlobalIngressBackend{ServiceName: "web"},
		},
	}
	if change != nil {
		change(&gi.Spec)
	}
	return gi
}

func TestAPIValidatesGlobalIngresses(t *testing.T) {
	tests := []struct {
		name   string
		change func(*n6sv1alpha1.GlobalIngressSpec)
		want   string // "" when the API must accept it
	}{
		{"a host in the default zone", nil, ""},
		{"the zone apex and a trailing dot", func(s *n6sv1alpha1.GlobalIngressSpec) {
			s.Hosts = []string{"navarkos.local.", "api.shop.navarkos.local."}
		}, ""},
		{"an invalid hostname", func(s *n6sv1alpha1.GlobalIngressSpec) { s.Hosts = []string{"shop_1.navarkos.local"} }, "spec.hosts[0]"},
		{"an upper-case hostname", func(s *n6sv1alpha1.GlobalIngressSpec) { s.Hosts = []string{"Shop.navarkos.local"} }, "spec.hosts[0]"},
		{"a host outside its zone", func(s *n6sv1alpha1.GlobalIngressSpec) { s.Hosts = []string{"shop.example.com"} }, "spec.hosts: Invalid value: every host must be inside the zone"},
		{"a host that only ends like the zone", func(s *n6sv1alpha1.GlobalIngressSpec) { s.Hosts = []string{"shopnavarkos.local"} }, "every host must be inside the zone"},
		{"a TTL of 0", func(s *n6sv1alpha1.GlobalIngressSpec) { s.TTL = -1 }, "spec.ttl"},
		{"a TTL over a day", func(s *n6sv1alpha1.GlobalIngressSpec) { s.TTL = 86401 }, "spec.ttl: Invalid value: 86401"},
		{"two backends", func(s *n6sv1alpha1.GlobalIngressSpec) { s.Backend.IngressName = "web" }, "name exactly one of serviceName and ingressName"},
		{"failover without regions", func(s *n6sv1alpha1.GlobalIngressSpec) { s.Strategy.Type = n6sv1alpha1.StrategyFailover }, "spec.strategy.failoverRegions"},
		{"explicit weights without weights", func(s *n6sv1alpha1.GlobalIngressSpec) {
			s.Strategy = n6sv1alpha1.DNSStrategy{Type: n6sv1alpha1.StrategyWeighted, WeightSource: n6sv1alpha1.WeightExplicit}
		}, "explicit weights need a weights list"},
		{"an unknown strategy", func(s *n6sv1alpha1.GlobalIngressSpec) { s.Strategy.Type = "Nearest" }, `spec.strategy.type: Unsupported value: "Nearest"`},
		{"an HTTP probe path without a slash", func(s *n6sv1alpha1.GlobalIngressSpec) {
			s.HealthCheck.Probe = &n6sv1alpha1.HealthProbe{Type: "HTTP", Path: "healthz"}
		}, "path must start with /"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gi := testGlobalIngress(fmt.Sprintf("validation-%d", i), tt.change)
			err := k8s.Create(context.Background(), gi)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("rejected: %v", err)
			case tt.want != "" && err == nil:
				t.Fatalf("accepted, want an error with %q", tt.want)
			case tt.want != "" && !strings.Contains(err.Error(), tt.want):
				t.Fatalf("error %q, want it to contain %q", err, tt.want)
			}
		})
	}
}
