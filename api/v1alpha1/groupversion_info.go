package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	// GroupVersion is the API group and version of the Navarkos kinds.
	GroupVersion = schema.GroupVersion{Group: "n6s.io", Version: "v1alpha1"}

	// SchemeBuilder registers the Navarkos kinds with a runtime scheme.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)

	// AddToScheme adds the Navarkos kinds to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme

	// kinds are the group's objects, each kind's file adding its own (see register).
	kinds []runtime.Object
)

// register adds objects to the kinds AddToScheme registers; it runs from init functions only.
func register(objects ...runtime.Object) { kinds = append(kinds, objects...) }

func addKnownTypes(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion, kinds...)
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}
