package setup

import (
	"context"
	"fmt"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
)

// bindingPolicyName names the admission policy that keeps each Binding in its namespace.
const bindingPolicyName = "bindings.n6s.io-namespace"

// BindingPolicy is an admission policy, in CEL, that ties a Binding to its own namespace: it
// may place only a resource of that namespace, and only Bindings in navarkos-system, made by a
// ClusterPlacement, place cluster-scoped resources. CRD rules cannot see an object's
// namespace; an admission policy can. Whoever may write Bindings in a namespace therefore
// reaches nothing outside it through propagation.
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
						APIGroups: []string{n6sv1alpha1.GroupVersion.Group}, APIVersions: []string{"*"}, Resources: []string{"bindings"},
					},
				},
			}}},
			Variables: []admissionregistrationv1.Variable{
				{Name: "resourceNamespace", Expression: "has(object.spec.resource.namespace) ? object.spec.resource.namespace : ''"},
			},
			Validations: []admissionregistrationv1.Validation{
				{
					Expression: "variables.resourceNamespace == request.namespace || (variables.resourceNamespace == '' && request.namespace == '" + n6sv1alpha1.SystemNamespace + "')",
					Message:    "spec.resource.namespace must be the Binding's own namespace (cluster-scoped resources are bound in " + n6sv1alpha1.SystemNamespace + ")",
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
	for _, obj := range []client.Object{policy, binding} {
		if err := c.Patch(ctx, obj, client.Apply, fieldOwner, client.ForceOwnership); err != nil {
			return fmt.Errorf("failed to apply the admission policy %s: %w", obj.GetName(), err)
		}
	}
	return nil
}
