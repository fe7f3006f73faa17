package testenv

import (
	"context"
	"fmt"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// tenantTokenSeconds is how long a tenant's token lives: longer than any test.
const tenantTokenSeconds = 3600

// Tenant makes a ServiceAccount in namespace (and the namespace, when missing), binds it in
// that namespace to each ClusterRole named, and returns a config that authenticates as it
// with a bound token: a namespace-scoped identity, as a team sharing the fleet has, with no
// client certificate and nothing of admin's. admin must be allowed to do all of that.
func Tenant(ctx context.Context, admin *rest.Config, namespace, name string, clusterRoles ...string) (*rest.Config, error) {
	cs, err := kubernetes.NewForConfig(admin)
	if err != nil {
		return nil, err
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return nil, fmt.Errorf("failed to create namespace %s: %w", namespace, err)
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}}
	if _, err := cs.CoreV1().ServiceAccounts(namespace).Create(ctx, sa, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return nil, fmt.Errorf("failed to create ServiceAccount %s/%s: %w", namespace, name, err)
	}
	for _, role := range clusterRoles {
		rb := &rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name + "-" + role},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: namespace, Name: name}},
		}
		if _, err := cs.RbacV1().RoleBindings(namespace).Create(ctx, rb, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return nil, fmt.Errorf("failed to bind %s/%s to ClusterRole %s: %w", namespace, name, role, err)
		}
	}
	req := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](tenantTokenSeconds)}}
	tok, err := cs.CoreV1().ServiceAccounts(namespace).CreateToken(ctx, name, req, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("failed to get a token of ServiceAccount %s/%s: %w", namespace, name, err)
	}
	return &rest.Config{
		Host: admin.Host, BearerToken: tok.Status.Token,
		TLSClientConfig: rest.TLSClientConfig{CAData: admin.CAData, CAFile: admin.CAFile, ServerName: admin.ServerName},
	}, nil
}

// TenantClient is a client of scheme that acts as the tenant's ServiceAccount, with Tenant.
func TenantClient(ctx context.Context, admin *rest.Config, scheme client.Options, namespace, name string, clusterRoles ...string) (client.Client, *rest.Config, error) {
	cfg, err := Tenant(ctx, admin, namespace, name, clusterRoles...)
	if err != nil {
		return nil, nil, err
	}
	c, err := client.New(cfg, scheme)
	return c, cfg, err
}
