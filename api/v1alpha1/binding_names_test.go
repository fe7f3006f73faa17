package v1alpha1

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestBindingName(t *testing.T) {
	if got := BindingName("Deployment", "web"); got != "deployment-web" {
		t.Errorf("BindingName = %q, want deployment-web", got)
	}
	long := strings.Repeat("a", 300)
	a, b := BindingName("ConfigMap", long), BindingName("ConfigMap", long+"b")
	if len(a) > 253 || len(b) > 253 || a == b {
		t.Errorf("long names must hash to distinct names of at most 253 bytes: %q (%d), %q (%d)", a, len(a), b, len(b))
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly-10", 10, "exactly-10"},
		{"a longer message", 10, "a longe..."},
		{"ééééé", 8, "éé..."}, // 10 bytes: the cut falls inside the third é, which goes whole
	}
	for _, tt := range tests {
		got := Truncate(tt.in, tt.n)
		if got != tt.want || !utf8.ValidString(got) {
			t.Errorf("Truncate(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

func TestBindingKey(t *testing.T) {
	if got := BindingKey("Deployment", "shop", "web"); got.Namespace != "shop" || got.Name != "deployment-web" {
		t.Errorf("BindingKey of a namespaced object = %v, want shop/deployment-web", got)
	}
	if got := BindingKey("Namespace", "", "team-a"); got.Namespace != SystemNamespace || got.Name != "namespace-team-a" {
		t.Errorf("BindingKey of a cluster-scoped object = %v, want %s/namespace-team-a", got, SystemNamespace)
	}
}
