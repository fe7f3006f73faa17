package charts

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/cli"
	"helm.sh/helm/v4/pkg/getter"
	repo "helm.sh/helm/v4/pkg/repo/v1"
)

// TestChartRepository packages both charts as a repository, serves it over loopback HTTP, and
// finds, downloads, checks and renders each chart as `helm repo add` and `helm install` would.
func TestChartRepository(t *testing.T) {
	t.Setenv("HELM_CACHE_HOME", t.TempDir())
	dir := t.TempDir()
	if _, err := PackageRepository([]string{Fn, Navarkos}, dir, ""); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	t.Cleanup(srv.Close)
	getters := getter.All(cli.New())
	httpGetter, err := getters.ByScheme("http")
	if err != nil {
		t.Fatal(err)
	}
	indexBuf, err := httpGetter.Get(srv.URL + "/index.yaml")
	if err != nil {
		t.Fatal(err)
	}
	index, err := repo.LoadIndexFile(writeTemp(t, indexBuf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	for name, ns := range chartNamespaces {
		url, err := repo.FindChartInRepoURL(srv.URL, name, getters)
		if err != nil {
			t.Fatalf("chart %s is not in the repository: %v", name, err)
		}
		archive, err := httpGetter.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		version, err := index.Get(name, "")
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(archive.Bytes())
		if hex.EncodeToString(sum[:]) != version.Digest {
			t.Errorf("chart %s: the archive does not match the index's digest", name)
		}
		ch, err := loader.LoadArchive(archive)
		if err != nil {
			t.Fatalf("chart %s: the archive does not load: %v", name, err)
		}
		for _, f := range ch.Raw {
			if strings.HasPrefix(f.Name, "ci/") {
				t.Errorf("chart %s: the archive holds test values %s", name, f.Name)
			}
		}
		if _, err := Render(t.Context(), ch, name, ns, nil); err != nil {
			t.Errorf("chart %s from the repository does not render: %v", name, err)
		}
	}
}

func writeTemp(t *testing.T, data []byte) string {
	t.Helper()
	path := t.TempDir() + "/index.yaml"
	writeFile(t, path, data)
	return path
}
