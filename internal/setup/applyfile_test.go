package setup_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/setup"
	"github.com/navarkos/navarkos/internal/testenv"
)

// The pools a control-plane release declares are applied, and the API's refusal of a bad
// one names the document and the field.
func TestApplyFile(t *testing.T) {
	env, cfg, err := testenv.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	c, err := client.New(cfg, client.Options{Scheme: setup.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	pool := func(name, price string) string {
		return `apiVersion: n6s.io/v1alpha1
kind: ClusterPool
metadata: {name: ` + name + `}
spec:
  provider: static
  region: eu-west
  nodeShape: {cpu: "8", memory: 32Gi, pods: 110}
  price: {perNodeHour: "` + price + `"}
  clusters: {max: 2}
  nodesPerCluster: {min: 3, max: 3}
`
	}
	dir := t.TempDir()
	good := filepath.Join(dir, "pools.yaml")
	if err := os.WriteFile(good, []byte("---\n"+pool("a", "0.4")+"---\n"+pool("b", "0.5")), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := setup.ApplyFile(t.Context(), c, good); err != nil {
		t.Fatal(err)
	}
	// Applying again changes nothing and fails nothing.
	if err := setup.ApplyFile(t.Context(), c, good); err != nil {
		t.Fatal(err)
	}
	pools := &n6sv1alpha1.ClusterPoolList{}
	if err := c.List(t.Context(), pools); err != nil || len(pools.Items) != 2 {
		t.Fatalf("want the 2 pools of the file, got %d (%v)", len(pools.Items), err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte(pool("c", "0.4")+"---\n"+pool("d", "-1")), 0o600); err != nil {
		t.Fatal(err)
	}
	err = setup.ApplyFile(t.Context(), c, bad)
	if err == nil || !strings.Contains(err.Error(), "document 2 (ClusterPool d)") || !strings.Contains(err.Error(), "perNodeHour must not be negative") {
		t.Fatalf("a negative price was not refused with the document and the field: %v", err)
	}
}
