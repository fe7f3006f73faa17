package e2e

import (
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/setup"
	"github.com/navarkos/navarkos/internal/testenv"
)

// TestControllerAgainstExistingFleetAPI runs `navarkos controller`, the production mode,
// against a bare kube-apiserver: it installs the CRDs itself, serves probes and metrics,
// joins a cluster, and exits cleanly on SIGTERM.
func TestControllerAgainstExistingFleetAPI(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	env, err := testenv.NewEnvironment()
	g.Expect(err).NotTo(HaveOccurred())
	env.CRDDirectoryPaths = nil // the controller must install them
	cfg, err := env.Start()
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(func() { _ = env.Stop() })
	user, err := env.AddUser(envtest.User{Name: "fleet-admin", Groups: []string{"system:masters"}}, nil)
	g.Expect(err).NotTo(HaveOccurred())
	kubeconfig, err := user.KubeConfig()
	g.Expect(err).NotTo(HaveOccurred())
	kubeconfigPath := filepath.Join(t.TempDir(), "fleet.kubeconfig")
	g.Expect(os.WriteFile(kubeconfigPath, kubeconfig, 0o600)).To(Succeed())

	metricsAddr, probeAddr := freeAddr(t), freeAddr(t)
	cmd := exec.Command(filepath.Join(testenv.BinDir(), "navarkos"), "controller", "--kubeconfig", kubeconfigPath,
		"--metrics-addr", metricsAddr, "--health-probe-addr", probeAddr, "--health-interval", healthInterval.String())
	output := &testenv.SyncBuffer{}
	cmd.Stdout, cmd.Stderr = output, output
	g.Expect(cmd.Start()).To(Succeed())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
		}
	})

	g.Eventually(func() int { return httpStatus("http://" + probeAddr + "/readyz") }, clusterTimeout, poll).
		Should(Equal(http.StatusOK), "waiting for /readyz; output:\n%s", output)

	c, err := client.New(cfg, client.Options{Scheme: setup.Scheme()})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(c.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: n6sv1alpha1.SystemNamespace, Name: "self"},
		Data:       map[string][]byte{"kubeconfig": kubeconfig},
	})).To(Succeed(), "the controller must have created the %s namespace", n6sv1alpha1.SystemNamespace)
	g.Expect(c.Create(ctx, &n6sv1alpha1.Cluster{
		ObjectMeta: metav1.ObjectMeta{Name: "self"},
		Spec:       n6sv1alpha1.ClusterSpec{KubeconfigSecretRef: &n6sv1alpha1.SecretReference{Name: "self"}},
	})).To(Succeed())
	g.Eventually(func(g Gomega) {
		cl := &n6sv1alpha1.Cluster{}
		g.Expect(c.Get(ctx, client.ObjectKey{Name: "self"}, cl)).To(Succeed())
		g.Expect(condition(cl, n6sv1alpha1.ClusterReadyCondition).Status).To(Equal(metav1.ConditionTrue), "%+v", cl.Status.Conditions)
	}, clusterTimeout, poll).Should(Succeed(), "waiting for the joined cluster to be Ready; output:\n%s", output)

	g.Eventually(func() string { return httpBody("http://" + metricsAddr + "/metrics") }, clusterTimeout, poll).
		Should(ContainSubstring(`controller_runtime_reconcile_total{controller="cluster",result="success"}`))

	g.Expect(cmd.Process.Signal(syscall.SIGTERM)).To(Succeed())
	select {
	case err := <-exited:
		g.Expect(err).NotTo(HaveOccurred(), "navarkos controller must exit cleanly on SIGTERM:\n%s", output)
	case <-time.After(clusterTimeout):
		t.Fatalf("timed out waiting for navarkos controller to exit:\n%s", output)
	}
}

// freeAddr returns a loopback address with a port nothing listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	return "127.0.0.1:" + strconv.Itoa(testenv.FreePort(t))
}

func httpStatus(url string) int {
	resp, err := http.Get(url) //nolint:gosec,noctx // a loopback probe in a test
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	return resp.StatusCode
}

func httpBody(url string) string {
	resp, err := http.Get(url) //nolint:gosec,noctx // a loopback probe in a test
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return string(body)
}
