package e2e

import (
	"context"
	"os"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
	inventoryv1alpha1 "sigs.k8s.io/cluster-inventory-api/apis/v1alpha1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/testenv"
)

// TestClusterLifecycle takes one local member cluster through create, scale, hibernate,
// resume, an outage and delete, and checks what is left at each step.
func TestClusterLifecycle(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	f := startFleet(t)
	const name = "lifecycle"
	clusterDir := f.Runner().ClusterDir(name)

	// A Secret of the name Navarkos would give the cluster's kubeconfig, made by someone else:
	// Navarkos never overwrites it, and says so until it is gone.
	theirs := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: n6sv1alpha1.SystemNamespace, Name: name + "-kubeconfig"},
		Data:       map[string][]byte{"kubeconfig": []byte("someone else's")},
	}
	g.Expect(f.client.Create(ctx, theirs)).To(Succeed())

	// Create from a pool: 2 nodes of 4 CPU and 110 pods each, priced by the pool.
	g.Expect(f.client.Create(ctx, &n6sv1alpha1.Cluster{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       n6sv1alpha1.ClusterSpec{Pool: "local-us-east", Nodes: ptr.To[int32](2)},
	})).To(Succeed())
	g.Eventually(func(g Gomega) {
		ready := condition(f.getCluster(g, name), n6sv1alpha1.ClusterReadyCondition)
		g.Expect(ready.Reason).To(Equal(n6sv1alpha1.ClusterKubeconfigInvalidReason))
		g.Expect(ready.Message).To(ContainSubstring("this Cluster does not own it"))
	}, clusterTimeout, poll).Should(Succeed(), "waiting for the foreign kubeconfig Secret to be reported")
	got := &corev1.Secret{}
	g.Expect(f.client.Get(ctx, client.ObjectKeyFromObject(theirs), got)).To(Succeed())
	g.Expect(got.Data).To(Equal(theirs.Data), "the foreign Secret is unchanged")
	g.Expect(got.OwnerReferences).To(BeEmpty(), "the foreign Secret is not adopted")
	g.Expect(f.client.Delete(ctx, got)).To(Succeed())
	g.Eventually(func(g Gomega) {
		c := f.getCluster(g, name)
		expectReady(g, c, 2)
		g.Expect(c.Status.Capacity.Allocatable.CPU.String()).To(Equal("8"))
		g.Expect(c.Status.Capacity.Allocatable.Memory.String()).To(Equal("32Gi"))
		g.Expect(c.Status.CostPerHour.String()).To(Equal("484m"), "0.10 per cluster-hour + 2 × 0.192 per node-hour")
		g.Expect(c.Labels).To(HaveKeyWithValue(n6sv1alpha1.RegionLabel, "us-east"))
		g.Expect(c.Status.LastHeartbeatTime).NotTo(BeNil())
	}, clusterTimeout, poll).Should(Succeed(), "waiting for the new cluster to be Ready with 2 nodes")

	// The pool counts its clusters.
	g.Eventually(func(g Gomega) {
		pool := &n6sv1alpha1.ClusterPool{}
		g.Expect(f.client.Get(ctx, client.ObjectKey{Name: "local-us-east"}, pool)).To(Succeed())
		g.Expect(pool.Status.Clusters).To(Equal(int32(1)))
		g.Expect(pool.Status.ReadyClusters).To(Equal(int32(1)))
	}, clusterTimeout, poll).Should(Succeed(), "waiting for the pool to count its Ready cluster")

	// The member is published in the cluster inventory, as other multi-cluster tools read it.
	g.Eventually(func(g Gomega) {
		p := &inventoryv1alpha1.ClusterProfile{}
		g.Expect(f.client.Get(ctx, client.ObjectKey{Namespace: n6sv1alpha1.SystemNamespace, Name: name}, p)).To(Succeed())
		g.Expect(p.Status.Version.Kubernetes).To(Equal("v1.37.2"))
		g.Expect(meta.IsStatusConditionTrue(p.Status.Conditions, inventoryv1alpha1.ClusterConditionControlPlaneHealthy)).To(BeTrue())
		g.Expect(p.Status.Properties).To(ContainElements(
			HaveField("Value", "local-us-east"), HaveField("Value", "us-east"), HaveField("Value", "484m")))
	}, clusterTimeout, poll).Should(Succeed(), "waiting for the ClusterProfile of the Ready cluster")

	// Pods scheduled on the member become Running, and the used capacity shows them.
	member := f.member(t, name)
	deployment := webDeployment(3)
	_, err := member.AppsV1().Deployments("default").Create(ctx, deployment, metav1.CreateOptions{})
	g.Expect(err).NotTo(HaveOccurred())
	expectAvailable(g, member, 3)
	expectPodsTookTheirTime(g, member, n6sv1alpha1.DefaultPodReadyDelay)
	g.Eventually(func(g Gomega) {
		c := f.getCluster(g, name)
		g.Expect(c.Status.Capacity.Used.Pods).To(Equal(int32(3)))
		g.Expect(c.Status.Capacity.Used.CPU.String()).To(Equal("300m"))
		g.Expect(c.Status.IdleSince).To(BeNil())
	}, clusterTimeout, poll).Should(Succeed(), "waiting for the used capacity to count the 3 pods")

	// Scale up, then down: the pods survive on the remaining node.
	f.patchCluster(t, name, func(c *n6sv1alpha1.Cluster) { c.Spec.Nodes = ptr.To[int32](3) })
	g.Eventually(func(g Gomega) {
		c := f.getCluster(g, name)
		expectReady(g, c, 3)
		g.Expect(c.Status.Capacity.Allocatable.CPU.String()).To(Equal("12"))
	}, clusterTimeout, poll).Should(Succeed(), "waiting for 3 nodes")
	f.patchCluster(t, name, func(c *n6sv1alpha1.Cluster) { c.Spec.Nodes = ptr.To[int32](1) })
	g.Eventually(func(g Gomega) {
		expectReady(g, f.getCluster(g, name), 1)
	}, clusterTimeout, poll).Should(Succeed(), "waiting for 1 node")
	expectAvailable(g, member, 3)

	// More nodes than the pool allows: refused with a reason, and the cluster keeps what it has.
	f.patchCluster(t, name, func(c *n6sv1alpha1.Cluster) { c.Spec.Nodes = ptr.To[int32](11) })
	g.Eventually(func(g Gomega) {
		c := f.getCluster(g, name)
		scaling := condition(c, n6sv1alpha1.ClusterScalingCondition)
		g.Expect(scaling.Reason).To(Equal(n6sv1alpha1.ClusterNodesOutOfRangeReason))
		g.Expect(scaling.Message).To(ContainSubstring("outside pool local-us-east nodesPerCluster [1, 10]"))
		g.Expect(condition(c, n6sv1alpha1.ClusterReadyCondition).Status).To(Equal(metav1.ConditionFalse))
		g.Expect(c.Status.Nodes).To(Equal(int32(1)))
	}, clusterTimeout, poll).Should(Succeed(), "waiting for NodesOutOfRange")
	f.patchCluster(t, name, func(c *n6sv1alpha1.Cluster) { c.Spec.Nodes = ptr.To[int32](1) })

	// Hibernate: every process stops, the port closes, the data stays.
	endpoint := f.getCluster(g, name).Status.Endpoint
	f.patchCluster(t, name, func(c *n6sv1alpha1.Cluster) { c.Spec.DesiredState = n6sv1alpha1.DesiredHibernated })
	g.Eventually(func(g Gomega) {
		c := f.getCluster(g, name)
		g.Expect(c.Status.Phase).To(Equal(n6sv1alpha1.ClusterPhaseHibernated))
		g.Expect(condition(c, n6sv1alpha1.ClusterReadyCondition).Reason).To(Equal(n6sv1alpha1.ClusterHibernatedReason))
		g.Expect(c.Status.CostPerHour).To(BeNil())
	}, clusterTimeout, poll).Should(Succeed(), "waiting for Hibernated")
	g.Eventually(func() []string { return testenv.ProcessesUnder(clusterDir) }, clusterTimeout, poll).
		Should(BeEmpty(), "waiting for the hibernated cluster's processes to exit")
	g.Expect(testenv.Listening(endpoint)).To(BeFalse(), "the hibernated cluster's API port %s must be closed", endpoint)
	g.Expect(clusterDir).To(BeADirectory(), "hibernation keeps the data")

	// Resume: the same endpoint answers, with the workload it had.
	f.patchCluster(t, name, func(c *n6sv1alpha1.Cluster) { c.Spec.DesiredState = n6sv1alpha1.DesiredOnline })
	g.Eventually(func(g Gomega) {
		c := f.getCluster(g, name)
		expectReady(g, c, 1)
		g.Expect(c.Status.Endpoint).To(Equal(endpoint))
	}, clusterTimeout, poll).Should(Succeed(), "waiting for the resumed cluster to be Ready")
	expectAvailable(g, member, 3)
	// A pod made after the wake runs at once: the stopped components left no lease in the way
	// of their successors (kwok would otherwise leave it Pending for its 200 s node lease).
	_, err = member.AppsV1().Deployments("default").Patch(ctx, "web", types.MergePatchType, []byte(`{"spec":{"replicas":4}}`), metav1.PatchOptions{})
	g.Expect(err).NotTo(HaveOccurred())
	expectAvailable(g, member, 4)

	// An outage: a frozen kube-apiserver makes the cluster Unhealthy; thawed, it recovers.
	thaw := f.freezeAPIServer(t, name)
	g.Eventually(func(g Gomega) {
		c := f.getCluster(g, name)
		healthy := condition(c, n6sv1alpha1.ClusterHealthyCondition)
		g.Expect(healthy.Status).To(Equal(metav1.ConditionFalse))
		g.Expect(healthy.Reason).To(Equal(n6sv1alpha1.ClusterUnreachableReason))
		g.Expect(c.Status.Phase).To(Equal(n6sv1alpha1.ClusterPhaseUnhealthy))
	}, clusterTimeout, poll).Should(Succeed(), "waiting for Healthy=False while the API server is frozen")
	thaw()
	g.Eventually(func(g Gomega) {
		expectReady(g, f.getCluster(g, name), 1)
	}, clusterTimeout, poll).Should(Succeed(), "waiting for the thawed cluster to be Ready again")

	// Offline: the provider's cluster goes away and the Cluster object stays; Online makes a new one.
	f.patchCluster(t, name, func(c *n6sv1alpha1.Cluster) { c.Spec.DesiredState = n6sv1alpha1.DesiredOffline })
	g.Eventually(func(g Gomega) {
		c := f.getCluster(g, name)
		g.Expect(c.Status.Phase).To(Equal(n6sv1alpha1.ClusterPhaseOffline))
		g.Expect(condition(c, n6sv1alpha1.ClusterProvisionedCondition).Reason).To(Equal(n6sv1alpha1.ClusterOfflineReason))
		g.Expect(c.Status.Endpoint).To(BeEmpty())
	}, clusterTimeout, poll).Should(Succeed(), "waiting for Offline")
	g.Expect(clusterDir).NotTo(BeADirectory(), "an offline cluster keeps nothing at the provider")
	g.Expect(testenv.ProcessesUnder(clusterDir)).To(BeEmpty())
	f.patchCluster(t, name, func(c *n6sv1alpha1.Cluster) { c.Spec.DesiredState = n6sv1alpha1.DesiredOnline })
	g.Eventually(func(g Gomega) {
		expectReady(g, f.getCluster(g, name), 1)
	}, clusterTimeout, poll).Should(Succeed(), "waiting for the cluster made anew after Offline")
	endpoint = f.getCluster(g, name).Status.Endpoint

	// Delete: no process, port, directory or kubeconfig Secret remains.
	g.Expect(f.client.Delete(ctx, &n6sv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: name}})).To(Succeed())
	g.Eventually(func() bool {
		return apierrors.IsNotFound(f.client.Get(ctx, client.ObjectKey{Name: name}, &n6sv1alpha1.Cluster{}))
	}, clusterTimeout, poll).Should(BeTrue(), "waiting for the Cluster to be deleted")
	g.Expect(testenv.ProcessesUnder(clusterDir)).To(BeEmpty())
	g.Expect(testenv.Listening(endpoint)).To(BeFalse(), "the deleted cluster's API port %s must be closed", endpoint)
	_, err = os.Stat(clusterDir)
	g.Expect(os.IsNotExist(err)).To(BeTrue(), "the deleted cluster's directory %s must be gone", clusterDir)
	err = f.client.Get(ctx, client.ObjectKey{Namespace: n6sv1alpha1.SystemNamespace, Name: name + "-kubeconfig"}, &corev1.Secret{})
	g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "the kubeconfig Secret must be gone, got %v", err)
	g.Eventually(func() bool {
		return apierrors.IsNotFound(f.client.Get(ctx, client.ObjectKey{Namespace: n6sv1alpha1.SystemNamespace, Name: name}, &inventoryv1alpha1.ClusterProfile{}))
	}, clusterTimeout, poll).Should(BeTrue(), "waiting for the ClusterProfile to go with its Cluster")
}

func webDeployment(replicas int32) *appsv1.Deployment {
	labels := map[string]string{"app": "web"}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name:  "web",
					Image: "web:1",
					Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
						corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("64Mi"),
					}},
				}}},
			},
		},
	}
}

// expectPodsTookTheirTime checks that each web pod became Ready no sooner than delay after it
// was created, as the pool's podReadyDelay says: the local member's pods are not instant.
// Both times are in whole seconds, so a pod created at t and Ready at t+delay shows delay.
func expectPodsTookTheirTime(g Gomega, member kubernetes.Interface, delay time.Duration) {
	pods, err := member.CoreV1().Pods("default").List(context.Background(), metav1.ListOptions{LabelSelector: "app=web"})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(pods.Items).NotTo(BeEmpty())
	for _, p := range pods.Items {
		var ready *corev1.PodCondition
		for i := range p.Status.Conditions {
			if p.Status.Conditions[i].Type == corev1.PodReady {
				ready = &p.Status.Conditions[i]
			}
		}
		g.Expect(ready).NotTo(BeNil(), "pod %s has no Ready condition", p.Name)
		took := ready.LastTransitionTime.Sub(p.CreationTimestamp.Time)
		g.Expect(took).To(BeNumerically(">=", delay), "pod %s was Ready %s after its creation, before the pool's podReadyDelay", p.Name, took)
	}
}

// expectAvailable waits until the web Deployment has n available replicas on kwok nodes.
func expectAvailable(g Gomega, member kubernetes.Interface, n int32) {
	g.Eventually(func(g Gomega) {
		d, err := member.AppsV1().Deployments("default").Get(context.Background(), "web", metav1.GetOptions{})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(d.Status.AvailableReplicas).To(Equal(n))
		pods, err := member.CoreV1().Pods("default").List(context.Background(), metav1.ListOptions{LabelSelector: "app=web"})
		g.Expect(err).NotTo(HaveOccurred())
		running := 0
		for _, p := range pods.Items {
			if p.Status.Phase == corev1.PodRunning && p.DeletionTimestamp == nil {
				running++
			}
		}
		g.Expect(running).To(Equal(int(n)))
	}, clusterTimeout, poll).Should(Succeed(), "waiting for %d Running web pods in the member", n)
}
