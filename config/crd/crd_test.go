package crd

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestGeneratedCRDsAreCurrent regenerates the CRDs from api/ and compares them with the
// committed ones, so that a type change without `make generate` fails here.
func TestGeneratedCRDsAreCurrent(t *testing.T) {
	out := t.TempDir()
	cmd := exec.Command("go", "tool", "controller-gen", "crd", "paths=./api/...", "output:crd:artifacts:config="+out)
	cmd.Dir = filepath.Join("..", "..")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("controller-gen failed: %v\n%s", err, msg)
	}
	committed, err := fs.Glob(Files, "bases/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	generated, err := filepath.Glob(filepath.Join(out, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(committed) != len(generated) {
		t.Fatalf("%d CRDs committed, %d generated: run `make generate`", len(committed), len(generated))
	}
	for _, path := range generated {
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Files.ReadFile("bases/" + filepath.Base(path))
		if err != nil {
			t.Fatalf("CRD %s is not committed: run `make generate`", filepath.Base(path))
		}
		if !bytes.Equal(got, want) {
			t.Errorf("config/crd/bases/%s is stale: run `make generate`", filepath.Base(path))
		}
	}
}
