package setup

import (
	"context"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/fleetpki"
)

// bindingPolicyName names the admission policy that keeps each Binding in its namespace.
const bindingPolicyName = "resourcebindings.n6s.io-namespace"

// bindingWriters are the groups that may create and change Bindings: the controllers (the
// chart's, and system:masters, which a local fleet's run as), the fleet's administrators, and
// the housekeeping controllers (the garbage collector orphans Bindings). A Binding is the
// controllers' output; whoever else wrote one would choose what propagation does.
var bindingWriters = []string{"system:masters", fleetpki.ControllersGroup, fleetpki.AdminsGroup, "system:serviceaccounts:kube-system"}

// bindingWriterUsers are the users, beyond bindingWriters, that may: the housekeeping
// controllers' own identity.
var bindingWriterUsers = []string{fleetpki.KubeControllerManagerUser}

// celList writes a list of strings as a CEL list literal.
func celList(items []string) string {
	quoted := make([]string, len(items))
	for i, it := range items {
		quoted[i] = "'" + it + "'"
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}

// BindingPolicy is an admission policy, in CEL, over who writes Bindings and what they name.
// Only the controllers, the fleet's administrators and the housekeeping controllers create or
// change one (spec or status), whatever RBAC grants. And a Binding is tied to its own
// namespace: it may place only a resource of that namespace, and only Bindings in
// navarkos-system, made by a ClusterPlacement, place cluster-scoped resources. CRD rules
// cannot see an object's namespace or its writer; an admission policy can. Propagation checks
// the resource's scope again, from discovery.
func BindingPolicy() (*admissionregistrationv1.ValidatingAdmissionPolicy, *admissionregistrationv1.ValidatingAdmissionPolicyBinding) {
	policy := &admissionregistrationv1.ValidatingAdmissionPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "admissionregistration.k8s.io/v1", Kind: "ValidatingAdmissionPolicy"},
		ObjectMeta: metav1.ObjectMeta{Name: bindingPolicyName},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
			FailurePolicy: ptr.To(admissionregistrationv1.Fail),
			MatchConstraints: &admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{
				RuleWithOperations: admissionregistrationv1.RuleWithOperations{
					Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
					Rule: admissionregistrationv1.Rule{
						APIGroups: []string{n6sv1alpha1.GroupVersion.Group}, APIVersions: []string{"*"}, Resources: []string{"resourcebindings", "resourcebindings/status"},
					},
				},
			}}},
			Variables: []admissionregistrationv1.Variable{
				{Name: "resourceNamespace", Expression: "has(object.spec.resource.namespace) ? object.spec.resource.namespace : ''"},
			},
			Validations: []admissionregistrationv1.Validation{
				{
					Expression: "(has(request.userInfo.groups) && request.userInfo.groups.exists(g, g in " + celList(bindingWriters) + ")) || request.userInfo.username in " + celList(bindingWriterUsers),
					Message:    "ResourceBindings are written by the Navarkos controllers only: create a Placement, and the controllers bind what it selects",
					Reason:     ptr.To(metav1.StatusReasonForbidden),
				},
				{
					Expression: "variables.resourceNamespace == request.namespace || (variables.resourceNamespace == '' && request.namespace == '" + n6sv1alpha1.SystemNamespace + "')",
					Message:    "spec.resource.namespace must be the ResourceBinding's own namespace (cluster-scoped resources are bound in " + n6sv1alpha1.SystemNamespace + ")",
				},
				{
					Expression: "object.spec.placement.kind == 'ClusterPlacement' || variables.resourceNamespace != ''",
					Message:    "spec.placement: a Placement binds only objects of its own namespace; cluster-scoped resources need a ClusterPlacement",
				},
			},
		},
	}
	binding := &admissionregistrationv1.ValidatingAdmissionPolicyBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: "admissionregistration.k8s.io/v1", Kind: "ValidatingAdmissionPolicyBinding"},
		ObjectMeta: metav1.ObjectMeta{Name: bindingPolicyName},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{
			PolicyName:        bindingPolicyName,
			ValidationActions: []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny},
		},
	}
	return policy, binding
}

func installBindingPolicy(ctx context.Context, c client.Client) error {
	policy, binding := BindingPolicy()
	return applyAll(ctx, c, policy, binding)
}
