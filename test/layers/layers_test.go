package layers

import (
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"strings"
	"testing"

	"github.com/navarkos/navarkos/internal/testenv"
)

const module = "github.com/navarkos/navarkos/"

// pkg is what `go list` says of one package of the module.
type pkg struct {
	ImportPath                string
	Deps, Imports             []string
	TestImports, XTestImports []string
}

// listPackages runs `go list -deps` over the whole module.
func listPackages(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json=ImportPath,Deps,Imports,TestImports,XTestImports", "./...")
	cmd.Dir = testenv.RepoRoot()
	out, err := cmd.Output()
	if err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			t.Fatalf("go list failed: %v\n%s", err, exit.Stderr)
		}
		t.Fatalf("go list failed: %v", err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("go list printed what does not decode: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 20 {
		t.Fatalf("go list found %d packages in the module; expected the whole module", len(pkgs))
	}
	return pkgs
}

// under reports whether a package path is dir or inside it, dir being relative to the module.
func under(path, dir string) bool {
	rel, ok := strings.CutPrefix(path, module)
	return ok && (rel == dir || strings.HasPrefix(rel, dir+"/"))
}

// childOf is the child of dir (relative to the module) that a package path is in, as
// "dir/X", or "" when the path is not inside dir.
func childOf(path, dir string) string {
	rel, ok := strings.CutPrefix(path, module+dir+"/")
	if !ok {
		return ""
	}
	name, _, _ := strings.Cut(rel, "/")
	return dir + "/" + name
}

// controllerOf is the controller package a path belongs to ("internal/controller/X"), or "".
func controllerOf(path string) string { return childOf(path, "internal/controller") }

// commandOf is the command package a path belongs to ("internal/cli/cmd/X"), or "".
func commandOf(path string) string { return childOf(path, "internal/cli/cmd") }

// violations lists the packages that break the rules of the layers:
//   - no controller depends on another controller;
//   - no package under internal/ outside internal/cli depends on internal/cli, nor do its tests import it;
//   - no command imports another command;
//   - bench/ and test/ import neither commands nor controllers: only libraries;
//   - nothing outside bench/ and test/ imports bench/, nor do its tests: the product holds
//     what it ships.
func violations(pkgs []pkg) []string {
	var out []string
	for _, p := range pkgs {
		tests := append(append([]string{}, p.TestImports...), p.XTestImports...)
		if own := controllerOf(p.ImportPath); own != "" {
			for _, d := range p.Deps {
				if other := controllerOf(d); other != "" && other != own {
					out = append(out, "controller "+p.ImportPath+" depends on controller "+d)
				}
			}
		}
		if under(p.ImportPath, "internal") && !under(p.ImportPath, "internal/cli") {
			for _, d := range append(p.Deps, tests...) {
				if under(d, "internal/cli") {
					out = append(out, "library "+p.ImportPath+" (or its tests) depends on "+d+", a part of the CLI")
				}
			}
		}
		if own := commandOf(p.ImportPath); own != "" {
			for _, d := range append(p.Imports, tests...) {
				if other := commandOf(d); other != "" && other != own {
					out = append(out, "command "+p.ImportPath+" imports command "+d+"; share a library instead")
				}
			}
		}
		if !under(p.ImportPath, "bench") && !under(p.ImportPath, "test") {
			for _, d := range append(p.Imports, tests...) {
				if under(d, "bench") {
					out = append(out, p.ImportPath+" imports "+d+"; the product imports nothing from bench/")
				}
			}
		}
		if under(p.ImportPath, "bench") || under(p.ImportPath, "test") {
			for _, d := range append(p.Imports, tests...) {
				if under(d, "internal/cli") || under(d, "internal/controller") {
					out = append(out, p.ImportPath+" imports "+d+"; bench/ and test/ import only libraries")
				}
			}
		}
	}
	return out
}

// TestLayers holds the module's own packages to the rules of the layers.
func TestLayers(t *testing.T) {
	for _, v := range violations(listPackages(t)) {
		t.Error(v)
	}
}

// TestLayersSeeCrossings feeds the rules one package list per crossing, each of which must be
// reported, and one that crosses nothing.
func TestLayersSeeCrossings(t *testing.T) {
	m := func(rel string) string { return module + rel }
	tests := []struct {
		name string
		pkg  pkg
		want int
	}{
		{"controller to controller, through a library", pkg{ImportPath: m("internal/controller/a"), Deps: []string{m("internal/lib"), m("internal/controller/b")}}, 1},
		{"a controller's own subpackage", pkg{ImportPath: m("internal/controller/a"), Deps: []string{m("internal/controller/a/sub")}}, 0},
		{"library to a command", pkg{ImportPath: m("internal/lib"), Deps: []string{m("internal/cli/cmd/plan")}}, 1},
		{"library test to the CLI options", pkg{ImportPath: m("internal/lib"), XTestImports: []string{m("internal/cli/options")}}, 1},
		{"a package named like the CLI", pkg{ImportPath: m("internal/clients"), Deps: []string{m("internal/client")}}, 0},
		{"command to command", pkg{ImportPath: m("internal/cli/cmd/explain"), Imports: []string{m("internal/cli/cmd/plan")}}, 1},
		{"command to library", pkg{ImportPath: m("internal/cli/cmd/explain"), Imports: []string{m("internal/report"), m("internal/cli/options")}}, 0},
		{"bench to a controller", pkg{ImportPath: m("bench/lifecycle"), Imports: []string{m("internal/controller/cluster")}}, 1},
		{"e2e test to a command", pkg{ImportPath: m("test/e2e"), TestImports: []string{m("internal/cli/cmd/kubeconfig")}}, 1},
		{"the product to bench", pkg{ImportPath: m("internal/dashboard"), Imports: []string{m("bench/traces")}}, 1},
		{"a product test to bench", pkg{ImportPath: m("internal/simulate"), XTestImports: []string{m("bench/internal/stats")}}, 1},
		{"a command to bench", pkg{ImportPath: m("cmd/navarkos"), Imports: []string{m("bench/planner")}}, 1},
		{"bench to bench", pkg{ImportPath: m("bench/planner-ensemble"), Imports: []string{m("bench/internal/stats")}}, 0},
		{"a package named like bench", pkg{ImportPath: m("internal/benchmark"), Imports: []string{m("internal/benchmarks")}}, 0},
		{"e2e test to libraries", pkg{ImportPath: m("test/e2e"), TestImports: []string{m("internal/member"), m("internal/setup")}}, 0},
	}
	for _, tt := range tests {
		if got := violations([]pkg{tt.pkg}); len(got) != tt.want {
			t.Errorf("%s: %d violations %q, want %d", tt.name, len(got), got, tt.want)
		}
	}
}
