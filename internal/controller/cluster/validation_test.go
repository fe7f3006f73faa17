package cluster_test

import (
	"context"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/resource"
	"sigs.k8s.io/controller-runtime/pkg/client"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
)

// TestAPIRejectsBadObjects checks that the fleet API itself refuses invalid pools and
// clusters, naming the field at fault.
func TestAPIRejectsBadObjects(t *testing.T) {
	tests := []struct {
		name    string
		obj     client.Object
		wantErr []string
	}{
		{
			name:    "pool with more min clusters than max",
			obj:     testPool("bad-min-max", func(p *n6sv1alpha1.ClusterPool) { p.Spec.Clusters = n6sv1alpha1.CountRange{Min: 3, Max: 1} }),
			wantErr: []string{"spec.clusters", "min must not exceed max"},
		},
		{
			name:    "pool with more min nodes than max",
			obj:     testPool("bad-node-range", func(p *n6sv1alpha1.ClusterPool) { p.Spec.NodesPerCluster = n6sv1alpha1.CountRange{Min: 4, Max: 2} }),
			wantErr: []string{"spec.nodesPerCluster", "min must not exceed max"},
		},
		{
			name:    "pool with negative min nodes",
			obj:     testPool("bad-negative-nodes", func(p *n6sv1alpha1.ClusterPool) { p.Spec.NodesPerCluster.Min = -1 }),
			wantErr: []string{"spec.nodesPerCluster.min", "greater than or equal to 0"},
		},
		{
			name:    "pool with an unknown provider",
			obj:     testPool("bad-provider", withProvider("gke")),
			wantErr: []string{"spec.provider", `Unsupported value: "gke"`},
		},
		{
			name:    "pool with a region that is not a DNS label",
			obj:     testPool("bad-region", func(p *n6sv1alpha1.ClusterPool) { p.Spec.Region = "US East" }),
			wantErr: []string{"spec.region"},
		},
		{
			name:    "pool with zero pods per node",
			obj:     testPool("bad-pods", func(p *n6sv1alpha1.ClusterPool) { p.Spec.NodeShape.Pods = 0 }),
			wantErr: []string{"spec.nodeShape.pods"},
		},
		{
			name: "pool with a malformed extra arg",
			obj: testPool("bad-extra-args", func(p *n6sv1alpha1.ClusterPool) {
				p.Spec.Template = &n6sv1alpha1.ProviderTemplate{Local: &n6sv1alpha1.LocalTemplate{ExtraArgs: []string{"kubelet=v=4"}}}
			}),
			wantErr: []string{"spec.template.local.extraArgs", "allowed tuning flags"},
		},
		{
			name: "pool whose pods take an hour to start",
			obj: testPool("bad-pod-delay", func(p *n6sv1alpha1.ClusterPool) {
				p.Spec.Template = &n6sv1alpha1.ProviderTemplate{Local: &n6sv1alpha1.LocalTemplate{PodReadyDelay: "1h"}}
			}),
			wantErr: []string{"spec.template.local.podReadyDelay", "between 0s and 10m"},
		},
		{
			name: "pool that binds etcd to every address",
			obj: testPool("bad-etcd-listen", func(p *n6sv1alpha1.ClusterPool) {
				p.Spec.Template = &n6sv1alpha1.ProviderTemplate{Local: &n6sv1alpha1.LocalTemplate{ExtraArgs: []string{"etcd=listen-client-urls=http://0.0.0.0:2379"}}}
			}),
			wantErr: []string{"spec.template.local.extraArgs", "allowed tuning flags"},
		},
		{
			name: "pool that turns authorization off",
			obj: testPool("bad-authz", func(p *n6sv1alpha1.ClusterPool) {
				p.Spec.Template = &n6sv1alpha1.ProviderTemplate{Local: &n6sv1alpha1.LocalTemplate{ExtraArgs: []string{"kube-apiserver=authorization-mode=AlwaysAllow"}}}
			}),
			wantErr: []string{"spec.template.local.extraArgs", "allowed tuning flags"},
		},
		{
			name: "pool that writes an audit log anywhere",
			obj: testPool("bad-audit", func(p *n6sv1alpha1.ClusterPool) {
				p.Spec.Template = &n6sv1alpha1.ProviderTemplate{Local: &n6sv1alpha1.LocalTemplate{ExtraArgs: []string{"kube-apiserver=audit-log-path=/etc/cron.d/x"}}}
			}),
			wantErr: []string{"spec.template.local.extraArgs", "allowed tuning flags"},
		},
		{
			name: "pool that smuggles a second flag in a value",
			obj: testPool("bad-value", func(p *n6sv1alpha1.ClusterPool) {
				p.Spec.Template = &n6sv1alpha1.ProviderTemplate{Local: &n6sv1alpha1.LocalTemplate{ExtraArgs: []string{"kube-apiserver=v=4 --anonymous-auth=true"}}}
			}),
			wantErr: []string{"spec.template.local.extraArgs", "allowed tuning flags"},
		},
		{
			name: "pool with allowed tuning flags",
			obj: testPool("good-tuning", func(p *n6sv1alpha1.ClusterPool) {
				p.Spec.Template = &n6sv1alpha1.ProviderTemplate{Local: &n6sv1alpha1.LocalTemplate{ExtraArgs: []string{
					"etcd=unsafe-no-fsync=false", "etcd=quota-backend-bytes=8589934592", "kube-apiserver=max-requests-inflight=800", "kube-scheduler=kube-api-qps=100",
				}}}
			}),
			wantErr: nil,
		},
		{
			name:    "capi pool without its template",
			obj:     testPool("bad-capi-no-template", func(p *n6sv1alpha1.ClusterPool) { p.Spec.Provider = n6sv1alpha1.ProviderCAPI }),
			wantErr: []string{"spec.template", "the capi provider needs template.capi"},
		},
		{
			name: "local pool with a capi template",
			obj: testPool("bad-local-capi", func(p *n6sv1alpha1.ClusterPool) {
				withProvider(n6sv1alpha1.ProviderCAPI)(p)
				p.Spec.Provider = n6sv1alpha1.ProviderLocal
			}),
			wantErr: []string{"spec.template.capi", "only valid with the capi provider"},
		},
		{
			name: "capi pool with a local template",
			obj: testPool("bad-capi-local", withProvider(n6sv1alpha1.ProviderCAPI), func(p *n6sv1alpha1.ClusterPool) {
				p.Spec.Template.Local = &n6sv1alpha1.LocalTemplate{}
			}),
			wantErr: []string{"spec.template.local", "only valid with the local provider"},
		},
		{
			name: "capi pool in navarkos-system",
			obj: testPool("bad-capi-namespace", withProvider(n6sv1alpha1.ProviderCAPI), func(p *n6sv1alpha1.ClusterPool) {
				p.Spec.Template.CAPI.Namespace = n6sv1alpha1.SystemNamespace
			}),
			wantErr: []string{"spec.template.capi.namespace", "use another namespace"},
		},
		{
			name: "capi pool with a version that is not one",
			obj: testPool("bad-capi-version", withProvider(n6sv1alpha1.ProviderCAPI), func(p *n6sv1alpha1.ClusterPool) {
				p.Spec.Template.CAPI.Version = "latest"
			}),
			wantErr: []string{"spec.template.capi.version"},
		},
		{
			name: "capi pool with an empty management Secret name",
			obj: testPool("bad-capi-management", withProvider(n6sv1alpha1.ProviderCAPI), func(p *n6sv1alpha1.ClusterPool) {
				p.Spec.Template.CAPI.Management = &n6sv1alpha1.ManagementCluster{}
			}),
			wantErr: []string{"spec.template.capi.management.kubeconfigSecretName"},
		},
		{
			name: "cluster joined by a Secret outside navarkos-system",
			obj: testCluster("bad-secret-ns", func(c *n6sv1alpha1.Cluster) {
				c.Spec.KubeconfigSecretRef = &n6sv1alpha1.SecretReference{Name: "token", Namespace: "kube-system", Key: "kubeconfig"}
			}),
			wantErr: []string{"spec.kubeconfigSecretRef.namespace", "must be in navarkos-system"},
		},
		{
			name:    "pool with an unknown offline mode",
			obj:     testPool("bad-offline", func(p *n6sv1alpha1.ClusterPool) { p.Spec.OfflineMode = "Sleep" }),
			wantErr: []string{"spec.offlineMode", `Unsupported value: "Sleep"`},
		},
		{
			name: "pool with a price that is not a quantity",
			obj: testPool("bad-price", func(p *n6sv1alpha1.ClusterPool) {
				p.Spec.Price.PerNodeHour = resource.Quantity{}
			}),
			wantErr: nil, // a zero price is allowed: on-premises capacity may be free
		},
		{
			name:    "cluster with negative nodes",
			obj:     testCluster("bad-nodes", fromPool("any"), withNodes(-1)),
			wantErr: []string{"spec.nodes", "greater than or equal to 0"},
		},
		{
			name:    "cluster with neither pool nor kubeconfig",
			obj:     testCluster("bad-empty"),
			wantErr: []string{"spec", "needs a pool to be made from, or a kubeconfigSecretRef"},
		},
		{
			name:    "cluster with an unknown desired state",
			obj:     testCluster("bad-state", fromPool("any"), func(c *n6sv1alpha1.Cluster) { c.Spec.DesiredState = "Paused" }),
			wantErr: []string{"spec.desiredState", `Unsupported value: "Paused"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := k8s.Create(context.Background(), tt.obj)
			if err == nil {
				_ = k8s.Delete(context.Background(), tt.obj)
			}
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("want the object accepted, got %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("want the API to reject the object with %q, it was accepted", tt.wantErr)
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err.Error(), want)
				}
			}
		})
	}
}

// TestPoolOfClusterIsImmutable checks that a Cluster cannot move to another pool.
func TestPoolOfClusterIsImmutable(t *testing.T) {
	c := testCluster("immutable-pool", fromPool("pool-a"))
	create(t, c)
	patch := client.MergeFrom(c.DeepCopy())
	c.Spec.Pool = "pool-b"
	err := k8s.Patch(context.Background(), c, patch)
	if err == nil || !strings.Contains(err.Error(), "spec.pool") || !strings.Contains(err.Error(), "pool is immutable") {
		t.Fatalf("want the pool change rejected with spec.pool: pool is immutable, got %v", err)
	}
}
