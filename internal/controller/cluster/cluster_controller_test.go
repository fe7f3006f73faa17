package cluster_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/testenv"
)

const waitTimeout = 60 * time.Second

// memberKubeconfig returns an admin kubeconfig for the envtest API server, which the
// tests join as a member cluster.
func memberKubeconfig(t *testing.T) []byte {
	t.Helper()
	user, err := testEnv.AddUser(envtest.User{Name: "member-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		t.Fatalf("failed to add an envtest user: %v", err)
	}
	data, err := user.KubeConfig()
	if err != nil {
		t.Fatalf("failed to build the envtest user's kubeconfig: %v", err)
	}
	return data
}

// unreachableKubeconfig points a valid kubeconfig at a loopback port nothing listens on.
func unreachableKubeconfig(t *testing.T) []byte {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	cfg, err := clientcmd.Load(memberKubeconfig(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cfg.Clusters {
		c.Server = "https://" + addr
	}
	data, err := clientcmd.Write(*cfg)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func getCluster(g Gomega, name string) *n6sv1alpha1.Cluster {
	c := &n6sv1alpha1.Cluster{}
	g.Expect(k8s.Get(context.Background(), client.ObjectKey{Name: name}, c)).To(Succeed())
	return c
}

func TestJoinedClusterReportsHealthAndCapacity(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "joined-node"}}
	create(t, node)
	node.Status = corev1.NodeStatus{
		Allocatable: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("8"), corev1.ResourceMemory: resource.MustParse("32Gi"), corev1.ResourcePods: resource.MustParse("50")},
		Capacity:    corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("8"), corev1.ResourceMemory: resource.MustParse("32Gi"), corev1.ResourcePods: resource.MustParse("50")},
		Conditions:  []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, LastHeartbeatTime: metav1.Now(), LastTransitionTime: metav1.Now()}},
	}
	g.Expect(k8s.Status().Update(ctx, node)).To(Succeed())

	create(t, kubeconfigSecret("joined-kubeconfig", memberKubeconfig(t)))
	create(t, testCluster("joined", joinedBy("joined-kubeconfig")))

	var firstHeartbeat time.Time
	g.Eventually(func(g Gomega) {
		c := getCluster(g, "joined")
		g.Expect(condition(c, n6sv1alpha1.ClusterReadyCondition).Status).To(Equal(metav1.ConditionTrue), "Ready: %+v", c.Status.Conditions)
		g.Expect(condition(c, n6sv1alpha1.ClusterProvisionedCondition).Reason).To(Equal(n6sv1alpha1.ClusterJoinedReason))
		g.Expect(condition(c, n6sv1alpha1.ClusterScalingCondition).Reason).To(Equal(n6sv1alpha1.ClusterNotManagedReason))
		g.Expect(c.Status.Phase).To(Equal(n6sv1alpha1.ClusterPhaseReady))
		g.Expect(c.Status.KubernetesVersion).To(Equal("v1.37.2"))
		g.Expect(c.Status.Nodes).To(BeNumerically(">=", 1))
		g.Expect(c.Status.Capacity.Allocatable.CPU.Cmp(resource.MustParse("8"))).To(BeNumerically(">=", 0))
		g.Expect(c.Status.Capacity.Allocatable.Pods).To(BeNumerically(">=", 50))
		g.Expect(c.Status.KubeconfigSecretRef).NotTo(BeNil())
		g.Expect(c.Status.KubeconfigSecretRef.Name).To(Equal("joined-kubeconfig"))
		g.Expect(c.Status.Endpoint).To(HavePrefix("https://127.0.0.1:"))
		g.Expect(c.Status.LastHeartbeatTime).NotTo(BeNil())
		g.Expect(c.Status.ObservedGeneration).To(Equal(c.Generation))
		firstHeartbeat = c.Status.LastHeartbeatTime.Time
	}, waitTimeout, 100*time.Millisecond).Should(Succeed(), "waiting for the joined cluster to be Ready with its capacity")

	g.Eventually(func(g Gomega) {
		c := getCluster(g, "joined")
		g.Expect(c.Status.LastHeartbeatTime.Time).To(BeTemporally(">", firstHeartbeat))
	}, waitTimeout, 100*time.Millisecond).Should(Succeed(), "waiting for a later heartbeat: health is checked every interval")

	// Leaving the fleet must not touch the joined cluster itself.
	g.Expect(k8s.Delete(ctx, testCluster("joined"))).To(Succeed())
	g.Eventually(func() bool {
		return apierrors.IsNotFound(k8s.Get(ctx, client.ObjectKey{Name: "joined"}, &n6sv1alpha1.Cluster{}))
	}, waitTimeout, 100*time.Millisecond).Should(BeTrue(), "waiting for the joined Cluster to be deleted")
	g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(node), &corev1.Node{})).To(Succeed(), "the joined cluster's node must survive")
	// The join Secret has the name Navarkos gives its own kubeconfig Secrets, but is the user's.
	g.Expect(k8s.Get(ctx, client.ObjectKey{Namespace: n6sv1alpha1.SystemNamespace, Name: "joined-kubeconfig"}, &corev1.Secret{})).To(Succeed(), "the user's join Secret must survive")
}

func TestGarbageKubeconfigIsReportedAndFixedBySecretUpdate(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	secret := kubeconfigSecret("garbage-kubeconfig", []byte("\x00not: [a kubeconfig"))
	create(t, secret)
	create(t, testCluster("garbage", joinedBy("garbage-kubeconfig")))

	g.Eventually(func(g Gomega) {
		c := getCluster(g, "garbage")
		cond := condition(c, n6sv1alpha1.ClusterProvisionedCondition)
		g.Expect(cond.Status).To(Equal(metav1.ConditionFalse))
		g.Expect(cond.Reason).To(Equal(n6sv1alpha1.ClusterKubeconfigInvalidReason))
		g.Expect(cond.Message).To(ContainSubstring("not a usable kubeconfig"))
		g.Expect(condition(c, n6sv1alpha1.ClusterReadyCondition).Reason).To(Equal(n6sv1alpha1.ClusterKubeconfigInvalidReason))
		g.Expect(c.Status.Phase).To(Equal(n6sv1alpha1.ClusterPhaseFailed))
	}, waitTimeout, 100*time.Millisecond).Should(Succeed(), "waiting for KubeconfigInvalid")

	secret.Data = map[string][]byte{"kubeconfig": memberKubeconfig(t)}
	g.Expect(k8s.Update(ctx, secret)).To(Succeed())
	g.Eventually(func(g Gomega) {
		c := getCluster(g, "garbage")
		g.Expect(condition(c, n6sv1alpha1.ClusterReadyCondition).Status).To(Equal(metav1.ConditionTrue), "%+v", c.Status.Conditions)
	}, waitTimeout, 100*time.Millisecond).Should(Succeed(), "waiting for Ready once the Secret holds a good kubeconfig")
}

// TestJoinKubeconfigMayNotRunCommands: a join Secret whose kubeconfig runs a command is
// refused with KubeconfigInvalid, and the command never runs in the controller.
func TestJoinKubeconfigMayNotRunCommands(t *testing.T) {
	g := NewWithT(t)
	marker := filepath.Join(t.TempDir(), "pwned")
	cfg, err := clientcmd.Load(memberKubeconfig(t))
	g.Expect(err).NotTo(HaveOccurred())
	for _, a := range cfg.AuthInfos {
		a.Exec = &clientcmdapi.ExecConfig{APIVersion: "client.authentication.k8s.io/v1", Command: "/bin/sh", Args: []string{"-c", "touch " + marker}, InteractiveMode: clientcmdapi.NeverExecInteractiveMode}
	}
	data, err := clientcmd.Write(*cfg)
	g.Expect(err).NotTo(HaveOccurred())
	create(t, kubeconfigSecret("exec-kubeconfig", data))
	create(t, testCluster("exec", joinedBy("exec-kubeconfig")))
	g.Eventually(func(g Gomega) {
		c := getCluster(g, "exec")
		cond := condition(c, n6sv1alpha1.ClusterReadyCondition)
		g.Expect(cond.Reason).To(Equal(n6sv1alpha1.ClusterKubeconfigInvalidReason))
		g.Expect(cond.Message).To(ContainSubstring(`runs the command "/bin/sh" (exec)`))
	}, waitTimeout, 100*time.Millisecond).Should(Succeed(), "waiting for the exec kubeconfig to be refused")
	g.Expect(marker).NotTo(BeAnExistingFile(), "the kubeconfig's command ran in the controller")
}

func TestMissingKubeconfigKey(t *testing.T) {
	g := NewWithT(t)
	create(t, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: n6sv1alpha1.SystemNamespace, Name: "wrong-key"},
		Data:       map[string][]byte{"config": []byte("x")},
	})
	create(t, testCluster("wrong-key", joinedBy("wrong-key")))
	g.Eventually(func(g Gomega) {
		cond := condition(getCluster(g, "wrong-key"), n6sv1alpha1.ClusterProvisionedCondition)
		g.Expect(cond.Reason).To(Equal(n6sv1alpha1.ClusterKubeconfigInvalidReason))
		g.Expect(cond.Message).To(ContainSubstring(`has no key "kubeconfig"`))
	}, waitTimeout, 100*time.Millisecond).Should(Succeed(), "waiting for KubeconfigInvalid naming the missing key")
}

func TestUnreachableClusterIsUnhealthy(t *testing.T) {
	g := NewWithT(t)
	create(t, kubeconfigSecret("unreachable-kubeconfig", unreachableKubeconfig(t)))
	create(t, testCluster("unreachable", joinedBy("unreachable-kubeconfig")))
	g.Eventually(func(g Gomega) {
		c := getCluster(g, "unreachable")
		healthy := condition(c, n6sv1alpha1.ClusterHealthyCondition)
		g.Expect(healthy.Status).To(Equal(metav1.ConditionFalse))
		g.Expect(healthy.Reason).To(Equal(n6sv1alpha1.ClusterUnreachableReason))
		g.Expect(healthy.Message).To(ContainSubstring("connection refused"))
		g.Expect(condition(c, n6sv1alpha1.ClusterReadyCondition).Status).To(Equal(metav1.ConditionFalse))
		g.Expect(c.Status.Phase).To(Equal(n6sv1alpha1.ClusterPhaseUnhealthy))
	}, waitTimeout, 100*time.Millisecond).Should(Succeed(), "waiting for Healthy=False/Unreachable")
}

func TestMissingPoolThenUnsupportedProvider(t *testing.T) {
	g := NewWithT(t)
	create(t, testCluster("orphan", fromPool("later-pool")))
	g.Eventually(func(g Gomega) {
		c := getCluster(g, "orphan")
		ready := condition(c, n6sv1alpha1.ClusterReadyCondition)
		g.Expect(ready.Reason).To(Equal(n6sv1alpha1.ClusterPoolNotFoundReason))
		g.Expect(ready.Message).To(ContainSubstring(`ClusterPool "later-pool" does not exist`))
		g.Expect(c.Status.Phase).To(Equal(n6sv1alpha1.ClusterPhasePending))
	}, waitTimeout, 100*time.Millisecond).Should(Succeed(), "waiting for PoolNotFound")

	// The pool's appearance wakes the Cluster up, through the pool watch.
	create(t, testPool("later-pool", withProvider(n6sv1alpha1.ProviderCAPI)))
	g.Eventually(func(g Gomega) {
		c := getCluster(g, "orphan")
		ready := condition(c, n6sv1alpha1.ClusterReadyCondition)
		g.Expect(ready.Reason).To(Equal(n6sv1alpha1.ClusterProviderUnsupportedReason))
		g.Expect(ready.Message).To(ContainSubstring(`provider "capi" is not enabled`))
		g.Expect(c.Status.Phase).To(Equal(n6sv1alpha1.ClusterPhaseFailed))
	}, waitTimeout, 100*time.Millisecond).Should(Succeed(), "waiting for ProviderUnsupported")
}

func TestFailingProviderIsRetriedAndLeavesNothing(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	create(t, testPool("broken"))
	create(t, testCluster("doomed", fromPool("broken"), withNodes(1)))

	g.Eventually(func(g Gomega) {
		c := getCluster(g, "doomed")
		cond := condition(c, n6sv1alpha1.ClusterProvisionedCondition)
		g.Expect(cond.Status).To(Equal(metav1.ConditionFalse))
		g.Expect(cond.Reason).To(Equal(n6sv1alpha1.ClusterProviderFailedReason))
		g.Expect(cond.Message).To(ContainSubstring("failed to create the cluster"))
		g.Expect(c.Status.Phase).To(Equal(n6sv1alpha1.ClusterPhaseFailed))
	}, 3*waitTimeout, 200*time.Millisecond).Should(Succeed(), "waiting for ProviderFailed")

	g.Eventually(func(g Gomega) {
		g.Expect(providerFailures(g, "doomed")).To(BeNumerically(">=", 2))
	}, 3*waitTimeout, 200*time.Millisecond).Should(Succeed(), "waiting for the failed creation to be retried")

	g.Expect(k8s.Delete(ctx, testCluster("doomed"))).To(Succeed())
	g.Eventually(func() bool {
		return apierrors.IsNotFound(k8s.Get(ctx, client.ObjectKey{Name: "doomed"}, &n6sv1alpha1.Cluster{}))
	}, 3*waitTimeout, 200*time.Millisecond).Should(BeTrue(), "waiting for the failed Cluster to be deleted")
	dir := brokenLocal.Runner.ClusterDir("doomed")
	_, err := os.Stat(dir)
	g.Expect(os.IsNotExist(err)).To(BeTrue(), "the cluster directory %s must be gone", dir)
	g.Expect(testenv.ProcessesUnder(dir)).To(BeEmpty(), "no process of the failed cluster may remain")
}

// providerFailures counts the ProviderFailed warnings recorded for a Cluster, series included.
func providerFailures(g Gomega, name string) int {
	list := &eventsv1.EventList{}
	g.Expect(k8s.List(context.Background(), list)).To(Succeed())

	n := 0
	for _, e := range list.Items {
		if e.Regarding.Name != name || e.Reason != n6sv1alpha1.ClusterProviderFailedReason {
			continue
		}
		n++
		if e.Series != nil {
			n += int(e.Series.Count) - 1
		}
	}
	return n
}

func TestJoinedClusterCannotHibernate(t *testing.T) {
	g := NewWithT(t)
	create(t, kubeconfigSecret("sleepy-kubeconfig", memberKubeconfig(t)))
	create(t, testCluster("sleepy", joinedBy("sleepy-kubeconfig"), func(c *n6sv1alpha1.Cluster) {
		c.Spec.DesiredState = n6sv1alpha1.DesiredHibernated
	}))
	g.Eventually(func(g Gomega) {
		c := getCluster(g, "sleepy")
		ready := condition(c, n6sv1alpha1.ClusterReadyCondition)
		g.Expect(ready.Reason).To(Equal(n6sv1alpha1.ClusterProviderFailedReason))
		g.Expect(ready.Message).To(ContainSubstring("failed to hibernate the cluster: not supported by this provider"))
		g.Expect(c.Status.Phase).To(Equal(n6sv1alpha1.ClusterPhaseFailed))
	}, waitTimeout, 100*time.Millisecond).Should(Succeed(), "waiting for the refusal to hibernate a joined cluster")
}
