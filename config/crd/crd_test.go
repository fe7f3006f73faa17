package crd

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
)

// TestGeneratedCRDsAreCurrent regenerates the CRDs from api/ and from the cluster inventory
// API's module, and compares them with the committed ones, so that a type change or a module
// upgrade without `make generate` fails here.
func TestGeneratedCRDsAreCurrent(t *testing.T) {
	for _, tt := range []struct {
		paths, dir string
		only       []string // the generated files that are committed; all when empty
	}{
		{"./api/...", "bases", nil},
		{"sigs.k8s.io/cluster-inventory-api/apis/v1alpha1", "inventory", []string{"multicluster.x-k8s.io_clusterprofiles.yaml"}},
	} {
		t.Run(tt.dir, func(t *testing.T) {
			out := t.TempDir()
			cmd := exec.Command("go", "tool", "controller-gen", "crd", "paths="+tt.paths, "output:crd:artifacts:config="+out)
			cmd.Dir = filepath.Join("..", "..")
			if msg, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("controller-gen failed: %v\n%s", err, msg)
			}
			committed, err := fs.Glob(Files, tt.dir+"/*.yaml")
			if err != nil {
				t.Fatal(err)
			}
			generated, err := filepath.Glob(filepath.Join(out, "*.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			if len(tt.only) > 0 {
				generated = slices.DeleteFunc(generated, func(p string) bool { return !slices.Contains(tt.only, filepath.Base(p)) })
			}
			if len(committed) != len(generated) {
				t.Fatalf("%d CRDs committed in %s, %d generated: run `make generate`", len(committed), tt.dir, len(generated))
			}
			for _, path := range generated {
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				got, err := Files.ReadFile(tt.dir + "/" + filepath.Base(path))
				if err != nil {
					t.Fatalf("CRD %s is not committed: run `make generate`", filepath.Base(path))
				}
				if !bytes.Equal(got, want) {
					t.Errorf("config/crd/%s/%s is stale: run `make generate`", tt.dir, filepath.Base(path))
				}
			}
		})
	}
}

// TestExtraArgsRuleIsThePattern: the CRD's rule on local.extraArgs and the local provider's
// own check use the same expression.
func TestExtraArgsRuleIsThePattern(t *testing.T) {
	raw, err := Files.ReadFile("bases/n6s.io_clusterpools.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), "a.matches('"+n6sv1alpha1.LocalExtraArgPattern+"')") {
		t.Fatal("the ClusterPool CRD's extraArgs rule is not v1alpha1.LocalExtraArgPattern; run make generate")
	}
}
