package cluster_test

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
)

type poolOption func(*n6sv1alpha1.ClusterPool)

func testPool(name string, opts ...poolOption) *n6sv1alpha1.ClusterPool {
	p := &n6sv1alpha1.ClusterPool{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: n6sv1alpha1.ClusterPoolSpec{
			Provider:        n6sv1alpha1.ProviderLocal,
			Region:          "test-region",
			NodeShape:       n6sv1alpha1.NodeShape{CPU: resource.MustParse("2"), Memory: resource.MustParse("4Gi"), Pods: 20},
			Price:           n6sv1alpha1.Price{PerNodeHour: resource.MustParse("0.05")},
			Clusters:        n6sv1alpha1.CountRange{Min: 0, Max: 2},
			NodesPerCluster: n6sv1alpha1.CountRange{Min: 1, Max: 5},
		},
	}
	for _, o := range opts {
		o(p)
	}
	return p
}

func withProvider(name n6sv1alpha1.ProviderName) poolOption {
	return func(p *n6sv1alpha1.ClusterPool) {
		p.Spec.Provider = name
		if name == n6sv1alpha1.ProviderCAPI {
			p.Spec.Template = &n6sv1alpha1.ProviderTemplate{CAPI: &n6sv1alpha1.CAPITemplate{
				Namespace: "clusters", ClusterClass: n6sv1alpha1.ClusterClassReference{Name: "aws"}, Version: "v1.33.0", WorkerClass: "default-worker",
			}}
		}
	}
}

type clusterOption func(*n6sv1alpha1.Cluster)

func testCluster(name string, opts ...clusterOption) *n6sv1alpha1.Cluster {
	c := &n6sv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: name}}
	for _, o := range opts {
		o(c)
	}
	return c
}

func fromPool(pool string) clusterOption {
	return func(c *n6sv1alpha1.Cluster) { c.Spec.Pool = pool }
}

func withNodes(n int32) clusterOption {
	return func(c *n6sv1alpha1.Cluster) { c.Spec.Nodes = &n }
}

func joinedBy(secret string) clusterOption {
	return func(c *n6sv1alpha1.Cluster) {
		c.Spec.KubeconfigSecretRef = &n6sv1alpha1.SecretReference{Name: secret, Namespace: n6sv1alpha1.SystemNamespace}
	}
}

func kubeconfigSecret(name string, data []byte) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: n6sv1alpha1.SystemNamespace, Name: name},
		Data:       map[string][]byte{"kubeconfig": data},
	}
}

// create makes obj and deletes it when the test ends.
func create(t *testing.T, obj client.Object) {
	t.Helper()
	if err := k8s.Create(context.Background(), obj); err != nil {
		t.Fatalf("failed to create %T %s: %v", obj, obj.GetName(), err)
	}
	t.Cleanup(func() { _ = client.IgnoreNotFound(k8s.Delete(context.Background(), obj)) })
}

// condition returns the named condition of a Cluster, or an empty one.
func condition(c *n6sv1alpha1.Cluster, typ string) metav1.Condition {
	if cd := meta.FindStatusCondition(c.Status.Conditions, typ); cd != nil {
		return *cd
	}
	return metav1.Condition{}
}
