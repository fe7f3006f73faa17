package dashboard

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/fields"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// readable is how far the caller may read one kind: in every namespace, in some, or not at
// all (refused says why).
type readable struct {
	all        bool
	namespaces []string
	refused    error
}

// kind is one kind the dashboard watches.
type kind struct {
	name string
	obj  client.Object
	list func() client.ObjectList
	// namespaced kinds may be read in some namespaces only.
	namespaced bool
	// field narrows what is watched, as a field selector.
	field fields.Selector
}

// probe finds how far the caller may read k: a list in every namespace, else one in each of
// namespaces. A kind the caller may not list anywhere is refused, with the API's answer.
func probe(ctx context.Context, direct client.Reader, k kind, namespaces []string) readable {
	opts := []client.ListOption{client.Limit(1)}
	if k.field != nil {
		opts = append(opts, client.MatchingFieldsSelector{Selector: k.field})
	}
	err := direct.List(ctx, k.list(), opts...)
	if err == nil {
		return readable{all: true}
	}
	if !k.namespaced || !apierrors.IsForbidden(err) {
		return readable{refused: err}
	}
	var r readable
	for _, ns := range namespaces {
		if nsErr := direct.List(ctx, k.list(), append(opts, client.InNamespace(ns))...); nsErr == nil {
			r.namespaces = append(r.namespaces, ns)
		}
	}
	if len(r.namespaces) == 0 {
		r.refused = err
		if len(namespaces) > 0 {
			r.refused = fmt.Errorf("%w (nor in namespace %v)", err, namespaces)
		}
	}
	return r
}

// cacheOptions watches each readable kind as far as it may be read.
func cacheOptions(kinds []kind, scopes []readable) map[client.Object]cache.ByObject {
	by := map[client.Object]cache.ByObject{}
	for i, k := range kinds {
		if scopes[i].refused != nil {
			continue
		}
		o := cache.ByObject{Field: k.field}
		if s := scopes[i]; !s.all && len(s.namespaces) > 0 {
			o.Namespaces = map[string]cache.Config{}
			for _, ns := range s.namespaces {
				o.Namespaces[ns] = cache.Config{}
			}
		}
		by[k.obj] = o
	}
	return by
}

// errNotReadable is the error of a view whose kinds the caller may not read.
var errNotReadable = errors.New("your kubeconfig may not read this")

// denied says why the named kinds cannot be shown, or nil when each can be read somewhere.
func (s *Server) denied(names ...string) error {
	for _, name := range names {
		i := slices.IndexFunc(s.kinds, func(k kind) bool { return k.name == name })
		if i >= 0 && s.scopes[i].refused != nil {
			return fmt.Errorf("%w: %v", errNotReadable, s.scopes[i].refused)
		}
	}
	return nil
}

// scopeOf says where the caller reads the named kind: "" for every namespace, else the
// namespaces.
func (s *Server) scopeOf(name string) string {
	i := slices.IndexFunc(s.kinds, func(k kind) bool { return k.name == name })
	if i < 0 || s.scopes[i].all || s.scopes[i].refused != nil {
		return ""
	}
	return strings.Join(s.scopes[i].namespaces, ", ")
}
