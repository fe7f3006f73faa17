package setup

import (
	"context"
	"fmt"
	"slices"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/fleetpki"
)

// controllerRoleName names the controllers' ClusterRole, Role and bindings.
const controllerRoleName = "navarkos:controller"

// FleetRBAC is what the controllers and the administrators may do in a fleet API whose users
// are not all system:masters (the control-plane chart's). The controllers read every kind, since
// a placement may select any; they write their own kinds, what they publish (ClusterProfiles,
// DNSEndpoints, Cluster API Clusters), the status of the fleet objects they sum, Events, and
// Secrets only in navarkos-system. They cannot change RBAC, CRDs, admission or namespaces.
// The administrators are cluster-admin.
func FleetRBAC() []client.Object {
	all := []string{"*"}
	write := []string{"create", "update", "patch", "delete"}
	read := []string{"get", "list", "watch"}
	role := &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: controllerRoleName},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: all, Resources: all, Verbs: read},
			{APIGroups: all, Resources: []string{"*/status"}, Verbs: []string{"update", "patch"}},
			{APIGroups: []string{n6sv1alpha1.GroupVersion.Group, "multicluster.x-k8s.io", "externaldns.k8s.io", "cluster.x-k8s.io"}, Resources: all, Verbs: append(write, "deletecollection")},
			{APIGroups: []string{"", "events.k8s.io"}, Resources: []string{"events"}, Verbs: []string{"create", "patch", "update"}},
		},
	}
	systemRole := &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Namespace: n6sv1alpha1.SystemNamespace, Name: controllerRoleName},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: write},
			{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, Verbs: write},
		},
	}
	subjects := []rbacv1.Subject{{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: fleetpki.ControllersGroup}}
	out := []client.Object{
		role,
		&rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: controllerRoleName},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: controllerRoleName},
			Subjects:   subjects,
		},
		systemRole,
		&rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Namespace: n6sv1alpha1.SystemNamespace, Name: controllerRoleName},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: controllerRoleName},
			Subjects:   subjects,
		},
		&rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: "navarkos:fleet-admins"},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: fleetpki.AdminsGroup}},
		},
	}
	setKinds(out)
	return out
}

// InstallFleetRBAC applies FleetRBAC; the system namespace must exist (InstallCRDs makes it).
func InstallFleetRBAC(ctx context.Context, c client.Client) error {
	return applyAll(ctx, c, FleetRBAC()...)
}

// Labels that aggregate a ClusterRole into Kubernetes' built-in user-facing roles.
const (
	aggregateToAdmin = "rbac.authorization.k8s.io/aggregate-to-admin"
	aggregateToEdit  = "rbac.authorization.k8s.io/aggregate-to-edit"
	aggregateToView  = "rbac.authorization.k8s.io/aggregate-to-view"
)

// FleetReaderRole names the ClusterRole that reads the fleet's cluster-scoped kinds (pools
// and Clusters, never their Secrets), for teams an administrator lets see the fleet.
const FleetReaderRole = "navarkos:fleet-reader"

// TenantRoles are the ClusterRoles that give a namespace's users the Navarkos kinds through
// Kubernetes' own roles, as Cluster API and cert-manager do: admin and edit write Placements
// and GlobalIngresses, and every role reads them and the Bindings, which only the controllers
// write. FleetReaderRole, bound by an administrator, shows the pools and Clusters.
func TenantRoles() []client.Object {
	group := []string{n6sv1alpha1.GroupVersion.Group}
	read := []string{"get", "list", "watch"}
	write := []string{"create", "update", "patch", "delete", "deletecollection"}
	authored := []string{"placements", "globalingresses"}
	readAll := rbacv1.PolicyRule{APIGroups: group, Resources: append(slices.Clone(authored), "resourcebindings", "placements/status", "globalingresses/status"), Verbs: read}
	writer := []rbacv1.PolicyRule{readAll, {APIGroups: group, Resources: authored, Verbs: write}}
	role := func(name, label string, rules []rbacv1.PolicyRule) client.Object {
		return &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{label: "true"}}, Rules: rules}
	}
	out := []client.Object{
		role("navarkos:aggregate-to-admin", aggregateToAdmin, writer),
		role("navarkos:aggregate-to-edit", aggregateToEdit, writer),
		role("navarkos:aggregate-to-view", aggregateToView, []rbacv1.PolicyRule{readAll}),
		&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: FleetReaderRole}, Rules: []rbacv1.PolicyRule{
			{APIGroups: group, Resources: []string{"clusterpools", "clusters", "clusterpools/status", "clusters/status"}, Verbs: read},
		}},
	}
	setKinds(out)
	return out
}

// setKinds fills in each object's kind from the scheme, as server-side apply needs.
func setKinds(objs []client.Object) {
	for _, o := range objs {
		gvk, _ := apiutil.GVKForObject(o, Scheme())
		o.GetObjectKind().SetGroupVersionKind(gvk)
	}
}

// applyAll applies each object with server-side apply, as the setup's field owner.
func applyAll(ctx context.Context, c client.Client, objs ...client.Object) error {
	for _, o := range objs {
		if err := Apply(ctx, c, o, client.ForceOwnership); err != nil {
			return fmt.Errorf("failed to apply %s %s: %w", o.GetObjectKind().GroupVersionKind().Kind, o.GetName(), err)
		}
	}
	return nil
}
