package member

import (
	"errors"
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestNamespaceGone(t *testing.T) {
	terminating := &apierrors.StatusError{ErrStatus: metav1.Status{
		Status: metav1.StatusFailure, Code: 403, Reason: metav1.StatusReasonForbidden,
		Details: &metav1.StatusDetails{Causes: []metav1.StatusCause{{Type: corev1.NamespaceTerminatingCause, Field: "metadata.namespace"}}},
	}}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"the namespace is not found", apierrors.NewNotFound(schema.GroupResource{Resource: "namespaces"}, "tenant-a"), true},
		{"wrapped", fmt.Errorf("apply: %w", apierrors.NewNotFound(schema.GroupResource{Resource: "namespaces"}, "tenant-a")), true},
		{"the namespace is being deleted", terminating, true},
		{"another kind is not found", apierrors.NewNotFound(schema.GroupResource{Group: "apps", Resource: "deployments"}, "web"), false},
		{"forbidden", apierrors.NewForbidden(schema.GroupResource{Resource: "configmaps"}, "c", errors.New("no")), false},
		{"no error", nil, false},
	}
	for _, tt := range tests {
		if got := NamespaceGone(tt.err); got != tt.want {
			t.Errorf("%s: NamespaceGone = %v, want %v", tt.name, got, tt.want)
		}
	}
}
