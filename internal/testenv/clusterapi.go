package testenv

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"
)

// ClusterAPIVersion is the Cluster API release whose controllers hack/build-tools.sh
// builds into bin/ and whose CRDs and webhooks the tests install.
const ClusterAPIVersion = "v1.14.2"

// clusterAPIComponent is one Cluster API controller: its binary in bin/ and where its
// CRDs and webhooks are in the Cluster API modules.
type clusterAPIComponent struct {
	binary string
	// module is "" for sigs.k8s.io/cluster-api, "test" for sigs.k8s.io/cluster-api/test.
	module string
	dir    string
	env    []string
}

var clusterAPIComponents = []clusterAPIComponent{
	{binary: "capi-core", dir: "core"},
	{binary: "capi-bootstrap-kubeadm", dir: "bootstrap/kubeadm"},
	{binary: "capi-controlplane-kubeadm", dir: "controlplane/kubeadm"},
	// The test infrastructure provider's in-memory backend serves each workload cluster's
	// API from its own process, on this address.
	{binary: "capi-infrastructure-docker", module: "test", dir: "infrastructure/docker", env: []string{"POD_IP=127.0.0.1"}},
}

// ClusterAPIBinaries are the Cluster API controllers the tests need in bin/.
func ClusterAPIBinaries() []string {
	var names []string
	for _, c := range clusterAPIComponents {
		names = append(names, c.binary)
	}
	return names
}

// ClusterAPI is the Cluster API controllers, run from bin/ against a management cluster.
type ClusterAPI struct {
	dir   string
	procs []*exec.Cmd
	done  []chan struct{}
}

// StartClusterAPI installs Cluster API's CRDs and webhooks into the cluster that the
// kubeconfig file reaches and runs its controllers, with their webhooks served on
// 127.0.0.1, until Stop. dir keeps their certificates and logs.
func StartClusterAPI(ctx context.Context, kubeconfig, dir string) (_ *ClusterAPI, retErr error) {
	if err := RequireBinaries(ClusterAPIBinaries()...); err != nil {
		return nil, err
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, err
	}
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		return nil, err
	}
	if err := apiextensionsv1.AddToScheme(s); err != nil {
		return nil, err
	}
	c, err := client.New(cfg, client.Options{Scheme: s})
	if err != nil {
		return nil, err
	}
	modules := map[string]string{}
	for _, m := range []string{"", "test"} {
		path := strings.TrimSuffix("sigs.k8s.io/cluster-api/"+m, "/")
		if modules[m], err = moduleDir(ctx, path+"@"+ClusterAPIVersion); err != nil {
			return nil, err
		}
	}
	certDir := filepath.Join(dir, "certs")
	caPEM, err := writeServingCert(certDir)
	if err != nil {
		return nil, err
	}
	capi := &ClusterAPI{dir: dir}
	defer func() {
		if retErr != nil {
			capi.Stop()
		}
	}()
	for _, comp := range clusterAPIComponents {
		root := filepath.Join(modules[comp.module], filepath.FromSlash(comp.dir), "config")
		if err := installCRDs(ctx, c, filepath.Join(root, "crd", "bases")); err != nil {
			return nil, fmt.Errorf("%s: %w", comp.binary, err)
		}
		ports, err := freePorts(3)
		if err != nil {
			return nil, err
		}
		webhookPort, healthPort, diagnosticsPort := ports[0], ports[1], ports[2]
		if err := installWebhooks(ctx, c, filepath.Join(root, "webhook", "manifests.yaml"), comp.binary, webhookPort, caPEM); err != nil {
			return nil, fmt.Errorf("%s: %w", comp.binary, err)
		}
		if err := capi.run(comp, kubeconfig, certDir, webhookPort, healthPort, diagnosticsPort); err != nil {
			return nil, err
		}
		if err := waitServing(ctx, comp.binary, healthPort, webhookPort, filepath.Join(dir, comp.binary+".log")); err != nil {
			return nil, err
		}
	}
	return capi, nil
}

// LogPaths are the controllers' log files, for a failed test to show.
func (c *ClusterAPI) LogPaths() []string {
	var paths []string
	for _, comp := range clusterAPIComponents {
		paths = append(paths, filepath.Join(c.dir, comp.binary+".log"))
	}
	return paths
}

func (c *ClusterAPI) run(comp clusterAPIComponent, kubeconfig, certDir string, webhookPort, healthPort, diagnosticsPort int) error {
	log, err := os.Create(filepath.Join(c.dir, comp.binary+".log"))
	if err != nil {
		return err
	}
	cmd := exec.Command(filepath.Join(BinDir(), comp.binary),
		"--kubeconfig", kubeconfig,
		"--leader-elect=false",
		fmt.Sprintf("--webhook-port=%d", webhookPort),
		"--webhook-cert-dir", certDir,
		fmt.Sprintf("--health-addr=127.0.0.1:%d", healthPort),
		fmt.Sprintf("--diagnostics-address=127.0.0.1:%d", diagnosticsPort),
		"--insecure-diagnostics",
		"--feature-gates=ClusterTopology=true",
	)
	cmd.Env = append(os.Environ(), comp.env...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		_ = log.Close()
		return fmt.Errorf("failed to start %s: %w", comp.binary, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); _ = log.Close(); close(done) }()
	c.procs, c.done = append(c.procs, cmd), append(c.done, done)
	return nil
}

// Stop ends the controllers: SIGTERM, then SIGKILL after ten seconds.
func (c *ClusterAPI) Stop() {
	for _, p := range c.procs {
		_ = p.Process.Signal(syscall.SIGTERM)
	}
	for i, p := range c.procs {
		select {
		case <-c.done[i]:
		case <-time.After(10 * time.Second):
			_ = p.Process.Kill()
			<-c.done[i]
		}
	}
	c.procs, c.done = nil, nil
}

// waitServing waits until a controller's readiness probe and webhook port answer.
func waitServing(ctx context.Context, name string, healthPort, webhookPort int, logPath string) error {
	readyz := fmt.Sprintf("http://127.0.0.1:%d/readyz", healthPort)
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 2*time.Minute, true, func(context.Context) (bool, error) {
		resp, err := http.Get(readyz)
		if err != nil {
			return false, nil
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return false, nil
		}
		conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", webhookPort), time.Second)
		if err != nil {
			return false, nil
		}
		_ = conn.Close()
		return true, nil
	})
	if err != nil {
		tail, _ := os.ReadFile(logPath)
		if len(tail) > 4000 {
			tail = tail[len(tail)-4000:]
		}
		return fmt.Errorf("%s did not become ready at %s within 2 minutes; the end of its log:\n%s", name, readyz, tail)
	}
	return nil
}

// installCRDs creates the CRDs of a directory, labelled with the Cluster API contract
// versions they serve as clusterctl does, and waits until they are served.
func installCRDs(ctx context.Context, c client.Client, dir string) error {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		return fmt.Errorf("no CRDs in %s: %v", dir, err)
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := yaml.Unmarshal(raw, crd); err != nil {
			return fmt.Errorf("the CRD %s does not parse: %w", f, err)
		}
		if crd.Labels == nil {
			crd.Labels = map[string]string{}
		}
		for _, v := range crd.Spec.Versions {
			if v.Served {
				crd.Labels["cluster.x-k8s.io/"+v.Name] = v.Name
			}
		}
		if err := installCRD(ctx, c, crd); err != nil {
			return err
		}
	}
	return nil
}

// installWebhooks creates a provider's webhook configurations, named after the provider and
// pointed at its webhook server on 127.0.0.1.
func installWebhooks(ctx context.Context, c client.Client, manifests, provider string, port int, caPEM []byte) error {
	raw, err := os.ReadFile(manifests)
	if err != nil {
		return err
	}
	decoder := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(raw), 4096)
	endpoint := func(cc *admissionregistrationv1.WebhookClientConfig) {
		path := ""
		if cc.Service != nil && cc.Service.Path != nil {
			path = *cc.Service.Path
		}
		url := fmt.Sprintf("https://127.0.0.1:%d%s", port, path)
		cc.Service, cc.URL, cc.CABundle = nil, &url, caPEM
	}
	for {
		var doc map[string]any
		if err := decoder.Decode(&doc); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("%s does not parse: %w", manifests, err)
		}
		data, err := yaml.Marshal(doc)
		if err != nil {
			return err
		}
		var obj client.Object
		switch doc["kind"] {
		case "MutatingWebhookConfiguration":
			m := &admissionregistrationv1.MutatingWebhookConfiguration{}
			if err := yaml.Unmarshal(data, m); err != nil {
				return err
			}
			for i := range m.Webhooks {
				endpoint(&m.Webhooks[i].ClientConfig)
			}
			obj = m
		case "ValidatingWebhookConfiguration":
			v := &admissionregistrationv1.ValidatingWebhookConfiguration{}
			if err := yaml.Unmarshal(data, v); err != nil {
				return err
			}
			for i := range v.Webhooks {
				endpoint(&v.Webhooks[i].ClientConfig)
			}
			obj = v
		default:
			continue
		}
		obj.SetName(provider + "-" + obj.GetName())
		if err := c.Create(ctx, obj); client.IgnoreAlreadyExists(err) != nil {
			return fmt.Errorf("failed to create the webhook configuration %s: %w", obj.GetName(), err)
		}
	}
}

// writeServingCert writes a self-signed serving certificate for 127.0.0.1 as tls.crt and
// tls.key, and returns it in PEM as the webhooks' CA bundle.
func writeServingCert(dir string) ([]byte, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	if err := os.WriteFile(filepath.Join(dir, "tls.crt"), certPEM, 0o600); err != nil {
		return nil, err
	}
	return certPEM, os.WriteFile(filepath.Join(dir, "tls.key"), keyPEM, 0o600)
}

// ApplyManifests creates the objects of a multi-document YAML file in a namespace; those that
// exist are left as they are.
func ApplyManifests(ctx context.Context, c client.Client, path, namespace string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	decoder := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(raw), 4096)
	for {
		obj := &unstructured.Unstructured{}
		if err := decoder.Decode(&obj.Object); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("%s does not parse: %w", path, err)
		}
		if len(obj.Object) == 0 {
			continue
		}
		obj.SetNamespace(namespace)
		if err := c.Create(ctx, obj); client.IgnoreAlreadyExists(err) != nil {
			return fmt.Errorf("failed to create %s %s from %s: %w", obj.GetKind(), obj.GetName(), path, err)
		}
	}
}
