package charts

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	mdns "github.com/miekg/dns"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/setup"
	"github.com/navarkos/navarkos/internal/testenv"
)

// poll is how often the test looks at the running control plane.
const poll = 200 * time.Millisecond

// inCluster matches the in-cluster names the chart gives its Services and pods.
var inCluster = regexp.MustCompile(`[a-z0-9.-]+\.navarkos-system\.svc`)

// TestControlPlaneChartRuns runs what charts/navarkos renders with the real binaries of its
// image: the etcd, kube-apiserver, kube-controller-manager and controller commands of the
// rendered pods, with the certificates, tokens and kubeconfigs of its Secret and the pools of
// its ConfigMap. Only what a cluster would provide is replaced: in-cluster names by 127.0.0.1,
// fixed ports by free ones, mount paths by directories. Then the fleet API must answer the
// admin, hold the CRDs and the chart's pool, the housekeeping controllers must work, and the
// controllers must answer DNS.
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
	dir := t.TempDir()
	pki, pools := filepath.Join(dir, "pki"), filepath.Join(dir, "pools")
	port := map[string]int{}
	for _, p := range []string{"etcd", "peer", "etcd-metrics", "api", "kcm", "dns", "metrics", "probes"} {
		port[p] = testenv.FreePort(t)
	}
	apiURL := fmt.Sprintf("https://127.0.0.1:%d", port["api"])
	for _, obj := range out.Objects {
		switch {
		case obj.GetKind() == "Secret" && obj.GetName() == "navarkos-pki":
			writeSecret(t, obj, pki, apiURL)
		case obj.GetKind() == "ConfigMap" && obj.GetName() == "navarkos-pools":
			raw, _, _ := unstructured.NestedString(obj.Object, "data", "pools.yaml")
			writeFile(t, filepath.Join(pools, "pools.yaml"), []byte(raw))
		}
	}
	podEnv := strings.NewReplacer("$(POD_NAME)", "navarkos-etcd-0", "$(POD_NAMESPACE)", "navarkos-system")
	local := strings.NewReplacer(
		"/etc/navarkos/pki", pki, "/etc/navarkos/pools", pools, "/var/lib/etcd", filepath.Join(dir, "etcd"),
		"0.0.0.0", "127.0.0.1",
		":2379", fmt.Sprintf(":%d", port["etcd"]), ":2380", fmt.Sprintf(":%d", port["peer"]), ":2381", fmt.Sprintf(":%d", port["etcd-metrics"]),
		"--secure-port=6443", fmt.Sprintf("--secure-port=%d", port["api"]), "--secure-port=10257", fmt.Sprintf("--secure-port=%d", port["kcm"]),
		":443", fmt.Sprintf(":%d", port["api"]),
		"--dns-addr=:5353", fmt.Sprintf("--dns-addr=127.0.0.1:%d", port["dns"]),
		"--metrics-addr=:8080", fmt.Sprintf("--metrics-addr=127.0.0.1:%d", port["metrics"]),
		"--health-probe-addr=:8081", fmt.Sprintf("--health-probe-addr=127.0.0.1:%d", port["probes"]),
	)
	run := func(kind, name, container string) (output func() string) {
		for _, obj := range out.Objects {
			if obj.GetKind() != kind || obj.GetName() != name {
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
				return testenv.StartProcess(t, filepath.Join(testenv.BinDir(), args[0]), args[1:]...)
			}
		}
		t.Fatalf("the chart renders no container %s in %s %s", container, kind, name)
		return nil
	}
	// The controllers start first: they must wait for the fleet API, as pods of one release do.
	g := NewWithT(t)
	controllerOutput := run("Deployment", "navarkos-controller", "controller")
	g.Eventually(controllerOutput, time.Minute, poll).Should(ContainSubstring("Waiting for the fleet API"),
		"waiting for the controllers to say they wait for the fleet API, which is not started yet")
	run("StatefulSet", "navarkos-etcd", "etcd")
	run("Deployment", "navarkos-fleet-api", "kube-apiserver")

	// The admin kubeconfig of the chart's notes reaches the fleet API, which serves the CRDs and the pool.
	cfg, err := clientcmd.BuildConfigFromFlags("", filepath.Join(pki, "admin.kubeconfig"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(cfg, client.Options{Scheme: setup.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	g.Eventually(func() error {
		return c.List(ctx, &corev1.NamespaceList{})
	}, 2*time.Minute, poll).Should(Succeed(), "waiting for the fleet API to answer the admin")
	// kube-controller-manager gives up when the API is not healthy within 10 s of its start;
	// in a pod it is restarted, here it starts once the API answers.
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
}

// writeSecret writes each key of the rendered Secret to a file, as a volume would, with the
// kubeconfigs pointed at the local fleet API.
func writeSecret(t *testing.T, secret *unstructured.Unstructured, dir, apiURL string) {
	t.Helper()
	data, _, _ := unstructured.NestedStringMap(secret.Object, "data")
	for key, encoded := range data {
		raw, err := base64.StdEncoding.DecodeString(encoded)
		if err != nil {
			t.Fatalf("key %s of the pki Secret is not base64: %v", key, err)
		}
		if strings.HasSuffix(key, ".kubeconfig") {
			kc, err := clientcmd.Load(raw)
			if err != nil {
				t.Fatalf("%s does not load: %v", key, err)
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
