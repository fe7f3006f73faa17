package globalingress

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
)

func TestJudge(t *testing.T) {
	eu := &n6sv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "eu", Labels: map[string]string{n6sv1alpha1.RegionLabel: "eu-west"}}}
	lb := []corev1.LoadBalancerIngress{{IP: "127.0.0.9"}, {Hostname: "lb.example"}}
	weighted := &n6sv1alpha1.GlobalIngress{Spec: n6sv1alpha1.GlobalIngressSpec{Strategy: n6sv1alpha1.DNSStrategy{
		WeightSource: n6sv1alpha1.WeightExplicit, Weights: []n6sv1alpha1.TargetWeight{{ClusterNames: []string{"eu"}, Weight: 7}},
	}}}
	tests := []struct {
		name         string
		gi           *n6sv1alpha1.GlobalIngress
		facts        memberFacts
		wantHealthy  bool
		wantSettling bool
		wantReason   string
		wantWeight   int32
		wantAddrs    int
	}{
		{"cluster gone", nil, memberFacts{problem: "the Cluster is gone"}, false, false, "the Cluster is gone", 0, 0},
		{"backend not there yet", nil, memberFacts{cluster: eu, problem: "the Service is not in the cluster: not found", missing: true}, false, true, "the Service is not in the cluster: not found", 0, 0},
		{"no address yet", nil, memberFacts{cluster: eu, ready: 3}, false, true, "no load-balancer address yet", 3, 0},
		{"no ready endpoint", nil, memberFacts{cluster: eu, ingress: lb}, false, true, "no ready endpoint", 0, 1},
		{"a path without endpoints", nil, memberFacts{cluster: eu, ingress: lb, notReady: "api"}, false, true, "no ready endpoint behind Service api", 0, 1},
		{"serving", nil, memberFacts{cluster: eu, ingress: lb, ready: 2, port: 8080}, true, false, "2 ready endpoints", 2, 1},
		{"serving with an explicit weight", weighted, memberFacts{cluster: eu, ingress: lb, ready: 2}, true, false, "2 ready endpoints", 7, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gi := tt.gi
			if gi == nil {
				gi = &n6sv1alpha1.GlobalIngress{}
			}
			got := judge(gi, "eu", tt.facts)
			if got.Healthy != tt.wantHealthy || got.settling != tt.wantSettling || got.Reason != tt.wantReason || got.Weight != tt.wantWeight || len(got.addrs) != tt.wantAddrs {
				t.Errorf("judge = healthy %v, settling %v, reason %q, weight %d, %d addresses; want %v, %v, %q, %d, %d",
					got.Healthy, got.settling, got.Reason, got.Weight, len(got.addrs), tt.wantHealthy, tt.wantSettling, tt.wantReason, tt.wantWeight, tt.wantAddrs)
			}
			if tt.facts.cluster != nil && got.Region != "eu-west" {
				t.Errorf("region = %q, want eu-west", got.Region)
			}
		})
	}
}
