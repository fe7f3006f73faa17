package charts

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	mdns "github.com/miekg/dns"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/fleetpki"
	"github.com/navarkos/navarkos/internal/setup"
	"github.com/navarkos/navarkos/internal/testenv"
)

// poll is how often the test looks at the running control plane.
const poll = 200 * time.Millisecond

// inCluster matches the in-cluster names the chart gives its Services and pods.
var inCluster = regexp.MustCompile(`[a-z0-9.-]+\.navarkos-system\.svc`)

// TestControlPlaneChartRuns runs what charts/navarkos renders with the real binaries of its
// image: the PKI Job's command against a real API server standing in for the management
// cluster, then the etcd, kube-apiserver, bootstrap, kube-controller-manager and controller
// commands of the rendered pods, with the Secrets the Job made and the pools of its
// ConfigMap. Only what a cluster would provide is replaced: in-cluster names by 127.0.0.1,
// fixed ports by free ones, mount paths by directories. Then the fleet API must answer the
// admin, hold the CRDs and the chart's pool, the housekeeping controllers must work, the
// controllers must schedule and answer DNS with no more than their own RBAC, and nobody but
// the bootstrap is system:masters.
func TestControlPlaneChartRuns(t *testing.T) {
	if err := testenv.RequireBinaries("etcd", "kube-apiserver", "kube-controller-manager", "navarkos"); err != nil {
		t.Fatal(err)
	}
	ch, err := Load(Navarkos)
	if err != nil {
		t.Fatal(err)
	}
	values := map[string]any{
		// The Lease would live in the management cluster, which this test does not have.
		"controller": map[string]any{"leaderElection": false},
		"pools": []any{map[string]any{"name": "static-eu", "spec": map[string]any{
			"provider": "static", "region": "eu-west", "nodeShape": map[string]any{"cpu": "8", "memory": "32Gi", "pods": 110},
			"price": map[string]any{"perNodeHour": "0.40"}, "clusters": map[string]any{"max": 2},
			"nodesPerCluster": map[string]any{"min": 3, "max": 3},
		}}},
	}
	out, err := Render(t.Context(), ch, "navarkos", "navarkos-system", values)
	if err != nil {
		t.Fatal(err)
	}
	// Every render is the same: GitOps and dry runs see no change.
	again, err := Render(t.Context(), ch, "navarkos", "navarkos-system", values)
	if err != nil {
		t.Fatal(err)
	}
	if out.Manifest != again.Manifest {
		t.Fatal("two renders of the same values differ: the chart must make nothing random at render time")
	}
	for _, obj := range out.Objects {
		if obj.GetKind() == "Secret" {
			t.Fatalf("the chart renders Secret %s: its certificates would change at every render", obj.GetName())
		}
	}
	dir := t.TempDir()
	pki, kubeconfigDir, pools := filepath.Join(dir, "pki"), filepath.Join(dir, "kubeconfig"), filepath.Join(dir, "pools")
	port := map[string]int{}
	for _, p := range []string{"etcd", "peer", "etcd-metrics", "api", "kcm", "dns", "metrics", "probes"} {
		port[p] = testenv.FreePort(t)
	}
	apiURL := fmt.Sprintf("https://127.0.0.1:%d", port["api"])
	for _, obj := range out.Objects {
		if obj.GetKind() == "ConfigMap" && obj.GetName() == "navarkos-pools" {
			raw, _, _ := unstructured.NestedString(obj.Object, "data", "pools.yaml")
			writeFile(t, filepath.Join(pools, "pools.yaml"), []byte(raw))
		}
	}
	podEnv := strings.NewReplacer("$(POD_NAME)", "navarkos-etcd-0", "$(POD_NAMESPACE)", "navarkos-system")
	local := strings.NewReplacer(
		"/etc/navarkos/pki", pki, "/etc/navarkos/kubeconfig", kubeconfigDir, "/etc/navarkos/pools", pools, "/var/lib/etcd", filepath.Join(dir, "etcd"),
		"0.0.0.0", "127.0.0.1",
		":2379", fmt.Sprintf(":%d", port["etcd"]), ":2380", fmt.Sprintf(":%d", port["peer"]), ":2381", fmt.Sprintf(":%d", port["etcd-metrics"]),
		"--secure-port=6443", fmt.Sprintf("--secure-port=%d", port["api"]), "--secure-port=10257", fmt.Sprintf("--secure-port=%d", port["kcm"]),
		":443", fmt.Sprintf(":%d", port["api"]),
		"--dns-addr=:5353", fmt.Sprintf("--dns-addr=127.0.0.1:%d", port["dns"]),
		"--metrics-addr=127.0.0.1:8080", fmt.Sprintf("--metrics-addr=127.0.0.1:%d", port["metrics"]),
		"--health-probe-addr=:8081", fmt.Sprintf("--health-probe-addr=127.0.0.1:%d", port["probes"]),
	)
	command := func(kind, name, container string) []string {
		for _, obj := range out.Objects {
			if obj.GetKind() != kind || !strings.HasPrefix(obj.GetName(), name) {
				continue
			}
			containers, _, _ := unstructured.NestedSlice(obj.Object, "spec", "template", "spec", "containers")
			for _, c := range containers {
				c := c.(map[string]any)
				if c["name"] != container {
					continue
				}
				var args []string
				for _, a := range c["command"].([]any) {
					args = append(args, local.Replace(inCluster.ReplaceAllString(podEnv.Replace(a.(string)), "127.0.0.1")))
				}
				return args
			}
		}
		t.Fatalf("the chart renders no container %s in %s %s", container, kind, name)
		return nil
	}
	run := func(kind, name, container string) (output func() string) {
		args := command(kind, name, container)
		return testenv.StartProcess(t, filepath.Join(testenv.BinDir(), args[0]), args[1:]...)
	}

	// The PKI Job, twice: the second run keeps everything the first made.
	management := filepath.Join(dir, "management.kubeconfig")
	raw, err := testenv.Kubeconfig(restConfig)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, management, raw)
	pkiArgs := append(command("Job", "navarkos-pki-", "pki"), "--management-kubeconfig="+management)
	secrets := map[string]*corev1.Secret{}
	for i := range 2 {
		if out, err := exec.CommandContext(t.Context(), filepath.Join(testenv.BinDir(), pkiArgs[0]), pkiArgs[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("the PKI Job's command, run %d: %v\n%s", i+1, err, out)
		}
		for _, name := range []string{"navarkos-ca", "navarkos-pki", "navarkos-controller-kubeconfig", "navarkos-admin-kubeconfig"} {
			s := &corev1.Secret{}
			if err := k8s.Get(t.Context(), client.ObjectKey{Namespace: "navarkos-system", Name: name}, s); err != nil {
				t.Fatalf("the PKI Job made no Secret %s: %v", name, err)
			}
			if prev := secrets[name]; prev != nil && prev.ResourceVersion != s.ResourceVersion {
				t.Fatalf("running the PKI Job again changed Secret %s", name)
			}
			secrets[name] = s
		}
	}
	t.Cleanup(func() {
		for _, s := range secrets {
			_ = k8s.Delete(context.Background(), s)
		}
	})
	writeSecret(t, secrets["navarkos-pki"], pki, apiURL)
	writeSecret(t, secrets["navarkos-controller-kubeconfig"], kubeconfigDir, apiURL)
	writeSecret(t, secrets["navarkos-admin-kubeconfig"], filepath.Join(dir, "admin"), apiURL)
	if _, ok := secrets["navarkos-pki"].Data["ca.key"]; ok {
		t.Fatal("the CA key is in the Secret the fleet API and etcd pods mount")
	}
	for _, arg := range command("Deployment", "navarkos-fleet-api", "kube-apiserver") {
		if strings.HasPrefix(arg, "--token-auth-file") {
			t.Fatalf("the fleet API takes static tokens: %s", arg)
		}
	}

	// The controllers start first: they must wait for the fleet API, as pods of one release do.
	g := NewWithT(t)
	controllerOutput := run("Deployment", "navarkos-controller", "controller")
	g.Eventually(controllerOutput, time.Minute, poll).Should(ContainSubstring("Waiting for the fleet API"),
		"waiting for the controllers to say they wait for the fleet API, which is not started yet")
	run("StatefulSet", "navarkos-etcd", "etcd")
	run("Deployment", "navarkos-fleet-api", "kube-apiserver")

	// The admin kubeconfig of the chart's notes reaches the fleet API, which serves the CRDs and the pool.
	cfg, err := clientcmd.BuildConfigFromFlags("", filepath.Join(dir, "admin", "kubeconfig"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(cfg, client.Options{Scheme: setup.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	bootstrapOutput := run("Deployment", "navarkos-fleet-api", "bootstrap")
	g.Eventually(func() error {
		return c.List(ctx, &corev1.NamespaceList{})
	}, 2*time.Minute, poll).Should(Succeed(), func() string {
		return "waiting for the fleet API to answer the admin, once the bootstrap has bound its group; bootstrap:\n" + bootstrapOutput()
	})
	// kube-controller-manager gives up when the API is not healthy within 10 s of its start, or
	// cannot read kube-system's authentication ConfigMap yet (the API server makes the binding
	// that allows it soon after it starts); in a pod it is restarted, here it starts once both
	// are in place.
	g.Eventually(func() error {
		return c.Get(ctx, client.ObjectKey{Namespace: "kube-system", Name: "system::extension-apiserver-authentication-reader"}, &rbacv1.RoleBinding{})
	}, time.Minute, poll).Should(Succeed(), "waiting for the API server's bootstrap RoleBinding of kube-controller-manager")
	run("Deployment", "navarkos-fleet-api", "kube-controller-manager")
	g.Eventually(func() error {
		pools := &n6sv1alpha1.ClusterPoolList{}
		if err := c.List(ctx, pools); err != nil {
			return err
		}
		if len(pools.Items) != 1 || pools.Items[0].Name != "static-eu" {
			return fmt.Errorf("pools: %d", len(pools.Items))
		}
		return nil
	}, 2*time.Minute, poll).Should(Succeed(), "waiting for the chart's pool in the fleet API, applied by the controllers")
	// The housekeeping kube-controller-manager works: a new namespace gets its default ServiceAccount.
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "probe"}}); err != nil {
		t.Fatal(err)
	}
	g.Eventually(func() error {
		return c.Get(ctx, client.ObjectKey{Namespace: "probe", Name: "default"}, &corev1.ServiceAccount{})
	}, time.Minute, poll).Should(Succeed(), "waiting for the default ServiceAccount of a new namespace")
	// The controllers are ready and answer for the GlobalIngress zone.
	g.Eventually(func() error {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/readyz", port["probes"]))
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	}, time.Minute, poll).Should(Succeed(), "waiting for the controllers' readiness")
	g.Eventually(func() error {
		m := new(mdns.Msg)
		m.SetQuestion("navarkos.local.", mdns.TypeSOA)
		resp, _, err := (&mdns.Client{Timeout: time.Second}).Exchange(m, fmt.Sprintf("127.0.0.1:%d", port["dns"]))
		if err != nil {
			return err
		}
		if !resp.Authoritative || len(resp.Answer) != 1 {
			return fmt.Errorf("answer %v", resp.Answer)
		}
		return nil
	}, time.Minute, poll).Should(Succeed(), "waiting for an authoritative SOA of navarkos.local")

	// The controllers schedule with their own RBAC: a Placement gets its status.
	g.Expect(c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}})).To(Succeed())
	g.Expect(c.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "settings"}})).To(Succeed())
	placement := &n6sv1alpha1.Placement{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "settings"},
		Spec:       n6sv1alpha1.PlacementSpec{ResourceSelectors: []n6sv1alpha1.ResourceSelector{{APIVersion: "v1", Kind: "ConfigMap", Name: "settings"}}},
	}
	g.Expect(c.Create(ctx, placement)).To(Succeed())
	g.Eventually(func(g Gomega) {
		g.Expect(c.Get(ctx, client.ObjectKeyFromObject(placement), placement)).To(Succeed())
		g.Expect(placement.Status.Conditions).NotTo(BeEmpty())
	}, time.Minute, poll).Should(Succeed(), "waiting for the scheduler to write the Placement's status")
	g.Expect(controllerOutput()).NotTo(ContainSubstring("forbidden"), "the controllers met an RBAC refusal")

	// ...and no more: no RBAC, no CRDs, no Secrets outside navarkos-system.
	ctlCfg, err := clientcmd.BuildConfigFromFlags("", filepath.Join(kubeconfigDir, "kubeconfig"))
	g.Expect(err).NotTo(HaveOccurred())
	asController, err := client.New(ctlCfg, client.Options{Scheme: setup.Scheme()})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(asController.List(ctx, &appsv1.DeploymentList{})).To(Succeed(), "the controllers read every kind")
	secret := func(ns string) *corev1.Secret {
		return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "rbac-probe"}}
	}
	g.Expect(asController.Create(ctx, secret(n6sv1alpha1.SystemNamespace))).To(Succeed(), "the controllers write Secrets in navarkos-system")
	for what, err := range map[string]error{
		"create a Secret in another namespace": asController.Create(ctx, secret("shop")),
		"bind a ClusterRole": asController.Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "escalate"},
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
			Subjects: []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: fleetpki.ControllerUser}}}),
		"delete a CRD":               asController.Delete(ctx, &apiextensionsv1.CustomResourceDefinition{ObjectMeta: metav1.ObjectMeta{Name: "placements.n6s.io"}}),
		"create a namespace":         asController.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "elsewhere"}}),
		"update a Deployment's spec": asController.Update(ctx, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web"}}),
	} {
		g.Expect(apierrors.IsForbidden(err)).To(BeTrue(), "the controllers may %s: %v", what, err)
	}
}

// writeSecret writes each key of a Secret to a file, as a volume would, with the
// kubeconfigs pointed at the local fleet API.
func writeSecret(t *testing.T, secret *corev1.Secret, dir, apiURL string) {
	t.Helper()
	for key, raw := range secret.Data {
		if strings.HasSuffix(key, "kubeconfig") {
			kc, err := clientcmd.Load(raw)
			if err != nil {
				t.Fatalf("%s of Secret %s does not load: %v", key, secret.Name, err)
			}
			for _, cl := range kc.Clusters {
				cl.Server = apiURL
			}
			if raw, err = clientcmd.Write(*kc); err != nil {
				t.Fatal(err)
			}
		}
		writeFile(t, filepath.Join(dir, key), raw)
	}
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}
