package localfleet

import (
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
)

// The default pools' namespaceQuota: the most CPU and memory the planner buys in one pool
// for one namespace, a little more than a third of a pool's largest cluster (10 nodes of 4
// CPU and 16Gi), so that one team cannot take a whole shared fleet. An administrator
// changes it with kubectl patch clusterpool (README, Security model).
const (
	defaultNamespaceQuotaCPU    = "16"
	defaultNamespaceQuotaMemory = "64Gi"
)

// DefaultPools are the local pools a new fleet starts with: three "regions" with
// different prices and compliance labels, so placement has real choices to make.
func DefaultPools() []*n6sv1alpha1.ClusterPool {
	pool := func(name, region, perNodeHour string, market n6sv1alpha1.Market, labels map[string]string) *n6sv1alpha1.ClusterPool {
		clusterHour := resource.MustParse("0.10")
		return &n6sv1alpha1.ClusterPool{
			ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
			Spec: n6sv1alpha1.ClusterPoolSpec{
				Provider: n6sv1alpha1.ProviderLocal,
				Region:   region,
				NodeShape: n6sv1alpha1.NodeShape{
					CPU:    resource.MustParse("4"),
					Memory: resource.MustParse("16Gi"),
					Pods:   110,
				},
				Price: n6sv1alpha1.Price{
					PerNodeHour:    resource.MustParse(perNodeHour),
					PerClusterHour: &clusterHour,
					Market:         market,
				},
				Clusters:        n6sv1alpha1.CountRange{Min: 0, Max: 3},
				NodesPerCluster: n6sv1alpha1.CountRange{Min: 1, Max: 10},
				IdleTTL:         n6sv1alpha1.DurationOf(20 * time.Minute),
				OfflineMode:     n6sv1alpha1.OfflineHibernate,
				NamespaceQuota: &n6sv1alpha1.NamespaceQuota{
					CPU:    ptr.To(resource.MustParse(defaultNamespaceQuotaCPU)),
					Memory: ptr.To(resource.MustParse(defaultNamespaceQuotaMemory)),
				},
			},
		}
	}
	return []*n6sv1alpha1.ClusterPool{
		pool("local-us-east", "us-east", "0.192", n6sv1alpha1.MarketOnDemand, map[string]string{
			"n6s.io/tier": "standard", "compliance.n6s.io/pci": "true",
		}),
		pool("local-eu-west", "eu-west", "0.216", n6sv1alpha1.MarketOnDemand, map[string]string{
			"n6s.io/tier": "premium", "compliance.n6s.io/gdpr": "true", "compliance.n6s.io/pci": "true",
		}),
		pool("local-ap-south", "ap-south", "0.058", n6sv1alpha1.MarketSpot, map[string]string{
			"n6s.io/tier": "economy",
		}),
	}
}
