package setup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/config/crd"
)

// fieldOwner is the field manager Navarkos applies its own objects with.
const fieldOwner = client.FieldOwner("navarkos")

// CRDs returns the fleet API's CustomResourceDefinitions.
func CRDs() ([]*apiextensionsv1.CustomResourceDefinition, error) {
	paths, err := fs.Glob(crd.Files, "*/*.yaml")
	if err != nil {
		return nil, err
	}
	var out []*apiextensionsv1.CustomResourceDefinition
	for _, p := range paths {
		raw, err := crd.Files.ReadFile(p)
		if err != nil {
			return nil, err
		}
		c := &apiextensionsv1.CustomResourceDefinition{}
		if err := yaml.UnmarshalStrict(raw, c); err != nil {
			return nil, fmt.Errorf("failed to parse CRD %s: %w", p, err)
		}
		c.SetGroupVersionKind(apiextensionsv1.SchemeGroupVersion.WithKind("CustomResourceDefinition"))
		out = append(out, c)
	}
	return out, nil
}

// Apply applies obj, with its apiVersion and kind set, by server-side apply as the setup's
// field owner.
func Apply(ctx context.Context, c client.Client, obj client.Object, opts ...client.ApplyOption) error {
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return err
	}
	return c.Apply(ctx, client.ApplyConfigurationFromUnstructured(&unstructured.Unstructured{Object: u}), append([]client.ApplyOption{fieldOwner}, opts...)...)
}

// InstallCRDs applies the CRDs and the system namespace, waits until the CRDs are served, and
// applies the Bindings' admission policy and the tenants' roles of the Navarkos kinds.
func InstallCRDs(ctx context.Context, c client.Client) error {
	crds, err := CRDs()
	if err != nil {
		return err
	}
	for _, obj := range crds {
		if err := Apply(ctx, c, obj, client.ForceOwnership); err != nil {
			return fmt.Errorf("failed to apply CRD %s: %w", obj.Name, err)
		}
	}
	ns := &corev1.Namespace{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"}, ObjectMeta: metav1.ObjectMeta{Name: n6sv1alpha1.SystemNamespace}}
	if err := Apply(ctx, c, ns); err != nil {
		return fmt.Errorf("failed to apply namespace %s: %w", ns.Name, err)
	}
	if err := waitForCRDs(ctx, c, crds...); err != nil {
		return err
	}
	if err := installBindingPolicy(ctx, c); err != nil {
		return err
	}
	if err := applyAll(ctx, c, TenantRoles()...); err != nil {
		return err
	}
	return removeLegacyBindings(ctx, c)
}

// legacyBindingCRD is the CRD of ResourceBindings under their first name, Binding, which
// kubectl confused with the core v1 bindings resource.
const legacyBindingCRD = "bindings.n6s.io"

// removeLegacyBindings deletes the CRD of an older fleet's Bindings and, first, their
// finalizers: no controller serves them any more. The ResourceBindings that replace them have
// the same names, so the member objects they marked stay Navarkos' and nothing is removed.
func removeLegacyBindings(ctx context.Context, c client.Client) error {
	crd := &apiextensionsv1.CustomResourceDefinition{}
	if err := c.Get(ctx, client.ObjectKey{Name: legacyBindingCRD}, crd); err != nil {
		return client.IgnoreNotFound(err)
	}
	list := &unstructured.UnstructuredList{}
	list.SetGroupVersionKind(n6sv1alpha1.GroupVersion.WithKind("BindingList"))
	if err := c.List(ctx, list); err != nil {
		return fmt.Errorf("failed to list the legacy Bindings: %w", err)
	}
	for i := range list.Items {
		b := &list.Items[i]
		if len(b.GetFinalizers()) == 0 {
			continue
		}
		patch := client.MergeFrom(b.DeepCopy())
		b.SetFinalizers(nil)
		if err := c.Patch(ctx, b, patch); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("failed to release the legacy Binding %s/%s: %w", b.GetNamespace(), b.GetName(), err)
		}
	}
	if err := c.Delete(ctx, crd); client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("failed to delete the legacy CRD %s: %w", legacyBindingCRD, err)
	}
	return nil
}

// CRDsServed reports, with an error that NotSetUpYet accepts, whether the API server serves
// every Navarkos CRD: for controllers that do not install them.
func CRDsServed(ctx context.Context, c client.Client) error {
	crds, err := CRDs()
	if err != nil {
		return err
	}
	for _, want := range crds {
		got := &apiextensionsv1.CustomResourceDefinition{}
		if err := c.Get(ctx, client.ObjectKeyFromObject(want), got); err != nil {
			return fmt.Errorf("CRD %s: %w", want.Name, err)
		}
		if !established(got) {
			return apierrors.NewNotFound(apiextensionsv1.Resource("customresourcedefinitions"), want.Name+" (not established yet)")
		}
	}
	return nil
}

// waitForCRDs waits, up to a minute, until the API server serves each CRD.
func waitForCRDs(ctx context.Context, c client.Client, crds ...*apiextensionsv1.CustomResourceDefinition) error {
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		for _, want := range crds {
			got := &apiextensionsv1.CustomResourceDefinition{}
			if err := c.Get(ctx, client.ObjectKeyFromObject(want), got); err != nil {
				return false, client.IgnoreNotFound(err)
			}
			if !established(got) {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("waiting for the CRDs to be served: %w", err)
	}
	return nil
}

func established(c *apiextensionsv1.CustomResourceDefinition) bool {
	for _, cond := range c.Status.Conditions {
		if cond.Type == apiextensionsv1.Established {
			return cond.Status == apiextensionsv1.ConditionTrue
		}
	}
	return false
}

// EnsureObjects creates each object that does not exist yet and leaves existing ones as users changed them.
func EnsureObjects(ctx context.Context, c client.Client, objs ...client.Object) error {
	for _, o := range objs {
		if err := c.Create(ctx, o); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("failed to create %T %s: %w", o, o.GetName(), err)
		}
	}
	return nil
}

// ApplyFile applies every object of a YAML file to the fleet API, e.g. the ClusterPools a
// Helm release of the control plane declares. The API validates each one.
func ApplyFile(ctx context.Context, c client.Client, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	dec := utilyaml.NewYAMLOrJSONDecoder(f, 4096)
	for n := 1; ; n++ {
		u := &unstructured.Unstructured{}
		if err := dec.Decode(&u.Object); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("%s, document %d: %w", path, n, err)
		}
		if len(u.Object) == 0 {
			continue
		}
		if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), fieldOwner, client.ForceOwnership); err != nil {
			return fmt.Errorf("%s, document %d (%s %s): %w", path, n, u.GetKind(), u.GetName(), err)
		}
	}
}
