package docs

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/setup"
	"github.com/navarkos/navarkos/internal/testenv"
)

// example is one YAML document the documents show or apply, with where.
type example struct {
	where string
	yaml  string
}

// examplesFile names the files the documents apply with `kubectl apply -f`.
var examplesFile = regexp.MustCompile(`-f\s+(examples/\S+\.ya?ml)`)

// examples are the YAML documents of README.md and docs/: their yaml blocks, the heredocs
// of their shell blocks, and the example files they apply.
func examples(t *testing.T) []example {
	t.Helper()
	var out []example
	add := func(where, text string) {
		for i, doc := range strings.Split(text, "\n---") {
			if strings.TrimSpace(doc) != "" {
				out = append(out, example{where: fmt.Sprintf("%s, document %d", where, i+1), yaml: doc})
			}
		}
	}
	files := map[string]bool{}
	for _, d := range documents(t) {
		for _, b := range d.blocks() {
			where := d.path + ":" + strconv.Itoa(b.line)
			if b.info == "yaml" {
				add(where, strings.Join(b.lines, "\n"))
			}
			for _, h := range heredocs(b.lines) {
				add(where, h)
			}
			for _, l := range b.lines {
				for _, m := range examplesFile.FindAllStringSubmatch(l, -1) {
					files[m[1]] = true
				}
			}
		}
	}
	for f := range files {
		data, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), f))
		if err != nil {
			t.Errorf("the documents apply %s: %v", f, err)
			continue
		}
		add(f, string(data))
	}
	return out
}

// heredocs are the bodies of the `<<'EOF'` heredocs in a shell block.
func heredocs(lines []string) []string {
	var out []string
	var body []string
	open := false
	for _, l := range lines {
		switch {
		case !open && (strings.Contains(l, "<<'EOF'") || strings.Contains(l, "<<EOF")):
			open, body = true, nil
		case open && strings.TrimSpace(l) == "EOF":
			open = false
			out = append(out, strings.Join(body, "\n"))
		case open:
			body = append(body, l)
		}
	}
	return out
}

// TestYAMLExamplesAreAccepted: the API server, with the Navarkos CRDs, accepts every object
// of the documents' YAML examples on a dry run with strict field validation: no unknown
// field, no value the OpenAPI schema or a CEL rule refuses. Fragments of an object (no
// apiVersion and kind) are checked by TestNamedFieldsExist's paths instead.
func TestYAMLExamplesAreAccepted(t *testing.T) {
	_, c := testenv.StartForTest(t, setup.Scheme(), nil)
	checked := 0
	for _, e := range examples(t) {
		var u unstructured.Unstructured
		if err := yaml.Unmarshal([]byte(e.yaml), &u.Object); err != nil {
			t.Errorf("%s: not YAML: %v", e.where, err)
			continue
		}
		if u.GetAPIVersion() == "" || u.GetKind() == "" {
			continue
		}
		if err := dryRunCreate(t, c, &u); err != nil {
			t.Errorf("%s: the API server refuses %s %q: %v", e.where, u.GetKind(), u.GetName(), err)
		}
		checked++
	}
	if checked < 6 {
		t.Errorf("checked %d objects; the documents show more", checked)
	}
	t.Logf("%d objects accepted", checked)
}

// dryRunCreate creates u on a dry run with strict field validation, in its namespace (made
// for real first) or in default. A kind the server does not serve is an error only in the
// Navarkos API group: the documents may show other projects' objects.
func dryRunCreate(t *testing.T, c client.Client, u *unstructured.Unstructured) error {
	t.Helper()
	scoped, err := c.IsObjectNamespaced(u)
	if meta.IsNoMatchError(err) && u.GroupVersionKind().Group != n6sv1alpha1.GroupVersion.Group {
		t.Logf("%s of %s is not served here; not checked", u.GetKind(), u.GetAPIVersion())
		return nil
	}
	if err != nil {
		return err
	}
	if scoped {
		if u.GetNamespace() == "" {
			u.SetNamespace(metav1.NamespaceDefault)
		}
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: u.GetNamespace()}}
		if err := c.Create(t.Context(), ns); err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
	}
	err = c.Create(t.Context(), u, client.DryRunAll, client.FieldValidation("Strict"))
	if apierrors.IsAlreadyExists(err) {
		return nil // validated, then found made by an earlier example
	}
	return err
}

// fieldPath is inline code that reads as a field path of an object: spec.nodes,
// status.measuredTimeToCapacity, provisioning.pools.
var fieldPath = regexp.MustCompile(`^[a-z][A-Za-z0-9]*(\.[a-z][A-Za-z0-9]*)+$`)

// TestNamedFieldsExist: every field path that the documents name in inline code, from
// spec or status, or from a field of a CRD's spec (provisioning.pools), is a field of some
// Navarkos CRD.
func TestNamedFieldsExist(t *testing.T) {
	schemas := crdSchemas(t)
	tops := map[string]bool{"spec": true, "status": true}
	for _, s := range schemas {
		for name := range s.Properties["spec"].Properties {
			tops[name] = true
		}
	}
	checked := 0
	for _, d := range documents(t) {
		for _, s := range d.spans() {
			if !fieldPath.MatchString(s.text) || !tops[strings.Split(s.text, ".")[0]] {
				continue
			}
			if !resolves(schemas, strings.Split(s.text, ".")) && !coreField[s.text] {
				t.Errorf("%s:%d: `%s` is a field of no Navarkos CRD", d.path, s.line, s.text)
			}
			checked++
		}
	}
	if checked < 8 {
		t.Errorf("checked %d field paths; the documents name more", checked)
	}
	t.Logf("%d field paths found", checked)
}

// coreField are the fields of Kubernetes's own kinds that the documents name.
var coreField = map[string]bool{"spec.replicas": true}

// crdSchemas are the OpenAPI schemas of the Navarkos CRDs, one per kind and version.
func crdSchemas(t *testing.T) []apiextensionsv1.JSONSchemaProps {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(testenv.RepoRoot(), "config", "crd", "bases", "*.yaml"))
	if err != nil || len(files) < 5 {
		t.Fatalf("found %d CRDs (%v)", len(files), err)
	}
	var out []apiextensionsv1.JSONSchemaProps
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var crd apiextensionsv1.CustomResourceDefinition
		if err := yaml.Unmarshal(data, &crd); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, v := range crd.Spec.Versions {
			if v.Schema != nil && v.Schema.OpenAPIV3Schema != nil {
				out = append(out, *v.Schema.OpenAPIV3Schema)
			}
		}
	}
	return out
}

// resolves reports whether path is a field of some schema, from its root or from its spec.
func resolves(schemas []apiextensionsv1.JSONSchemaProps, path []string) bool {
	for _, s := range schemas {
		if fieldOf(s, path) || fieldOf(s.Properties["spec"], path) {
			return true
		}
	}
	return false
}

// fieldOf reports whether path names a field within s, through arrays' items.
func fieldOf(s apiextensionsv1.JSONSchemaProps, path []string) bool {
	for _, name := range path {
		for s.Items != nil && s.Items.Schema != nil {
			s = *s.Items.Schema
		}
		next, ok := s.Properties[name]
		if !ok {
			return false
		}
		s = next
	}
	return true
}
