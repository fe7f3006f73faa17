package setup

import (
	"errors"
	"fmt"
	"net/url"
	"syscall"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// The controllers wait for an API server that is not there yet, but not for one that refuses;
// controllers that do not install the CRDs also wait for the CRDs and their RBAC.
func TestUnreachableAndNotSetUpYet(t *testing.T) {
	pool := schema.GroupKind{Group: "n6s.io", Kind: "ClusterPool"}
	for _, tc := range []struct {
		name                  string
		err                   error
		unreachable, notSetUp bool
	}{
		{"connection refused", fmt.Errorf("failed to get server groups: %w", &url.Error{Op: "Get", URL: "https://127.0.0.1:6443/api", Err: syscall.ECONNREFUSED}), true, true},
		{"not serving yet", apierrors.NewServiceUnavailable("etcd is starting"), true, true},
		{"internal error", apierrors.NewInternalError(errors.New("storage not ready")), true, true},
		{"an invalid pool", apierrors.NewInvalid(pool, "eu", field.ErrorList{field.Invalid(field.NewPath("spec", "price"), "-1", "must not be negative")}), false, false},
		{"forbidden", apierrors.NewForbidden(schema.GroupResource{Group: "n6s.io", Resource: "clusterpools"}, "eu", errors.New("no")), false, true},
		{"no CRD yet", apierrors.NewNotFound(schema.GroupResource{Group: "apiextensions.k8s.io", Resource: "customresourcedefinitions"}, "placements.n6s.io"), false, true},
		{"kind not served yet", &meta.NoKindMatchError{GroupKind: pool, SearchedVersions: []string{"v1alpha1"}}, false, true},
		{"a file that does not parse", errors.New("pools.yaml, document 2: yaml: line 3: did not find expected key"), false, false},
	} {
		if got := Unreachable(tc.err); got != tc.unreachable {
			t.Errorf("%s: Unreachable = %t, want %t", tc.name, got, tc.unreachable)
		}
		if got := NotSetUpYet(tc.err); got != tc.notSetUp {
			t.Errorf("%s: NotSetUpYet = %t, want %t", tc.name, got, tc.notSetUp)
		}
	}
}
