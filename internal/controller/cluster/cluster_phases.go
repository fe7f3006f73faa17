package cluster

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/provider"
)

// kubeconfigKey is the data key of the kubeconfig Secrets that Navarkos writes.
const kubeconfigKey = "kubeconfig"

// resolve finds the cluster's pool, provider and, for joined clusters, kubeconfig.
// Problems in the spec become a blocker; only API failures are returned.
func (r *Reconciler) resolve(ctx context.Context, s *scope) error {
	c := s.cluster
	s.providerName = n6sv1alpha1.ProviderStatic
	if c.Spec.Pool != "" {
		pool := &n6sv1alpha1.ClusterPool{}
		err := r.Client.Get(ctx, types.NamespacedName{Name: c.Spec.Pool}, pool)
		switch {
		case apierrors.IsNotFound(err):
			s.blocker = &blocker{reason: n6sv1alpha1.ClusterPoolNotFoundReason, message: fmt.Sprintf("ClusterPool %q does not exist", c.Spec.Pool)}
			// A cluster made before its pool was deleted can still be cleaned up by the provider that made it.
			s.providerName = n6sv1alpha1.ProviderName(c.Labels[n6sv1alpha1.ProviderLabel])
			s.provider = r.Providers[s.providerName]
			s.req = provider.Request{Name: c.Name}
			return nil
		case err != nil:
			return fmt.Errorf("failed to get ClusterPool %s: %w", c.Spec.Pool, err)
		}
		s.pool = pool
		s.providerName = pool.Spec.Provider
	}
	s.provider = r.Providers[s.providerName]
	if s.provider == nil {
		s.blocker = &blocker{
			reason:  n6sv1alpha1.ClusterProviderUnsupportedReason,
			message: fmt.Sprintf("provider %q is not enabled in this controller", s.providerName),
			err:     reconcile.TerminalError(fmt.Errorf("provider %q of Cluster %s is not enabled", s.providerName, c.Name)),
		}
		return nil
	}
	s.req = provider.Request{Name: c.Name}
	s.desiredNodes = 1
	if s.pool != nil {
		s.req.Pool = &s.pool.Spec
		s.desiredNodes = max(s.pool.Spec.NodesPerCluster.Min, 1)
		if c.Spec.Nodes != nil {
			s.desiredNodes = *c.Spec.Nodes
		}
		limits := s.pool.Spec.NodesPerCluster
		s.nodesOutOfRange = s.desiredNodes < limits.Min || s.desiredNodes > limits.Max
	}
	s.req.Nodes = s.desiredNodes
	if ref := c.Spec.KubeconfigSecretRef; ref != nil {
		return r.readJoinKubeconfig(ctx, s, ref)
	}
	return nil
}

// readJoinKubeconfig loads and checks the kubeconfig of a joined cluster.
func (r *Reconciler) readJoinKubeconfig(ctx context.Context, s *scope, ref *n6sv1alpha1.SecretReference) error {
	secret := &corev1.Secret{}
	key := types.NamespacedName{Namespace: ref.Namespace, Name: ref.Name}
	invalid := func(format string, args ...any) error {
		msg := fmt.Sprintf(format, args...)
		s.blocker = &blocker{reason: n6sv1alpha1.ClusterKubeconfigInvalidReason, message: msg, err: errors.New(msg)}
		return nil
	}
	if err := r.Client.Get(ctx, key, secret); err != nil {
		if apierrors.IsNotFound(err) {
			return invalid("kubeconfig Secret %s does not exist", key)
		}
		return fmt.Errorf("failed to get kubeconfig Secret %s: %w", key, err)
	}
	data, ok := secret.Data[ref.Key]
	if !ok {
		return invalid("kubeconfig Secret %s has no key %q", key, ref.Key)
	}
	if _, err := r.Kubeconfigs.RESTConfig(data); err != nil {
		return invalid("kubeconfig in Secret %s key %q: %v", key, ref.Key, err)
	}
	s.req.Kubeconfig = data
	s.kubeconfigSecret = ref
	return nil
}

// reconcileOnline makes, wakes or repairs the cluster, scales its nodes and checks its health.
func (r *Reconciler) reconcileOnline(ctx context.Context, s *scope) (ctrl.Result, error) {
	if err := r.observe(ctx, s); err != nil {
		return ctrl.Result{}, err
	}
	if s.state == provider.StateAbsent || s.state == provider.StateIncomplete {
		if res, started := r.announce(s, n6sv1alpha1.ClusterProvisioningReason); !started {
			return res, nil
		}
		if err := r.providerOp(ctx, s, "create", s.provider.Create); err != nil {
			return ctrl.Result{}, err
		}
		if err := r.observe(ctx, s); err != nil {
			return ctrl.Result{}, err
		}
	}
	if s.state == provider.StateStopped || s.state == provider.StateDegraded {
		if res, started := r.announce(s, n6sv1alpha1.ClusterResumingReason); !started {
			return res, nil
		}
		if err := r.providerOp(ctx, s, "resume", s.provider.Resume); err != nil {
			return ctrl.Result{}, err
		}
		if err := r.observe(ctx, s); err != nil {
			return ctrl.Result{}, err
		}
	}
	if s.state == provider.StateProvisioning || s.state == provider.StateDeleting {
		// The provider works in the background; poll it until the cluster can serve.
		s.progress = conditionReason(s.cluster, n6sv1alpha1.ClusterReadyCondition)
		if s.progress != n6sv1alpha1.ClusterResumingReason {
			s.progress = n6sv1alpha1.ClusterProvisioningReason
		}
		return ctrl.Result{RequeueAfter: providerPollRequeue}, nil
	}
	if err := r.ensureLabels(ctx, s); err != nil {
		return ctrl.Result{}, err
	}
	if err := r.ensureKubeconfig(ctx, s); err != nil {
		return ctrl.Result{}, err
	}
	r.checkHealth(ctx, s)
	if s.member == nil {
		return ctrl.Result{RequeueAfter: r.HealthInterval}, nil
	}
	if err := r.scale(ctx, s); err != nil {
		return ctrl.Result{}, err
	}
	if s.scalingManaged && !s.nodesOutOfRange && s.member.managedReadyNodes != s.desiredNodes {
		return ctrl.Result{RequeueAfter: nodeWaitRequeue}, nil
	}
	s.done = true
	return ctrl.Result{RequeueAfter: r.HealthInterval}, nil
}

// reconcileHibernated stops a running cluster and keeps its data.
func (r *Reconciler) reconcileHibernated(ctx context.Context, s *scope) (ctrl.Result, error) {
	if err := r.observe(ctx, s); err != nil {
		return ctrl.Result{}, err
	}
	if s.state == provider.StateRunning || s.state == provider.StateDegraded || s.state == provider.StateProvisioning {
		if err := r.providerOp(ctx, s, "hibernate", s.provider.Hibernate); err != nil {
			return ctrl.Result{}, err
		}
		s.state = provider.StateStopped
	}
	s.done = true
	return ctrl.Result{}, nil
}

// reconcileOffline removes the cluster from its provider and keeps the Cluster object.
func (r *Reconciler) reconcileOffline(ctx context.Context, s *scope) (ctrl.Result, error) {
	if gone, err := r.teardown(ctx, s); err != nil || !gone {
		return ctrl.Result{RequeueAfter: providerPollRequeue}, err
	}
	s.done = true
	return ctrl.Result{}, nil
}

// reconcileDelete removes everything the provider made, then the finalizer.
func (r *Reconciler) reconcileDelete(ctx context.Context, s *scope) (ctrl.Result, error) {
	if s.provider != nil {
		if gone, err := r.teardown(ctx, s); err != nil || !gone {
			return ctrl.Result{RequeueAfter: providerPollRequeue}, err
		}
	}
	c := s.cluster
	if controllerutil.RemoveFinalizer(c, n6sv1alpha1.ClusterFinalizer) {
		if err := r.Client.Update(ctx, c); err != nil && !apierrors.IsNotFound(err) {
			return ctrl.Result{}, fmt.Errorf("failed to remove the finalizer of Cluster %s: %w", c.Name, err)
		}
	}
	s.deleted = true
	return ctrl.Result{}, nil
}

// teardown removes the cluster from its provider and drops the fleet's kubeconfig Secret.
// It reports gone=false while a provider that works in the background is still removing it.
func (r *Reconciler) teardown(ctx context.Context, s *scope) (gone bool, err error) {
	if err := r.observe(ctx, s); err != nil {
		if refused := (*provider.RefusedError)(nil); errors.As(err, &refused) {
			// What the provider holds is not Navarkos', so there is nothing of ours to remove.
			s.blocker, s.state = nil, provider.StateAbsent
		} else {
			return false, err
		}
	}
	if s.state != provider.StateAbsent && s.state != provider.StateDeleting {
		if err := r.providerOp(ctx, s, "delete", s.provider.Delete); err != nil {
			return false, err
		}
		// A provider that deletes in the background says so; the others are done.
		if err := r.observe(ctx, s); err != nil {
			return false, err
		}
		if s.state != provider.StateDeleting {
			s.state = provider.StateAbsent
		}
	}
	if s.state == provider.StateDeleting {
		s.progress = n6sv1alpha1.ClusterDeletingReason
		return false, nil
	}
	return true, r.deleteOwnKubeconfig(ctx, s.cluster)
}

// deleteOwnKubeconfig deletes the kubeconfig Secret that Navarkos made for the Cluster. A
// Secret of that name that the Cluster does not own, such as a joined cluster's own, stays.
func (r *Reconciler) deleteOwnKubeconfig(ctx context.Context, c *n6sv1alpha1.Cluster) error {
	secret := &corev1.Secret{}
	key := types.NamespacedName{Namespace: n6sv1alpha1.SystemNamespace, Name: kubeconfigSecretName(c)}
	if err := r.Client.Get(ctx, key, secret); err != nil {
		return client.IgnoreNotFound(err)
	}
	if !ownedBy(secret, c) {
		return nil
	}
	if err := r.Client.Delete(ctx, secret, client.Preconditions{UID: &secret.UID}); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("failed to delete kubeconfig Secret of Cluster %s: %w", c.Name, err)
	}
	return nil
}

// observe asks the provider what exists. A refusal (something there that Navarkos did not
// make) blocks the Cluster until it is gone.
func (r *Reconciler) observe(ctx context.Context, s *scope) error {
	obs, err := s.provider.Observe(ctx, s.req)
	if refused := (*provider.RefusedError)(nil); errors.As(err, &refused) {
		s.blocker = &blocker{reason: refused.Reason, message: refused.Message, err: err}
		return err
	}
	if err != nil {
		s.providerErr = &opError{op: "observe", err: err}
		return fmt.Errorf("failed to observe Cluster %s: %w", s.cluster.Name, err)
	}
	s.state, s.observation = obs.State, obs
	return nil
}

// announce publishes that a long operation is starting, so that it shows while it runs.
// It reports started=true once the announcement is visible and the operation may run.
func (r *Reconciler) announce(s *scope, progress string) (ctrl.Result, bool) {
	s.progress = progress
	if conditionReason(s.cluster, n6sv1alpha1.ClusterReadyCondition) == progress {
		return ctrl.Result{}, true
	}
	return ctrl.Result{RequeueAfter: progressRequeue}, false
}

// providerOp runs one provider operation and records its outcome as an Event.
func (r *Reconciler) providerOp(ctx context.Context, s *scope, op string, fn func(context.Context, provider.Request) error) error {
	c := s.cluster
	ctrl.LoggerFrom(ctx).Info("Calling provider", "provider", s.providerName, "operation", op)
	if err := fn(ctx, s.req); err != nil {
		s.providerErr = &opError{op: op, err: err}
		r.Recorder.Eventf(c, nil, corev1.EventTypeWarning, n6sv1alpha1.ClusterProviderFailedReason, op, "%s", n6sv1alpha1.Truncate(providerMessage(s), maxEventNote))
		err = fmt.Errorf("failed to %s Cluster %s with provider %s: %w", op, c.Name, s.providerName, err)
		if errors.Is(err, provider.ErrNotSupported) {
			// Retrying cannot help; a change of spec will bring the Cluster back.
			return reconcile.TerminalError(err)
		}
		return err
	}
	r.Recorder.Eventf(c, nil, corev1.EventTypeNormal, opReason(op), op, "Provider %s did %s", s.providerName, op)
	return nil
}

// maxEventNote is the longest note the events API accepts.
const maxEventNote = 1024

func opReason(op string) string {
	switch op {
	case "create":
		return "Created"
	case "resume":
		return "Resumed"
	case "hibernate":
		return n6sv1alpha1.ClusterHibernatedReason
	case "delete":
		return "Removed"
	default:
		return "Scaled"
	}
}

// ensureLabels stamps the pool, provider, region and zone on the Cluster so that placement can select by them.
func (r *Reconciler) ensureLabels(ctx context.Context, s *scope) error {
	c := s.cluster
	want := map[string]string{n6sv1alpha1.ProviderLabel: string(s.providerName)}
	if s.pool != nil {
		want[n6sv1alpha1.PoolLabel] = s.pool.Name
		want[n6sv1alpha1.RegionLabel] = s.pool.Spec.Region
		if s.pool.Spec.Zone != "" {
			want[n6sv1alpha1.ZoneLabel] = s.pool.Spec.Zone
		}
		for k, v := range s.pool.Labels {
			if _, set := c.Labels[k]; !set {
				want[k] = v
			}
		}
	}
	patch := client.MergeFrom(c.DeepCopy())
	changed := false
	for k, v := range want {
		if c.Labels[k] != v {
			if c.Labels == nil {
				c.Labels = map[string]string{}
			}
			c.Labels[k] = v
			changed = true
		}
	}
	if !changed {
		return nil
	}
	if err := r.Client.Patch(ctx, c, patch); err != nil {
		return fmt.Errorf("failed to label Cluster %s: %w", c.Name, err)
	}
	return nil
}

// ensureKubeconfig stores the provider's admin kubeconfig in a Secret owned by the Cluster.
// Joined clusters keep the Secret their owner gave.
func (r *Reconciler) ensureKubeconfig(ctx context.Context, s *scope) error {
	if s.kubeconfigSecret != nil {
		return nil
	}
	c := s.cluster
	data, err := s.provider.Kubeconfig(ctx, s.req)
	if err != nil {
		s.providerErr = &opError{op: "read the kubeconfig of", err: err}
		return fmt.Errorf("failed to get the kubeconfig of Cluster %s: %w", c.Name, err)
	}
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: n6sv1alpha1.SystemNamespace, Name: kubeconfigSecretName(c)}}
	_, err = controllerutil.CreateOrUpdate(ctx, r.Client, secret, func() error {
		if !secret.CreationTimestamp.IsZero() && !ownedBy(secret, c) {
			// Someone else's Secret of that name, such as a join Secret: never overwritten.
			return &secretConflictError{name: secret.Namespace + "/" + secret.Name}
		}
		secret.Type = corev1.SecretTypeOpaque
		secret.Data = map[string][]byte{kubeconfigKey: data}
		return controllerutil.SetControllerReference(c, secret, r.Client.Scheme())
	})
	if conflict := (*secretConflictError)(nil); errors.As(err, &conflict) {
		s.blocker = &blocker{reason: n6sv1alpha1.ClusterKubeconfigInvalidReason, message: conflict.Error(), err: err}
		return err
	}
	if err != nil {
		return fmt.Errorf("failed to write kubeconfig Secret of Cluster %s: %w", c.Name, err)
	}
	s.req.Kubeconfig = data
	s.kubeconfigSecret = &n6sv1alpha1.SecretReference{Namespace: secret.Namespace, Name: secret.Name, Key: kubeconfigKey}
	return nil
}

// scale asks the provider for the desired node count when the cluster has another.
func (r *Reconciler) scale(ctx context.Context, s *scope) error {
	s.scalingManaged = s.providerName != n6sv1alpha1.ProviderStatic
	if !s.scalingManaged || s.nodesOutOfRange || s.member.managedNodes == s.desiredNodes {
		return nil
	}
	err := s.provider.ScaleNodes(ctx, s.req)
	if errors.Is(err, provider.ErrNotSupported) {
		s.scalingManaged = false
		return nil
	}
	if err != nil {
		s.providerErr = &opError{op: "scale", err: err}
		return fmt.Errorf("failed to scale Cluster %s to %d nodes: %w", s.cluster.Name, s.desiredNodes, err)
	}
	r.Recorder.Eventf(s.cluster, nil, corev1.EventTypeNormal, "Scaled", "scale", "Scaling from %d to %d nodes", s.member.managedNodes, s.desiredNodes)
	return nil
}

func kubeconfigSecretName(c *n6sv1alpha1.Cluster) string { return c.Name + "-kubeconfig" }

// ownedBy reports whether the Cluster owns the object (older versions owned Secrets without
// being their controller).
func ownedBy(obj metav1.Object, c *n6sv1alpha1.Cluster) bool {
	for _, ref := range obj.GetOwnerReferences() {
		if ref.UID == c.UID {
			return true
		}
	}
	return false
}

// secretConflictError: the Secret Navarkos would write its kubeconfig to belongs to someone else.
type secretConflictError struct{ name string }

func (e *secretConflictError) Error() string {
	return fmt.Sprintf("the Secret %s exists and this Cluster does not own it; Navarkos leaves it alone: move the Secret or use another Cluster name", e.name)
}
