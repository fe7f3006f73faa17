package capi

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/provider"
)

// WorkersName is the name of the one MachineDeployment topology of each cluster: the
// pool's worker class, whose replicas are the Cluster's nodes.
const WorkersName = "workers"

// kubeconfigDataKey is the key of Cluster API's `<cluster>-kubeconfig` Secrets.
const kubeconfigDataKey = "value"

// mirrored are the Cluster API Cluster conditions copied onto the Navarkos Cluster.
var mirrored = []string{
	clusterv1.ClusterInfrastructureReadyCondition,
	clusterv1.ClusterControlPlaneAvailableCondition,
	clusterv1.ClusterWorkersAvailableCondition,
}

// Provider makes clusters through Cluster API: one Cluster API Cluster with a managed
// topology per Navarkos Cluster, in a management cluster the pool names. Cluster API works
// in the background, so Create, Resume, Hibernate and Delete start the change and Observe
// follows it.
type Provider struct {
	clients managementClients
}

var _ provider.Provider = (*Provider)(nil)

// New returns the provider. fleet reads the management clusters' kubeconfig Secrets in
// navarkos-system; fleetConfig reaches the fleet API server, which is the management
// cluster of the pools that name none.
func New(fleet client.Reader, fleetConfig *rest.Config) *Provider {
	return &Provider{clients: managementClients{fleet: fleet, fleetConfig: fleetConfig}}
}

// target is one cluster's place in its management cluster.
type target struct {
	c        client.Client
	template *n6sv1alpha1.CAPITemplate
	key      client.ObjectKey
}

func (p *Provider) target(ctx context.Context, req provider.Request) (*target, error) {
	if req.Pool == nil || req.Pool.Template == nil || req.Pool.Template.CAPI == nil {
		return nil, errors.New("the Cluster's pool and its template.capi are gone, and with them where its Cluster API Cluster is: recreate the pool so that Navarkos can find the cluster")
	}
	t := req.Pool.Template.CAPI
	c, err := p.clients.forTemplate(ctx, t)
	if err != nil {
		return nil, err
	}
	return &target{c: c, template: t, key: client.ObjectKey{Namespace: t.Namespace, Name: req.Name}}, nil
}

// get reads the cluster's Cluster API Cluster: nil when there is none, a RefusedError when it
// is not Navarkos'.
func (t *target) get(ctx context.Context) (*clusterv1.Cluster, error) {
	cl := &clusterv1.Cluster{}
	if err := t.c.Get(ctx, t.key, cl); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("failed to get the Cluster API Cluster %s: %w", t.key, err)
	}
	if cl.Labels[n6sv1alpha1.ClusterNameLabel] != t.key.Name {
		return nil, &provider.RefusedError{
			Reason: n6sv1alpha1.ClusterForeignReason,
			Message: fmt.Sprintf("the Cluster API Cluster %s exists and Navarkos did not make it (it has no label %s=%s); it is not adopted: delete or rename one of them",
				t.key, n6sv1alpha1.ClusterNameLabel, t.key.Name),
		}
	}
	return cl, nil
}

// Observe reads the Cluster API Cluster, its worker MachineDeployment, its Machines and its
// kubeconfig Secret.
func (p *Provider) Observe(ctx context.Context, req provider.Request) (provider.Observation, error) {
	t, err := p.target(ctx, req)
	if err != nil {
		return provider.Observation{}, err
	}
	cl, err := t.get(ctx)
	if err != nil {
		return provider.Observation{}, err
	}
	if cl == nil {
		return provider.Observation{State: provider.StateAbsent, Conditions: absentConditions()}, nil
	}
	machines := &clusterv1.MachineList{}
	if err := t.c.List(ctx, machines, client.InNamespace(t.key.Namespace), client.MatchingLabels{clusterv1.ClusterNameLabel: t.key.Name}); err != nil {
		return provider.Observation{}, fmt.Errorf("failed to list the Machines of %s: %w", t.key, err)
	}
	obs := provider.Observation{Conditions: conditionsOf(cl, machines.Items)}
	if !cl.DeletionTimestamp.IsZero() {
		obs.State = provider.StateDeleting
		obs.Waiting = fmt.Sprintf("Cluster API to delete the Cluster %s and its %d Machines", t.key, len(machines.Items))
		return obs, nil
	}
	workers, err := t.workers(ctx)
	if err != nil {
		return provider.Observation{}, err
	}
	obs.Workers = workers
	if desired := workerReplicas(cl); desired != nil && *desired == 0 {
		obs.State = provider.StateStopped
		return obs, nil
	}
	waiting, err := t.waitingFor(ctx, cl)
	if err != nil {
		return provider.Observation{}, err
	}
	if waiting != "" {
		obs.State, obs.Waiting = provider.StateProvisioning, waiting
		return obs, nil
	}
	obs.State = provider.StateRunning
	return obs, nil
}

// waitingFor names the first thing a new cluster lacks before it can serve: its topology,
// infrastructure, control plane or kubeconfig. Empty when it lacks nothing.
// The topology is consulted only while the others are not True: it is False for a while
// during an upgrade too, and a serving cluster keeps serving then.
func (t *target) waitingFor(ctx context.Context, cl *clusterv1.Cluster) (string, error) {
	if !meta.IsStatusConditionTrue(cl.Status.Conditions, clusterv1.ClusterInfrastructureReadyCondition) ||
		!meta.IsStatusConditionTrue(cl.Status.Conditions, clusterv1.ClusterControlPlaneAvailableCondition) {
		for _, typ := range []string{clusterv1.ClusterTopologyReconciledCondition, clusterv1.ClusterInfrastructureReadyCondition, clusterv1.ClusterControlPlaneAvailableCondition} {
			c := meta.FindStatusCondition(cl.Status.Conditions, typ)
			switch {
			case c == nil:
				return fmt.Sprintf("Cluster API to report %s on Cluster %s", typ, t.key), nil
			case c.Status != metav1.ConditionTrue:
				return fmt.Sprintf("%s of Cluster API Cluster %s (%s: %s)", typ, t.key, c.Reason, oneLine(c.Message)), nil
			}
		}
	}
	secret := &corev1.Secret{}
	key := client.ObjectKey{Namespace: t.key.Namespace, Name: t.key.Name + "-kubeconfig"}
	if err := t.c.Get(ctx, key, secret); err != nil {
		if apierrors.IsNotFound(err) {
			return fmt.Sprintf("Cluster API to write the kubeconfig Secret %s", key), nil
		}
		return "", fmt.Errorf("failed to get the kubeconfig Secret %s: %w", key, err)
	}
	return "", nil
}

// workers counts the worker Machines of the cluster's MachineDeployment topology.
func (t *target) workers(ctx context.Context) (*provider.Workers, error) {
	mds := &clusterv1.MachineDeploymentList{}
	err := t.c.List(ctx, mds, client.InNamespace(t.key.Namespace), client.MatchingLabels{
		clusterv1.ClusterNameLabel:                          t.key.Name,
		clusterv1.ClusterTopologyMachineDeploymentNameLabel: WorkersName,
	})
	if err != nil {
		return nil, fmt.Errorf("failed to list the MachineDeployments of %s: %w", t.key, err)
	}
	w := &provider.Workers{}
	for _, md := range mds.Items {
		w.Current += ptr.Deref(md.Status.Replicas, 0)
		w.Ready += ptr.Deref(md.Status.ReadyReplicas, 0)
	}
	return w, nil
}

// workerReplicas is the desired replicas of the workers topology; nil when there is none.
func workerReplicas(cl *clusterv1.Cluster) *int32 {
	for _, md := range cl.Spec.Topology.Workers.MachineDeployments {
		if md.Name == WorkersName {
			return md.Replicas
		}
	}
	return nil
}

// conditionsOf mirrors the Cluster API Cluster's conditions and summarizes its Machines.
func conditionsOf(cl *clusterv1.Cluster, machines []clusterv1.Machine) []metav1.Condition {
	var out []metav1.Condition
	for _, typ := range mirrored {
		c := metav1.Condition{Type: typ, Status: metav1.ConditionUnknown, Reason: "NotReported", Message: "Cluster API has not reported it yet"}
		if found := meta.FindStatusCondition(cl.Status.Conditions, typ); found != nil && found.Reason != "" {
			c.Status, c.Reason, c.Message = found.Status, found.Reason, n6sv1alpha1.Truncate(found.Message, 1024)
		}
		out = append(out, c)
	}
	return append(out, machinesReady(machines))
}

// absentConditions replace what was mirrored from a Cluster API Cluster that is gone.
func absentConditions() []metav1.Condition {
	var out []metav1.Condition
	for _, typ := range append(slices.Clone(mirrored), n6sv1alpha1.ClusterMachinesReadyCondition) {
		out = append(out, metav1.Condition{Type: typ, Status: metav1.ConditionUnknown, Reason: "NoClusterAPICluster", Message: "there is no Cluster API Cluster"})
	}
	return out
}

// machineIssueConditions are the Machine conditions that say why it is not Ready, in the
// order a Machine comes up.
var machineIssueConditions = []string{
	clusterv1.MachineBootstrapConfigReadyCondition,
	clusterv1.MachineInfrastructureReadyCondition,
	clusterv1.MachineNodeReadyCondition,
	clusterv1.MachineNodeHealthyCondition,
	clusterv1.MachineHealthCheckSucceededCondition,
}

// machinesReady is True when every Machine is Ready. Otherwise it carries the reason and
// message of the first Machine with a False condition (a failure), else of the first not
// Ready (still coming up), by name.
func machinesReady(machines []clusterv1.Machine) metav1.Condition {
	slices.SortFunc(machines, func(a, b clusterv1.Machine) int { return strings.Compare(a.Name, b.Name) })
	var failing, pending *metav1.Condition
	notReady := 0
	for i := range machines {
		m := &machines[i]
		if ready := meta.FindStatusCondition(m.Status.Conditions, clusterv1.MachineReadyCondition); ready != nil && ready.Status == metav1.ConditionTrue {
			continue
		}
		notReady++
		for _, typ := range machineIssueConditions {
			c := meta.FindStatusCondition(m.Status.Conditions, typ)
			if c == nil || c.Status == metav1.ConditionTrue || c.Reason == "" {
				continue
			}
			issue := &metav1.Condition{Reason: c.Reason, Message: fmt.Sprintf("Machine %s: %s: %s", m.Name, typ, oneLine(c.Message))}
			if c.Status == metav1.ConditionFalse && failing == nil {
				failing = issue
			} else if pending == nil {
				pending = issue
			}
			break
		}
	}
	out := metav1.Condition{Type: n6sv1alpha1.ClusterMachinesReadyCondition}
	switch first := cmp.Or(failing, pending); {
	case notReady == 0:
		out.Status, out.Reason, out.Message = metav1.ConditionTrue, "MachinesReady", fmt.Sprintf("%d Machines Ready", len(machines))
	case first == nil:
		out.Status, out.Reason, out.Message = metav1.ConditionFalse, "MachinesNotReady", fmt.Sprintf("%d of %d Machines not Ready", notReady, len(machines))
	default:
		out.Status, out.Reason = metav1.ConditionFalse, first.Reason
		out.Message = n6sv1alpha1.Truncate(fmt.Sprintf("%s (%d of %d Machines not Ready)", first.Message, notReady, len(machines)), 1024)
	}
	return out
}

// oneLine folds Cluster API's multi-line condition messages into one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// Create makes the Cluster API Cluster with the pool's topology. A Cluster of the same name
// that Navarkos did not make is refused.
func (p *Provider) Create(ctx context.Context, req provider.Request) error {
	t, err := p.target(ctx, req)
	if err != nil {
		return err
	}
	cl := newCluster(req, t.template)
	if err := t.c.Create(ctx, cl); err != nil {
		if !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("failed to create the Cluster API Cluster %s: %w", t.key, err)
		}
		_, err := t.get(ctx)
		return err
	}
	return nil
}

// newCluster is the Cluster API Cluster of a Navarkos Cluster.
func newCluster(req provider.Request, t *n6sv1alpha1.CAPITemplate) *clusterv1.Cluster {
	cl := &clusterv1.Cluster{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: t.Namespace,
			Name:      req.Name,
			Labels:    map[string]string{n6sv1alpha1.ClusterNameLabel: req.Name},
		},
		Spec: clusterv1.ClusterSpec{Topology: clusterv1.Topology{
			ClassRef:     clusterv1.ClusterClassRef{Name: t.ClusterClass.Name, Namespace: t.ClusterClass.Namespace},
			Version:      t.Version,
			ControlPlane: clusterv1.ControlPlaneTopology{Replicas: t.ControlPlaneReplicas},
			Workers: clusterv1.WorkersTopology{MachineDeployments: []clusterv1.MachineDeploymentTopology{{
				Class: t.WorkerClass, Name: WorkersName, Replicas: ptr.To(req.Nodes),
			}}},
		}},
	}
	for _, v := range t.Variables {
		cl.Spec.Topology.Variables = append(cl.Spec.Topology.Variables, clusterv1.ClusterVariable{Name: v.Name, Value: v.Value})
	}
	return cl
}

// Resume brings the workers back to the requested count; the control plane never stopped.
func (p *Provider) Resume(ctx context.Context, req provider.Request) error {
	return p.setWorkers(ctx, req, max(req.Nodes, 1))
}

// Hibernate scales the workers to zero and keeps the control plane. Cluster API drains each
// Machine's node before it deletes the Machine.
func (p *Provider) Hibernate(ctx context.Context, req provider.Request) error {
	return p.setWorkers(ctx, req, 0)
}

// ScaleNodes sets the workers topology's replicas. Cluster API drains the nodes of the
// Machines it removes.
func (p *Provider) ScaleNodes(ctx context.Context, req provider.Request) error {
	return p.setWorkers(ctx, req, req.Nodes)
}

func (p *Provider) setWorkers(ctx context.Context, req provider.Request, replicas int32) error {
	t, err := p.target(ctx, req)
	if err != nil {
		return err
	}
	cl, err := t.get(ctx)
	if err != nil {
		return err
	}
	if cl == nil {
		return fmt.Errorf("the Cluster API Cluster %s does not exist", t.key)
	}
	patch := client.MergeFrom(cl.DeepCopy())
	mds := cl.Spec.Topology.Workers.MachineDeployments
	i := slices.IndexFunc(mds, func(md clusterv1.MachineDeploymentTopology) bool { return md.Name == WorkersName })
	if i < 0 {
		return fmt.Errorf("the Cluster API Cluster %s has no MachineDeployment topology %q", t.key, WorkersName)
	}
	if ptr.Deref(mds[i].Replicas, -1) == replicas {
		return nil
	}
	mds[i].Replicas = ptr.To(replicas)
	if err := t.c.Patch(ctx, cl, patch); err != nil {
		return fmt.Errorf("failed to set the workers of %s to %d: %w", t.key, replicas, err)
	}
	return nil
}

// Delete deletes the Cluster API Cluster; Cluster API then deletes its Machines and
// infrastructure, and Observe reports StateDeleting until all is gone.
func (p *Provider) Delete(ctx context.Context, req provider.Request) error {
	t, err := p.target(ctx, req)
	if err != nil {
		return err
	}
	cl, err := t.get(ctx)
	if err != nil || cl == nil {
		return err
	}
	if err := t.c.Delete(ctx, cl, client.Preconditions{UID: &cl.UID}); client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("failed to delete the Cluster API Cluster %s: %w", t.key, err)
	}
	return nil
}

// Kubeconfig reads Cluster API's `<cluster>-kubeconfig` Secret. The Cluster Manager asks at
// every health check, so the fleet's copy follows its rotations.
func (p *Provider) Kubeconfig(ctx context.Context, req provider.Request) ([]byte, error) {
	t, err := p.target(ctx, req)
	if err != nil {
		return nil, err
	}
	secret := &corev1.Secret{}
	key := client.ObjectKey{Namespace: t.key.Namespace, Name: t.key.Name + "-kubeconfig"}
	if err := t.c.Get(ctx, key, secret); err != nil {
		return nil, fmt.Errorf("failed to get the kubeconfig Secret %s: %w", key, err)
	}
	if owner := secret.Labels[clusterv1.ClusterNameLabel]; owner != t.key.Name {
		return nil, fmt.Errorf("the kubeconfig Secret %s is not Cluster API's for Cluster %s (its label %s is %q)", key, t.key.Name, clusterv1.ClusterNameLabel, owner)
	}
	data := secret.Data[kubeconfigDataKey]
	if len(data) == 0 {
		return nil, fmt.Errorf("the kubeconfig Secret %s has no key %q", key, kubeconfigDataKey)
	}
	return data, nil
}
