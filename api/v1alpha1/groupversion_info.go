package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

var (
	// GroupVersion is the API group and version of the Navarkos kinds.
	GroupVersion = schema.GroupVersion{Group: "n6s.io", Version: "v1alpha1"}

	// SchemeBuilder registers the Navarkos kinds with a runtime scheme.
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion}

	// AddToScheme adds the Navarkos kinds to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)
