package e2e

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/planner"
	"github.com/navarkos/navarkos/internal/provider/capi"
	"github.com/navarkos/navarkos/internal/setup"
	"github.com/navarkos/navarkos/internal/testenv"
)

const (
	// capiNamespace holds the tests' Cluster API Clusters in the management cluster.
	capiNamespace = "capi-e2e"
	// capiVersion is the Kubernetes version of the in-memory workload clusters.
	capiVersion = "v1.33.0"
	// capiTimeout bounds the wait for Cluster API to make, scale or delete a cluster.
	capiTimeout = 3 * time.Minute
)

// TestClusterAPI runs the capi provider against the real Cluster API controllers (core,
// kubeadm bootstrap and control plane, and the in-memory backend of Cluster API's test
// infrastructure provider), with the fleet API server as the management cluster. The
// subtests share the fleet and run in parallel.
func TestClusterAPI(t *testing.T) {
	cfg := planner.DefaultConfig()
	cfg.StabilizationWindow = 10 * time.Second
	f := startFleetWith(t, setup.Options{HealthInterval: healthInterval, Planner: setup.PlannerOptions{Interval: 2 * time.Second, Config: cfg}})
	startClusterAPI(t, f)

	t.Run("DemandDrivenLifecycle", func(t *testing.T) { t.Parallel(); testCAPILifecycle(t, f) })
	t.Run("FailingMachine", func(t *testing.T) { t.Parallel(); testCAPIFailingMachine(t, f) })
	t.Run("ForeignClusterRefused", func(t *testing.T) { t.Parallel(); testCAPIForeignCluster(t, f) })
	t.Run("RotatedKubeconfig", func(t *testing.T) { t.Parallel(); testCAPIRotatedKubeconfig(t, f) })
}

// startClusterAPI runs the Cluster API controllers against the fleet API server, installs
// the in-memory ClusterClass in capiNamespace and, when the test fails, logs the ends of
// the controllers' logs.
func startClusterAPI(t *testing.T, f *localFleet) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	c, err := testenv.StartClusterAPI(ctx, f.KubeconfigPath(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.Stop()
		if !t.Failed() {
			return
		}
		for _, path := range c.LogPaths() {
			raw, _ := os.ReadFile(path)
			if len(raw) > 6000 {
				raw = raw[len(raw)-6000:]
			}
			t.Logf("end of %s:\n%s", filepath.Base(path), raw)
		}
	})
	g := NewWithT(t)
	g.Expect(f.client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: capiNamespace}})).To(Succeed())
	g.Expect(testenv.ApplyManifests(ctx, f.client, filepath.Join(testenv.RepoRoot(), "examples", "capi", "in-memory-clusterclass.yaml"), capiNamespace)).To(Succeed())
}

// capiClient reads Cluster API's kinds in the management cluster (the fleet API server).
func capiClient(t *testing.T, f *localFleet) client.Client {
	t.Helper()
	s := setup.Scheme()
	if err := clusterv1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	c, err := client.New(f.cfg, client.Options{Scheme: s})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// capiPool is a pool of clusters made from the in-memory ClusterClass with the given
// worker class, managed through the fleet API server unless management is set.
func capiPool(name, workerClass string, management *n6sv1alpha1.ManagementCluster) *n6sv1alpha1.ClusterPool {
	return &n6sv1alpha1.ClusterPool{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"e2e": name}},
		Spec: n6sv1alpha1.ClusterPoolSpec{
			Provider: n6sv1alpha1.ProviderCAPI, Region: "cloud-east",
			NodeShape: n6sv1alpha1.NodeShape{CPU: resource.MustParse("4"), Memory: resource.MustParse("16Gi"), Pods: 110},
			Price: n6sv1alpha1.Price{PerNodeHour: resource.MustParse("0.2"), PerClusterHour: ptr.To(resource.MustParse("0.1")),
				HibernatedPerClusterHour: ptr.To(resource.MustParse("0.1"))},
			Clusters:        n6sv1alpha1.CountRange{Max: 1},
			NodesPerCluster: n6sv1alpha1.CountRange{Min: 1, Max: 3},
			IdleTTL:         n6sv1alpha1.DurationOf(15 * time.Second),
			OfflineMode:     n6sv1alpha1.OfflineHibernate,
			Template: &n6sv1alpha1.ProviderTemplate{CAPI: &n6sv1alpha1.CAPITemplate{
				Management:   management,
				Namespace:    capiNamespace,
				ClusterClass: n6sv1alpha1.ClusterClassReference{Name: "navarkos-in-memory"},
				Version:      capiVersion,
				WorkerClass:  workerClass,
			}},
		},
	}
}

// testCAPILifecycle: no application, no cluster; an application makes the planner create a
// Cluster API cluster, which grows its workers with demand, scales them to zero when idle,
// wakes when demand returns, and leaves no Cluster API object behind when deleted. The
// pool reaches its management cluster through a kubeconfig Secret.
func testCAPILifecycle(t *testing.T, f *localFleet) {
	g := NewWithT(t)
	ctx := context.Background()
	mc := capiClient(t, f)
	kubeconfig, err := os.ReadFile(f.KubeconfigPath())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(f.client.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: n6sv1alpha1.SystemNamespace, Name: "capi-management"},
		Data:       map[string][]byte{"kubeconfig": kubeconfig},
	})).To(Succeed())
	g.Expect(f.client.Create(ctx, capiPool("cloud", "worker", &n6sv1alpha1.ManagementCluster{KubeconfigSecretName: "capi-management"}))).To(Succeed())
	g.Expect(f.client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "capi-shop"}})).To(Succeed())
	g.Expect(f.client.Create(ctx, poolPlacement("capi-shop", "cloud"))).To(Succeed())
	poolClusters := func(g Gomega) []string {
		list := &n6sv1alpha1.ClusterList{}
		g.Expect(f.client.List(ctx, list)).To(Succeed())
		var names []string
		for _, c := range list.Items {
			if c.Spec.Pool == "cloud" {
				g.Expect(c.Labels).To(HaveKeyWithValue(n6sv1alpha1.PlannerLabel, n6sv1alpha1.PlannerManaged), "only the planner makes clusters here")
				names = append(names, c.Name)
			}
		}
		return names
	}
	g.Consistently(func(g Gomega) { g.Expect(poolClusters(g)).To(BeEmpty()) }, "2s", poll).Should(Succeed(), "no application, no cluster")

	// Two one-CPU replicas: the planner creates one cluster of one four-CPU worker.
	g.Expect(f.client.Create(ctx, capiDeployment(2))).To(Succeed())
	var name string
	g.Eventually(func(g Gomega) {
		names := poolClusters(g)
		g.Expect(names).To(HaveLen(1))
		name = names[0]
	}, capiTimeout, poll).Should(Succeed(), "waiting for the planner to create a cluster in the capi pool")
	expectCAPIWorkers(g, f, mc, name, 1)
	g.Eventually(func(g Gomega) {
		c := f.getCluster(g, name)
		for _, typ := range []string{clusterv1.ClusterInfrastructureReadyCondition, clusterv1.ClusterControlPlaneAvailableCondition, clusterv1.ClusterWorkersAvailableCondition, n6sv1alpha1.ClusterMachinesReadyCondition} {
			g.Expect(condition(c, typ).Status).To(Equal(metav1.ConditionTrue), "condition %s mirrored from Cluster API: %+v", typ, c.Status.Conditions)
		}
	}, capiTimeout, poll).Should(Succeed(), "waiting for Cluster API's conditions on Cluster %s", name)
	c := f.getCluster(g, name)
	cl := &clusterv1.Cluster{}
	g.Expect(mc.Get(ctx, client.ObjectKey{Namespace: capiNamespace, Name: name}, cl)).To(Succeed())
	g.Expect(cl.Labels).To(HaveKeyWithValue(n6sv1alpha1.ClusterNameLabel, name), "the Cluster API Cluster is tied to the Navarkos Cluster by a label")
	g.Expect(c.Status.KubernetesVersion).To(Equal(capiVersion), "the workload cluster's API server answers through the kubeconfig Cluster API wrote")

	// Ten replicas need three workers.
	d := &appsv1.Deployment{}
	g.Expect(f.client.Get(ctx, client.ObjectKey{Namespace: "capi-shop", Name: "web"}, d)).To(Succeed())
	patch := client.MergeFrom(d.DeepCopy())
	d.Spec.Replicas = ptr.To[int32](10)
	g.Expect(f.client.Patch(ctx, d, patch)).To(Succeed())
	expectCAPIWorkers(g, f, mc, name, 3)

	// Without the application, the cluster hibernates after the idle time-to-live: no workers,
	// the control plane kept, and the hibernated price as its cost.
	g.Expect(f.client.Delete(ctx, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "capi-shop", Name: "web"}})).To(Succeed())
	g.Eventually(func(g Gomega) {
		c := f.getCluster(g, name)
		g.Expect(c.Spec.DesiredState).To(Equal(n6sv1alpha1.DesiredHibernated))
		g.Expect(c.Status.Phase).To(Equal(n6sv1alpha1.ClusterPhaseHibernated))
		g.Expect(c.Status.CostPerHour).NotTo(BeNil())
		g.Expect(c.Status.CostPerHour.String()).To(Equal("100m"))
		g.Expect(capiMachines(g, mc, name, true)).To(BeZero(), "no worker Machine")
		g.Expect(capiMachines(g, mc, name, false)).To(BeNumerically(">=", 1), "the control plane is kept")
	}, capiTimeout, poll).Should(Succeed(), "waiting for the idle cluster to hibernate to zero workers")

	// The application returns: the same cluster wakes.
	g.Expect(f.client.Create(ctx, capiDeployment(2))).To(Succeed())
	expectCAPIWorkers(g, f, mc, name, 1)
	g.Expect(f.getCluster(g, name).Spec.DesiredState).To(Equal(n6sv1alpha1.DesiredOnline))
	measured := &n6sv1alpha1.ClusterPool{}
	g.Eventually(func(g Gomega) {
		g.Expect(f.client.Get(ctx, client.ObjectKey{Name: "cloud"}, measured)).To(Succeed())
		m := measured.Status.MeasuredTimeToCapacity
		g.Expect(m).NotTo(BeNil())
		g.Expect(m.Create).NotTo(BeNil())
		g.Expect(m.Wake).NotTo(BeNil())
	}, capiTimeout, poll).Should(Succeed(), "waiting for the measured create and wake times of the capi pool")
	m := measured.Status.MeasuredTimeToCapacity
	t.Logf("measured through Cluster API: create %s, wake %s, scale %v", m.Create.Duration, m.Wake.Duration, m.Scale)

	// Deleting the Cluster deletes the Cluster API Cluster and waits until nothing is left.
	g.Expect(f.client.Delete(ctx, &n6sv1alpha1.Placement{ObjectMeta: metav1.ObjectMeta{Namespace: "capi-shop", Name: "web"}})).To(Succeed())
	g.Expect(f.client.Delete(ctx, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "capi-shop", Name: "web"}})).To(Succeed())
	expectCAPIDeleted(t, f, mc, name)
}

// createCAPICluster creates a pool of the worker class, managed through the fleet API server,
// and a Cluster of one node of the same name in it.
func createCAPICluster(g Gomega, f *localFleet, name, workerClass string) {
	ctx := context.Background()
	g.Expect(f.client.Create(ctx, capiPool(name, workerClass, nil))).To(Succeed())
	g.Expect(f.client.Create(ctx, &n6sv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: n6sv1alpha1.ClusterSpec{Pool: name, Nodes: ptr.To[int32](1)}})).To(Succeed())
}

// capiDeployment is an application of one-CPU replicas in the namespace capi-shop.
func capiDeployment(replicas int32) *appsv1.Deployment {
	d := cpuDeployment(replicas)
	d.Namespace = "capi-shop"
	return d
}

// expectCAPIWorkers waits until the Cluster is Ready with the given workers, which Cluster API
// made as Machines and whose nodes the workload cluster's API server lists.
func expectCAPIWorkers(g Gomega, f *localFleet, mc client.Client, name string, workers int32) {
	g.Eventually(func(g Gomega) {
		c := f.getCluster(g, name)
		g.Expect(condition(c, n6sv1alpha1.ClusterReadyCondition).Status).To(Equal(metav1.ConditionTrue), "conditions: %+v", c.Status.Conditions)
		g.Expect(c.Status.Nodes).To(Equal(workers))
		g.Expect(capiMachines(g, mc, name, true)).To(Equal(int(workers)), "worker Machines")
		g.Expect(c.Status.Capacity.Allocatable.Pods).To(Equal(workers*110), "capacity of %d workers of the pool's shape", workers)
	}, capiTimeout, poll).Should(Succeed(), "waiting for Cluster %s to be Ready with %d Cluster API workers", name, workers)
}

// capiMachines counts the Machines of a Cluster API Cluster: the workers, or the control plane.
func capiMachines(g Gomega, mc client.Client, cluster string, workers bool) int {
	list := &clusterv1.MachineList{}
	g.Expect(mc.List(context.Background(), list, client.InNamespace(capiNamespace), client.MatchingLabels{clusterv1.ClusterNameLabel: cluster})).To(Succeed())
	n := 0
	for _, m := range list.Items {
		_, cp := m.Labels[clusterv1.MachineControlPlaneLabel]
		if cp != workers {
			n++
		}
	}
	return n
}

// capiKinds are the Cluster API kinds a cluster of the in-memory class is made of.
var capiKinds = []schema.GroupVersionKind{
	clusterv1.GroupVersion.WithKind("Cluster"),
	clusterv1.GroupVersion.WithKind("MachineDeployment"),
	clusterv1.GroupVersion.WithKind("MachineSet"),
	clusterv1.GroupVersion.WithKind("Machine"),
	{Group: "controlplane.cluster.x-k8s.io", Version: "v1beta2", Kind: "KubeadmControlPlane"},
	{Group: "bootstrap.cluster.x-k8s.io", Version: "v1beta2", Kind: "KubeadmConfig"},
	{Group: "infrastructure.cluster.x-k8s.io", Version: "v1beta2", Kind: "DevCluster"},
	{Group: "infrastructure.cluster.x-k8s.io", Version: "v1beta2", Kind: "DevMachine"},
	{Version: "v1", Kind: "Secret"},
}

// expectCAPIDeleted deletes a Cluster and waits until it and every Cluster API object of its
// cluster are gone.
func expectCAPIDeleted(t *testing.T, f *localFleet, mc client.Client, name string) {
	t.Helper()
	g := NewWithT(t)
	ctx := context.Background()
	g.Expect(f.client.Delete(ctx, &n6sv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: name}})).To(Succeed())
	g.Eventually(func(g Gomega) {
		c := &n6sv1alpha1.Cluster{}
		err := f.client.Get(ctx, client.ObjectKey{Name: name}, c)
		g.Expect(err).To(HaveOccurred(), "Cluster %s still exists: phase %s, conditions %+v", name, c.Status.Phase, c.Status.Conditions)
		for _, gvk := range capiKinds {
			list := &unstructured.UnstructuredList{}
			list.SetGroupVersionKind(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
			g.Expect(mc.List(ctx, list, client.InNamespace(capiNamespace), client.MatchingLabels{clusterv1.ClusterNameLabel: name})).To(Succeed())
			g.Expect(list.Items).To(BeEmpty(), "%s objects of cluster %s left", gvk.Kind, name)
		}
	}, capiTimeout, poll).Should(Succeed(), "waiting for Cluster %s and its Cluster API objects to be deleted", name)
}

// testCAPIFailingMachine: a worker class whose machines fail in the infrastructure provider
// shows on the Cluster as MachinesReady False with the Machine's reason and message.
func testCAPIFailingMachine(t *testing.T, f *localFleet) {
	g := NewWithT(t)
	mc := capiClient(t, f)
	createCAPICluster(g, f, "broken", "broken-worker")
	g.Eventually(func(g Gomega) {
		c := f.getCluster(g, "broken")
		machines := condition(c, n6sv1alpha1.ClusterMachinesReadyCondition)
		g.Expect(machines.Status).To(Equal(metav1.ConditionFalse), "conditions: %+v", c.Status.Conditions)
		g.Expect(machines.Message).To(ContainSubstring("Machine broken-"+capi.WorkersName+"-"), "the failing worker Machine is named")
		g.Expect(machines.Message).To(ContainSubstring("InfrastructureReady"), "the Machine's failing condition is named")
		// The in-memory backend's own message when it fails to provision a machine.
		g.Expect(machines.Message).To(ContainSubstring("Please check controller logs for errors"), "the infrastructure provider's failure is shown")
		g.Expect(machines.Reason).NotTo(BeEmpty())
		g.Expect(condition(c, n6sv1alpha1.ClusterReadyCondition).Status).NotTo(Equal(metav1.ConditionTrue))
		t.Logf("failing Machine reported as %s: %s", machines.Reason, machines.Message)
	}, capiTimeout, poll).Should(Succeed(), "waiting for the failing worker Machine to show on Cluster broken")
	expectCAPIDeleted(t, f, mc, "broken")
}

// testCAPIForeignCluster: a Cluster API Cluster that Navarkos did not make is refused with a
// condition, not adopted, and left alone when the Navarkos Cluster is deleted.
func testCAPIForeignCluster(t *testing.T, f *localFleet) {
	g := NewWithT(t)
	ctx := context.Background()
	mc := capiClient(t, f)
	// Another team's cluster, paused so that Cluster API leaves it be.
	foreign := &clusterv1.Cluster{
		ObjectMeta: metav1.ObjectMeta{Namespace: capiNamespace, Name: "foreign", Labels: map[string]string{"owner": "another-team"}},
		Spec: clusterv1.ClusterSpec{Paused: ptr.To(true), Topology: clusterv1.Topology{
			ClassRef: clusterv1.ClusterClassRef{Name: "navarkos-in-memory"}, Version: capiVersion,
		}},
	}
	g.Expect(mc.Create(ctx, foreign)).To(Succeed())
	g.Expect(f.client.Create(ctx, capiPool("foreign", "worker", nil))).To(Succeed())
	g.Expect(f.client.Create(ctx, &n6sv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "foreign"}, Spec: n6sv1alpha1.ClusterSpec{Pool: "foreign", Nodes: ptr.To[int32](1)}})).To(Succeed())
	g.Eventually(func(g Gomega) {
		c := f.getCluster(g, "foreign")
		ready := condition(c, n6sv1alpha1.ClusterReadyCondition)
		g.Expect(ready.Status).To(Equal(metav1.ConditionFalse))
		g.Expect(ready.Reason).To(Equal(n6sv1alpha1.ClusterForeignReason), "conditions: %+v", c.Status.Conditions)
		g.Expect(ready.Message).To(ContainSubstring("not adopted"))
		g.Expect(c.Status.Phase).To(Equal(n6sv1alpha1.ClusterPhaseFailed))
	}, capiTimeout, poll).Should(Succeed(), "waiting for the foreign Cluster API Cluster to be refused")
	got := &clusterv1.Cluster{}
	g.Expect(mc.Get(ctx, client.ObjectKeyFromObject(foreign), got)).To(Succeed())
	g.Expect(got.Labels).NotTo(HaveKey(n6sv1alpha1.ClusterNameLabel), "the foreign Cluster is not labelled as Navarkos'")
	g.Expect(got.Spec.Topology.Workers.MachineDeployments).To(BeEmpty(), "the foreign Cluster is not changed")

	g.Expect(f.client.Delete(ctx, &n6sv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "foreign"}})).To(Succeed())
	g.Eventually(func(g Gomega) {
		err := f.client.Get(ctx, client.ObjectKey{Name: "foreign"}, &n6sv1alpha1.Cluster{})
		g.Expect(err).To(HaveOccurred())
	}, capiTimeout, poll).Should(Succeed(), "waiting for the Navarkos Cluster foreign to be deleted")
	g.Expect(mc.Get(ctx, client.ObjectKeyFromObject(foreign), got)).To(Succeed(), "deleting the Navarkos Cluster leaves the foreign one")
	g.Expect(got.DeletionTimestamp.IsZero()).To(BeTrue())
	g.Expect(mc.Delete(ctx, got)).To(Succeed())
}

// testCAPIRotatedKubeconfig: when the kubeconfig in Cluster API's Secret changes, as it does
// when its client certificate is rotated, the fleet's copy follows and the cluster stays
// Healthy. The test rotates it the way Cluster API does: a new client certificate signed by
// the cluster's CA, from the `<cluster>-ca` Secret.
func testCAPIRotatedKubeconfig(t *testing.T, f *localFleet) {
	g := NewWithT(t)
	ctx := context.Background()
	mc := capiClient(t, f)
	createCAPICluster(g, f, "rotate", "worker")
	expectCAPIWorkers(g, f, mc, "rotate", 1)
	fleetCopy := func(g Gomega) []byte {
		s := &corev1.Secret{}
		g.Expect(f.client.Get(ctx, client.ObjectKey{Namespace: n6sv1alpha1.SystemNamespace, Name: "rotate-kubeconfig"}, s)).To(Succeed())
		return s.Data["kubeconfig"]
	}
	secret := &corev1.Secret{}
	g.Expect(mc.Get(ctx, client.ObjectKey{Namespace: capiNamespace, Name: "rotate-kubeconfig"}, secret)).To(Succeed())
	g.Expect(fleetCopy(g)).To(Equal(secret.Data["value"]), "the fleet holds Cluster API's kubeconfig")

	ca := &corev1.Secret{}
	g.Expect(mc.Get(ctx, client.ObjectKey{Namespace: capiNamespace, Name: "rotate-ca"}, ca)).To(Succeed())
	rotated := rotateClientCert(t, secret.Data["value"], ca.Data["tls.crt"], ca.Data["tls.key"])
	patch := client.MergeFrom(secret.DeepCopy())
	secret.Data["value"] = rotated
	g.Expect(mc.Patch(ctx, secret, patch)).To(Succeed())
	g.Eventually(func(g Gomega) {
		g.Expect(bytes.Equal(fleetCopy(g), rotated)).To(BeTrue(), "the fleet's copy follows the rotation")
		c := f.getCluster(g, "rotate")
		g.Expect(meta.IsStatusConditionTrue(c.Status.Conditions, n6sv1alpha1.ClusterHealthyCondition)).To(BeTrue(), "the new kubeconfig reaches the cluster")
	}, capiTimeout, poll).Should(Succeed(), "waiting for the rotated kubeconfig to reach the fleet")
	expectCAPIDeleted(t, f, mc, "rotate")
}

// rotateClientCert returns the kubeconfig with a new client certificate and key, signed by
// the cluster's CA, for the same user.
func rotateClientCert(t *testing.T, kubeconfig, caCertPEM, caKeyPEM []byte) []byte {
	t.Helper()
	cfg, err := clientcmd.Load(kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	caPair, err := tls.X509KeyPair(caCertPEM, caKeyPEM)
	if err != nil {
		t.Fatalf("the cluster's CA does not load: %v", err)
	}
	caCert, err := x509.ParseCertificate(caPair.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "kubernetes-admin", Organization: []string{"system:masters"}},
		NotBefore:    time.Now().Add(-time.Minute),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caPair.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	for _, auth := range cfg.AuthInfos {
		auth.ClientCertificateData = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
		auth.ClientKeyData = pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	}
	out, err := clientcmd.Write(*cfg)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
