package setup_test

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/setup"
	"github.com/navarkos/navarkos/internal/testenv"
)

// TestLegacyBindingsAreRemoved: a fleet from before the rename to ResourceBinding has the
// bindings.n6s.io CRD with Bindings that carry the propagation finalizer, which nothing serves
// any more; installing the CRDs deletes that CRD and its objects instead of leaving them stuck.
func TestLegacyBindingsAreRemoved(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	_, c := testenv.StartForTest(t, setup.Scheme(), nil)
	legacy := &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: "bindings.n6s.io"},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: n6sv1alpha1.GroupVersion.Group, Scope: apiextensionsv1.NamespaceScoped,
			Names: apiextensionsv1.CustomResourceDefinitionNames{Plural: "bindings", Singular: "binding", Kind: "Binding", ListKind: "BindingList"},
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{Name: "v1alpha1", Served: true, Storage: true,
				Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{Type: "object", XPreserveUnknownFields: ptr.To(true)}}}},
		},
	}
	g.Expect(c.Create(ctx, legacy)).To(Succeed())
	old := &unstructured.Unstructured{}
	old.SetGroupVersionKind(n6sv1alpha1.GroupVersion.WithKind("Binding"))
	old.SetNamespace("default")
	old.SetName("deployment-web")
	old.SetFinalizers([]string{n6sv1alpha1.BindingFinalizer})
	g.Eventually(func() error { return c.Create(ctx, old) }, 30*time.Second, 100*time.Millisecond).Should(Succeed(), "waiting for the legacy CRD to be served")

	g.Expect(setup.InstallCRDs(ctx, c)).To(Succeed())
	g.Eventually(func() bool {
		return apierrors.IsNotFound(c.Get(ctx, client.ObjectKey{Name: "bindings.n6s.io"}, &apiextensionsv1.CustomResourceDefinition{}))
	}, 30*time.Second, 100*time.Millisecond).Should(BeTrue(), "waiting for the legacy CRD to go")
	// Installing again, with nothing left to remove, changes nothing.
	g.Expect(setup.InstallCRDs(ctx, c)).To(Succeed())
}
