// Package charts embeds the Helm charts Navarkos ships, so that `navarkos fn install` needs
// neither the helm binary nor a checkout, and renders them with the Helm SDK.
package charts

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/loader/archive"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	release "helm.sh/helm/v4/pkg/release/v1"
	repo "helm.sh/helm/v4/pkg/repo/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// The ci/ directories hold the values files of the chart tests; they are not part of the charts.
//
//go:embed all:fn all:navarkos
var embedded embed.FS

const (
	// Fn is the chart of the Fn serverless platform.
	Fn = "fn"
	// Navarkos is the chart of the Navarkos control plane.
	Navarkos = "navarkos"
)

// Load returns an embedded chart by name (Fn or Navarkos).
func Load(name string) (*chart.Chart, error) {
	var files []*archive.BufferedFile
	err := fs.WalkDir(embedded, name, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(p, name+"/")
		if d.IsDir() {
			if rel == "ci" {
				return fs.SkipDir
			}
			return nil
		}
		data, err := embedded.ReadFile(p)
		if err != nil {
			return err
		}
		files = append(files, &archive.BufferedFile{Name: rel, Data: data})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("chart %q is not embedded: %w", name, err)
	}
	return loader.LoadFiles(files)
}

// LoadDir loads a chart from a directory, for a chart other than the embedded one.
func LoadDir(dir string) (*chart.Chart, error) { return loader.LoadDir(dir) }

// KubeVersion is the Kubernetes version charts are rendered for when no cluster is asked.
var KubeVersion = common.KubeVersion{Version: "v1.37.2", Major: "1", Minor: "37"}

// Rendered is a chart rendered without a cluster: its objects, its hooks and its notes.
type Rendered struct {
	// Manifest is the rendered text of the objects.
	Manifest string
	Objects  []*unstructured.Unstructured
	Hooks    []*unstructured.Unstructured
	Notes    string
}

// Render renders a chart as `helm template` does: values checked by the chart's schema,
// no cluster contacted. Every object gets the release namespace when it has none.
func Render(ctx context.Context, ch *chart.Chart, releaseName, namespace string, values map[string]any) (*Rendered, error) {
	install := action.NewInstall(action.NewConfiguration())
	install.DryRunStrategy = action.DryRunClient
	install.ReleaseName = releaseName
	install.Namespace = namespace
	install.Replace = true
	install.KubeVersion = &KubeVersion
	rel, err := install.RunWithContext(ctx, ch, values)
	if err != nil {
		return nil, err
	}
	r, ok := rel.(*release.Release)
	if !ok {
		return nil, fmt.Errorf("unexpected release type %T", rel)
	}
	out := &Rendered{Manifest: r.Manifest, Notes: r.Info.Notes}
	if out.Objects, err = Decode(r.Manifest, namespace); err != nil {
		return nil, err
	}
	for _, h := range r.Hooks {
		objs, err := Decode(h.Manifest, namespace)
		if err != nil {
			return nil, fmt.Errorf("hook %s: %w", h.Path, err)
		}
		out.Hooks = append(out.Hooks, objs...)
	}
	return out, nil
}

// Decode splits a multi-document manifest into objects.
func Decode(manifest, namespace string) ([]*unstructured.Unstructured, error) {
	var objs []*unstructured.Unstructured
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewBufferString(manifest), 4096)
	for {
		u := &unstructured.Unstructured{}
		if err := dec.Decode(&u.Object); err != nil {
			if err == io.EOF {
				return objs, nil
			}
			return nil, fmt.Errorf("failed to decode the rendered manifest: %w", err)
		}
		if len(u.Object) == 0 {
			continue
		}
		if u.GetNamespace() == "" && namespaced(u.GetKind()) {
			u.SetNamespace(namespace)
		}
		objs = append(objs, u)
	}
}

// namespaced says whether a kind the charts render lives in a namespace.
func namespaced(kind string) bool {
	switch kind {
	case "Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "StorageClass", "PersistentVolume", "ClusterPool":
		return false
	}
	return true
}

// PackageRepository packages chart directories into dest as a chart repository: one archive
// per chart and an index.yaml whose URLs are under baseURL (empty: relative URLs). It returns
// the index.
func PackageRepository(chartDirs []string, dest, baseURL string) (*repo.IndexFile, error) {
	if err := os.MkdirAll(dest, 0o755); err != nil {
		return nil, err
	}
	for _, dir := range chartDirs {
		p := action.NewPackage()
		p.Destination = dest
		if _, err := p.Run(dir, nil); err != nil {
			return nil, fmt.Errorf("failed to package chart %s: %w", dir, err)
		}
	}
	index, err := repo.IndexDirectory(dest, baseURL)
	if err != nil {
		return nil, fmt.Errorf("failed to index %s: %w", dest, err)
	}
	index.SortEntries()
	if err := index.WriteFile(filepath.Join(dest, "index.yaml"), 0o644); err != nil {
		return nil, err
	}
	return index, nil
}
