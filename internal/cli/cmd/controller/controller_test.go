package controller

import (
	"errors"
	"fmt"
	"net/url"
	"syscall"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// The controllers wait for an API server that is not there yet, but not for one that refuses.
func TestUnreachable(t *testing.T) {
	pool := schema.GroupKind{Group: "n6s.io", Kind: "ClusterPool"}
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"connection refused", fmt.Errorf("failed to get server groups: %w", &url.Error{Op: "Get", URL: "https://127.0.0.1:6443/api", Err: syscall.ECONNREFUSED}), true},
		{"not serving yet", apierrors.NewServiceUnavailable("etcd is starting"), true},
		{"internal error", apierrors.NewInternalError(errors.New("storage not ready")), true},
		{"an invalid pool", apierrors.NewInvalid(pool, "eu", field.ErrorList{field.Invalid(field.NewPath("spec", "price"), "-1", "must not be negative")}), false},
		{"forbidden", apierrors.NewForbidden(schema.GroupResource{Group: "n6s.io", Resource: "clusterpools"}, "eu", errors.New("no")), false},
		{"a file that does not parse", errors.New("pools.yaml, document 2: yaml: line 3: did not find expected key"), false},
	} {
		if got := unreachable(tc.err); got != tc.want {
			t.Errorf("%s: unreachable = %t, want %t", tc.name, got, tc.want)
		}
	}
}
