package capi_test

import (
	"context"
	"errors"
	"os"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/provider"
	"github.com/navarkos/navarkos/internal/provider/capi"
	"github.com/navarkos/navarkos/internal/setup"
	"github.com/navarkos/navarkos/internal/testenv"
)

var (
	cfg *rest.Config
	// k8s is both the fleet API and the management cluster: it serves Cluster API's CRDs, and
	// no Cluster API controller runs, so every object stays as the provider wrote it.
	k8s client.Client
)

func TestMain(m *testing.M) {
	env, c, err := testenv.Start()
	if err != nil {
		panic(err)
	}
	cfg = c
	code := func() int {
		defer func() { _ = env.Stop() }()
		s := setup.Scheme()
		if err := clusterv1.AddToScheme(s); err != nil {
			panic(err)
		}
		if k8s, err = client.New(cfg, client.Options{Scheme: s}); err != nil {
			panic(err)
		}
		ctx := context.Background()
		for _, f := range []string{"cluster.x-k8s.io_clusters.yaml", "cluster.x-k8s.io_machines.yaml", "cluster.x-k8s.io_machinedeployments.yaml"} {
			if err := testenv.InstallModuleCRD(ctx, k8s, "sigs.k8s.io/cluster-api@"+testenv.ClusterAPIVersion, "core/config/crd/bases/"+f); err != nil {
				panic(err)
			}
		}
		for _, ns := range []string{n6sv1alpha1.SystemNamespace, "clusters"} {
			if err := k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
				panic(err)
			}
		}
		return m.Run()
	}()
	os.Exit(code)
}

func request(name string, nodes int32, management *n6sv1alpha1.ManagementCluster) provider.Request {
	return provider.Request{Name: name, Nodes: nodes, Pool: &n6sv1alpha1.ClusterPoolSpec{
		Provider: n6sv1alpha1.ProviderCAPI,
		Template: &n6sv1alpha1.ProviderTemplate{CAPI: &n6sv1alpha1.CAPITemplate{
			Management:           management,
			Namespace:            "clusters",
			ClusterClass:         n6sv1alpha1.ClusterClassReference{Name: "aws-eks", Namespace: "classes"},
			Version:              "v1.33.1",
			WorkerClass:          "general-purpose",
			ControlPlaneReplicas: ptr.To[int32](3),
			Variables: []n6sv1alpha1.CAPIVariable{
				{Name: "region", Value: apiextensionsv1.JSON{Raw: []byte(`"eu-west-1"`)}},
				{Name: "instanceType", Value: apiextensionsv1.JSON{Raw: []byte(`{"family":"m7i","size":"xlarge"}`)}},
			},
		}},
	}}
}

// TestClusterLifecycleObjects follows what the provider writes to the management cluster:
// the topology, the label tying it to the Navarkos Cluster, worker counts and deletion.
func TestClusterLifecycleObjects(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	p := capi.New(k8s, cfg)
	req := request("shop-eu", 2, nil)

	obs, err := p.Observe(ctx, req)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(obs.State).To(Equal(provider.StateAbsent))

	g.Expect(p.Create(ctx, req)).To(Succeed())
	g.Expect(p.Create(ctx, req)).To(Succeed(), "creating again is idempotent")
	cl := &clusterv1.Cluster{}
	g.Expect(k8s.Get(ctx, client.ObjectKey{Namespace: "clusters", Name: "shop-eu"}, cl)).To(Succeed())
	g.Expect(cl.Labels).To(HaveKeyWithValue(n6sv1alpha1.ClusterNameLabel, "shop-eu"))
	topo := cl.Spec.Topology
	g.Expect(topo.ClassRef).To(Equal(clusterv1.ClusterClassRef{Name: "aws-eks", Namespace: "classes"}))
	g.Expect(topo.Version).To(Equal("v1.33.1"))
	g.Expect(topo.ControlPlane.Replicas).To(Equal(ptr.To[int32](3)))
	g.Expect(topo.Workers.MachineDeployments).To(HaveLen(1))
	g.Expect(topo.Workers.MachineDeployments[0].Class).To(Equal("general-purpose"))
	g.Expect(topo.Workers.MachineDeployments[0].Name).To(Equal(capi.WorkersName))
	g.Expect(topo.Workers.MachineDeployments[0].Replicas).To(Equal(ptr.To[int32](2)))
	g.Expect(topo.Variables).To(HaveLen(2))
	g.Expect(string(topo.Variables[1].Value.Raw)).To(MatchJSON(`{"family":"m7i","size":"xlarge"}`), "variables pass through as they are")

	// No Cluster API controller runs here: the cluster waits for its topology, and says so.
	obs, err = p.Observe(ctx, req)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(obs.State).To(Equal(provider.StateProvisioning))
	g.Expect(obs.Waiting).To(ContainSubstring("TopologyReconciled"))
	g.Expect(obs.Workers).To(Equal(&provider.Workers{}))

	req.Nodes = 4
	g.Expect(p.ScaleNodes(ctx, req)).To(Succeed())
	g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(cl), cl)).To(Succeed())
	g.Expect(cl.Spec.Topology.Workers.MachineDeployments[0].Replicas).To(Equal(ptr.To[int32](4)))

	g.Expect(p.Hibernate(ctx, req)).To(Succeed())
	obs, err = p.Observe(ctx, req)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(obs.State).To(Equal(provider.StateStopped), "no workers: hibernated")
	g.Expect(p.Resume(ctx, req)).To(Succeed())
	g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(cl), cl)).To(Succeed())
	g.Expect(cl.Spec.Topology.Workers.MachineDeployments[0].Replicas).To(Equal(ptr.To[int32](4)), "waking brings the workers back")

	_, err = p.Kubeconfig(ctx, req)
	g.Expect(err).To(MatchError(ContainSubstring("clusters/shop-eu-kubeconfig")), "no kubeconfig before Cluster API writes one")
	forged := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "clusters", Name: "shop-eu-kubeconfig"}, Data: map[string][]byte{"value": []byte("x")}}
	g.Expect(k8s.Create(ctx, forged)).To(Succeed())
	_, err = p.Kubeconfig(ctx, req)
	g.Expect(err).To(MatchError(ContainSubstring("is not Cluster API's")), "a Secret without Cluster API's cluster label is not trusted")

	g.Expect(p.Delete(ctx, req)).To(Succeed())
	obs, err = p.Observe(ctx, req)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(obs.State).To(Equal(provider.StateAbsent), "without Cluster API's finalizer the Cluster goes at once")
	g.Expect(p.Delete(ctx, req)).To(Succeed(), "deleting an absent cluster succeeds")
}

// TestForeignClusterIsRefused: a Cluster API Cluster of the same name without Navarkos' label
// is reported as a refusal by every operation and never changed.
func TestForeignClusterIsRefused(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	p := capi.New(k8s, cfg)
	foreign := &clusterv1.Cluster{
		ObjectMeta: metav1.ObjectMeta{Namespace: "clusters", Name: "theirs", Labels: map[string]string{n6sv1alpha1.ClusterNameLabel: "someone-else"}},
		Spec:       clusterv1.ClusterSpec{Paused: ptr.To(true)},
	}
	g.Expect(k8s.Create(ctx, foreign)).To(Succeed())
	req := request("theirs", 1, nil)
	for name, op := range map[string]func() error{
		"observe": func() error { _, err := p.Observe(ctx, req); return err },
		"create":  func() error { return p.Create(ctx, req) },
		"scale":   func() error { return p.ScaleNodes(ctx, req) },
		"delete":  func() error { return p.Delete(ctx, req) },
	} {
		var refused *provider.RefusedError
		err := op()
		g.Expect(errors.As(err, &refused)).To(BeTrue(), "%s: got %v", name, err)
		g.Expect(refused.Reason).To(Equal(n6sv1alpha1.ClusterForeignReason))
		g.Expect(refused.Message).To(ContainSubstring("clusters/theirs"))
	}
	got := &clusterv1.Cluster{}
	g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(foreign), got)).To(Succeed())
	g.Expect(got.DeletionTimestamp.IsZero()).To(BeTrue())
	g.Expect(got.Spec.Topology.IsDefined()).To(BeFalse())
}

// TestBrokenManagementCluster: a missing Secret, a missing key, a garbage kubeconfig and an
// unreachable server each fail with a message that says which.
func TestBrokenManagementCluster(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	p := capi.New(k8s, cfg)
	mgmt := &n6sv1alpha1.ManagementCluster{KubeconfigSecretName: "mgmt"}
	observe := func() error { _, err := p.Observe(ctx, request("far", 1, mgmt)); return err }

	g.Expect(observe()).To(MatchError(ContainSubstring("kubeconfig Secret navarkos-system/mgmt does not exist")))
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: n6sv1alpha1.SystemNamespace, Name: "mgmt"}, Data: map[string][]byte{"other": []byte("x")}}
	g.Expect(k8s.Create(ctx, secret)).To(Succeed())
	g.Expect(observe()).To(MatchError(ContainSubstring(`has no key "kubeconfig"`)))

	secret.Data = map[string][]byte{"kubeconfig": []byte("\x00not: [a kubeconfig")}
	g.Expect(k8s.Update(ctx, secret)).To(Succeed())
	g.Expect(observe()).To(MatchError(ContainSubstring("does not load")))

	unreachable := []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`)
	secret.Data = map[string][]byte{"kubeconfig": unreachable}
	g.Expect(k8s.Update(ctx, secret)).To(Succeed())
	g.Expect(observe()).To(MatchError(ContainSubstring("connection refused")), "a changed Secret gives a new client")

	_, err := p.Observe(ctx, provider.Request{Name: "orphan"})
	g.Expect(err).To(MatchError(ContainSubstring("recreate the pool")), "a Cluster whose pool is gone cannot be found")
}
