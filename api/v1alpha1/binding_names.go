package v1alpha1

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation"
)

// BindingPlacementIndex is the field index of Bindings by the placement that made them. Its
// values are PlacementIndexKey of spec.placement.
const BindingPlacementIndex = "spec.placement"

// BindingName names the Binding of a resource: kind-name in lower case, hashed when that
// is longer than an object name may be. A resource has one Binding in its namespace
// (SystemNamespace for a cluster-scoped one), whichever placement made it.
func BindingName(kind, name string) string {
	n := strings.ToLower(kind) + "-" + name
	if len(n) <= validation.DNS1123SubdomainMaxLength {
		return n
	}
	sum := sha256.Sum256([]byte(n))
	return n[:validation.DNS1123SubdomainMaxLength-17] + "-" + hex.EncodeToString(sum[:8])
}

// BindingKey is where the Binding of a fleet object lives: BindingName in the object's
// namespace, or in SystemNamespace for a cluster-scoped object.
func BindingKey(kind, namespace, name string) types.NamespacedName {
	if namespace == "" {
		namespace = SystemNamespace
	}
	return types.NamespacedName{Namespace: namespace, Name: BindingName(kind, name)}
}

// PlacementIndexKey is the value of BindingPlacementIndex for the Bindings of one placement.
func PlacementIndexKey(ref PlacementReference) string {
	return ref.Kind + "/" + ref.Namespace + "/" + ref.Name
}

// Truncate shortens s to at most n bytes for a field of bounded length, such as a reason or
// a message, ending it with "..." when cut and never cutting a UTF-8 character in two; n is at least 3.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := max(n-3, 0)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}
