package placement

import (
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

func TestResourceRequestRoundTrip(t *testing.T) {
	tests := []struct {
		gvk  schema.GroupVersionKind
		key  client.ObjectKey
		want string
	}{
		{schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}, client.ObjectKey{Namespace: "shop", Name: "web"}, "p/Deployment.apps/v1/shop/web"},
		{schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}, client.ObjectKey{Namespace: "shop", Name: "cfg"}, "p/ConfigMap/v1/shop/cfg"},
		{schema.GroupVersionKind{Version: "v1", Kind: "Namespace"}, client.ObjectKey{Name: "team-a"}, "p/Namespace/v1//team-a"},
	}
	for _, tt := range tests {
		name := resourceRequestName("p", tt.gvk, tt.key.Namespace, tt.key.Name)
		if name != tt.want {
			t.Errorf("resourceRequestName = %q, want %q", name, tt.want)
		}
		p, gvk, key, ok := parseResourceRequest(name)
		if !ok || p != "p" || gvk != tt.gvk || key != tt.key {
			t.Errorf("parseResourceRequest(%q) = %q %v %v %v", name, p, gvk, key, ok)
		}
	}
	if _, _, _, ok := parseResourceRequest("web"); ok {
		t.Error("a placement name alone is a whole-placement request")
	}
}
