package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/localfleet"
	"github.com/navarkos/navarkos/internal/provider/local"
	"github.com/navarkos/navarkos/internal/setup"
	"github.com/navarkos/navarkos/internal/testenv"
)

// TestRestartSafety kills `navarkos up` with SIGKILL while a cluster is being created,
// starts it again, and checks that the cluster ends Ready with no duplicate or orphan.
// Then Ctrl-C must stop everything, and a third run must bring the cluster back.
func TestRestartSafety(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	dataDir := t.TempDir()
	fl := localfleet.Fleet{DataDir: dataDir, BinDir: testenv.BinDir()}
	const name = "restart"
	clusterDir := fl.Runner().ClusterDir(name)

	first := startUp(t, dataDir)
	c := fleetClient(t, fl)
	g.Expect(c.Create(ctx, &n6sv1alpha1.Cluster{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       n6sv1alpha1.ClusterSpec{Pool: "local-eu-west", Nodes: ptr.To[int32](2)},
	})).To(Succeed())
	g.Eventually(func() bool { return fileExists(clusterDir) }, clusterTimeout, poll/10).
		Should(BeTrue(), "waiting for the creation of the cluster to start")
	_ = first.stop(t, syscall.SIGKILL)

	second := startUp(t, dataDir)
	var endpoint string
	g.Eventually(func(g Gomega) {
		cl := &n6sv1alpha1.Cluster{}
		g.Expect(c.Get(ctx, client.ObjectKey{Name: name}, cl)).To(Succeed())
		expectReady(g, cl, 2)
		endpoint = cl.Status.Endpoint
	}, clusterTimeout, poll).Should(Succeed(), "waiting for the cluster to be Ready after the restart")
	// The CLI reads the same fleet: a readable table, and a kubeconfig that reaches the member.
	table := runCLI(t, dataDir, "get", "clusters")
	g.Expect(table).To(MatchRegexp(`(?m)^restart\s+local-eu-west\s+eu-west\s+Online\s+Ready\s+2/2\s`))
	memberKubeconfig := filepath.Join(t.TempDir(), "member.kubeconfig")
	g.Expect(os.WriteFile(memberKubeconfig, []byte(runCLI(t, dataDir, "kubeconfig", name)), 0o600)).To(Succeed())
	memberCfg, err := clientcmd.BuildConfigFromFlags("", memberKubeconfig)
	g.Expect(err).NotTo(HaveOccurred())
	nodes, err := kubernetes.NewForConfigOrDie(memberCfg).CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(nodes.Items).To(HaveLen(2))

	names, err := fl.Members()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(names).To(Equal([]string{name}), "one local cluster, no duplicate")
	for _, exe := range []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok-controller"} {
		g.Expect(testenv.CountProcesses(exe, clusterDir)).To(Equal(1), "exactly one %s for the member", exe)
	}
	expectLightMember(t, clusterDir)
	controlPlane := fl.APIServerDir()
	g.Expect(testenv.CountProcesses("kube-apiserver", controlPlane)).To(Equal(1), "exactly one fleet API server")
	g.Expect(testenv.CountProcesses("etcd", controlPlane)).To(Equal(1), "exactly one fleet etcd")

	// Ctrl-C stops every process and frees every port and the lock.
	g.Expect(second.stop(t, syscall.SIGINT)).To(Succeed(), "navarkos up must exit cleanly on Ctrl-C:\n%s", second.output.String())
	g.Expect(testenv.ProcessesUnder(dataDir)).To(BeEmpty())
	g.Expect(testenv.Listening(endpoint)).To(BeFalse(), "member port %s must be free", endpoint)
	cfg := restConfig(t, fl)
	g.Expect(testenv.Listening(cfg.Host)).To(BeFalse(), "fleet API port %s must be free", cfg.Host)
	g.Expect(filepath.Join(dataDir, "navarkos.lock")).NotTo(BeAnExistingFile())

	// The next run resumes the fleet with its state.
	third := startUp(t, dataDir)
	g.Eventually(func(g Gomega) {
		cl := &n6sv1alpha1.Cluster{}
		g.Expect(c.Get(ctx, client.ObjectKey{Name: name}, cl)).To(Succeed())
		expectReady(g, cl, 2)
		g.Expect(cl.Status.Endpoint).To(Equal(endpoint))
	}, clusterTimeout, poll).Should(Succeed(), "waiting for the cluster to come back after a restart")
	// The status above may still be the one the last run wrote: wait for the components.
	g.Eventually(func() int { return len(testenv.ProcessesUnder(clusterDir)) }, clusterTimeout, poll).
		Should(Equal(5), "waiting for the member's five components to run again")
	expectLightMember(t, clusterDir) // a resumed member keeps its profile
	g.Expect(third.stop(t, syscall.SIGTERM)).To(Succeed(), "navarkos up must exit cleanly on SIGTERM:\n%s", third.output.String())
	g.Expect(testenv.ProcessesUnder(dataDir)).To(BeEmpty())
}

// runCLI runs the navarkos binary against the fleet in dataDir and returns its output.
func runCLI(t *testing.T, dataDir string, args ...string) string {
	t.Helper()
	cmd := exec.Command(filepath.Join(testenv.BinDir(), "navarkos"), append([]string{"--data-dir", dataDir}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("navarkos %v failed: %v\n%s", args, err, out)
	}
	return string(out)
}

func restConfig(t *testing.T, fl localfleet.Fleet) *rest.Config {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", fl.KubeconfigPath())
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func fleetClient(t *testing.T, fl localfleet.Fleet) client.Client {
	t.Helper()
	c, err := client.New(restConfig(t, fl), client.Options{Scheme: setup.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// expectLightMember: the member's components run with the light profile of the local
// provider's defaults: GOGC 50 for each, no leader election, and only a member's controllers.
func expectLightMember(t *testing.T, clusterDir string) {
	t.Helper()
	seen := map[string]bool{}
	for _, p := range testenv.ProcessesUnder(clusterDir) {
		pid, cmdline, _ := strings.Cut(p, ": ")
		exe := filepath.Base(strings.Fields(cmdline)[0])
		seen[exe] = true
		environ, err := os.ReadFile(filepath.Join("/proc", pid, "environ"))
		if err != nil {
			t.Fatalf("the environment of %s: %v", exe, err)
		}
		if !slices.Contains(strings.Split(string(environ), "\x00"), fmt.Sprintf("GOGC=%d", local.DefaultMemberGOGC)) {
			t.Errorf("%s runs without GOGC=%d", exe, local.DefaultMemberGOGC)
		}
		if (exe == "kube-controller-manager" || exe == "kube-scheduler") && !strings.Contains(cmdline, "--leader-elect=false") {
			t.Errorf("%s elects a leader: %s", exe, cmdline)
		}
		if exe == "kube-controller-manager" && (!strings.Contains(cmdline, "--controllers=deployment-controller,") ||
			strings.Contains(cmdline, "certificatesigningrequest")) {
			t.Errorf("kube-controller-manager runs more than a member's controllers: %s", cmdline)
		}
	}
	if len(seen) != 5 {
		t.Errorf("the member runs %v: want its five components to check", seen)
	}
}
