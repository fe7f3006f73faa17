package propagation

import (
	"strings"
	"testing"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
)

func TestCheckScope(t *testing.T) {
	placement := n6sv1alpha1.PlacementReference{Kind: n6sv1alpha1.PlacementKind, Namespace: "tenant-a", Name: "p"}
	clusterPlacement := n6sv1alpha1.PlacementReference{Kind: n6sv1alpha1.ClusterPlacementKind, Name: "cp"}
	res := func(kind, ns, name string) n6sv1alpha1.ResourceReference {
		return n6sv1alpha1.ResourceReference{APIVersion: "v1", Kind: kind, Namespace: ns, Name: name}
	}
	tests := []struct {
		name       string
		bindingNS  string
		res        n6sv1alpha1.ResourceReference
		placement  n6sv1alpha1.PlacementReference
		namespaced bool
		wantErr    string
	}{
		{"a namespaced object of the Placement's namespace", "tenant-a", res("ConfigMap", "tenant-a", "c"), placement, true, ""},
		{"a ClusterPlacement's namespaced object", "tenant-a", res("ConfigMap", "tenant-a", "c"), clusterPlacement, true, ""},
		{"a ClusterPlacement's cluster-scoped object", n6sv1alpha1.SystemNamespace, res("ClusterRole", "", "r"), clusterPlacement, false, ""},
		{"a cluster-scoped kind given the tenant's namespace", "tenant-a", res("ClusterRoleBinding", "tenant-a", "cluster-admin"), placement, false, "cluster-scoped, yet the ResourceBinding gives it namespace"},
		{"another tenant's Namespace object", "tenant-a", res("Namespace", "tenant-a", "tenant-b"), placement, false, "cluster-scoped"},
		{"a cluster-scoped object from a Placement", n6sv1alpha1.SystemNamespace, res("ClusterRole", "", "r"), n6sv1alpha1.PlacementReference{Kind: n6sv1alpha1.PlacementKind, Namespace: n6sv1alpha1.SystemNamespace, Name: "p"}, false, "only a ClusterPlacement"},
		{"a cluster-scoped object bound outside the system namespace", "tenant-a", res("ClusterRole", "", "r"), clusterPlacement, false, "belongs in " + n6sv1alpha1.SystemNamespace},
		{"an object of another namespace", "tenant-a", res("Secret", "kube-system", "token"), placement, true, "outside the ResourceBinding's namespace"},
		{"a namespaced object without a namespace", "tenant-a", res("Secret", "", "token"), placement, true, "names no namespace"},
		{"another namespace's Placement", "tenant-a", res("ConfigMap", "tenant-a", "c"), n6sv1alpha1.PlacementReference{Kind: n6sv1alpha1.PlacementKind, Namespace: "tenant-b", Name: "adopt"}, true, "outside its namespace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckScope(tt.bindingNS, tt.res, tt.placement, tt.namespaced)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("got %v, want an error with %q", err, tt.wantErr)
			}
		})
	}
}
