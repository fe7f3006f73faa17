package testenv

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"go.uber.org/zap/zapcore"
	kruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
)

// RepoRoot is the repository's top directory.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// BinDir is where `make` puts kube-apiserver, etcd, kwok, kwokctl and navarkos.
// NAVARKOS_BIN_DIR overrides it.
func BinDir() string {
	if dir := os.Getenv("NAVARKOS_BIN_DIR"); dir != "" {
		return dir
	}
	return filepath.Join(RepoRoot(), "bin")
}

// RequireBinaries fails with a clear message when the binaries the tests need are missing.
func RequireBinaries(names ...string) error {
	for _, n := range names {
		if _, err := os.Stat(filepath.Join(BinDir(), n)); err != nil {
			return fmt.Errorf("%s is missing from %s: run `make test`, which builds it first", n, BinDir())
		}
	}
	return nil
}

// NewEnvironment returns an envtest environment with the Navarkos CRDs, running the
// etcd and kube-apiserver from BinDir.
func NewEnvironment() (*envtest.Environment, error) {
	if err := RequireBinaries("etcd", "kube-apiserver"); err != nil {
		return nil, err
	}
	return &envtest.Environment{
		BinaryAssetsDirectory: BinDir(),
		CRDDirectoryPaths:     []string{filepath.Join(RepoRoot(), "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
	}, nil
}

// LogLevel keeps a passing run's controller logs quiet; NAVARKOS_TEST_VERBOSE=1 shows them all.
func LogLevel() zapcore.Level {
	if os.Getenv("NAVARKOS_TEST_VERBOSE") != "" {
		return zapcore.DebugLevel
	}
	return zapcore.PanicLevel
}

// Start sets the test logger and starts an envtest environment with the Navarkos CRDs.
func Start() (*envtest.Environment, *rest.Config, error) {
	ctrl.SetLogger(zap.New(zap.WriteTo(os.Stderr), zap.Level(LogLevel())))
	env, err := NewEnvironment()
	if err != nil {
		return nil, nil, err
	}
	cfg, err := env.Start()
	if err != nil {
		return nil, nil, fmt.Errorf("failed to start envtest: %w", err)
	}
	return env, cfg, nil
}

// Kubeconfig writes a rest.Config with inline certificates, such as envtest's, as a kubeconfig,
// for commands that take one.
func Kubeconfig(cfg *rest.Config) ([]byte, error) {
	out := clientcmdapi.NewConfig()
	out.Clusters["envtest"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData}
	out.AuthInfos["envtest"] = &clientcmdapi.AuthInfo{ClientCertificateData: cfg.CertData, ClientKeyData: cfg.KeyData, Token: cfg.BearerToken}
	out.Contexts["envtest"] = &clientcmdapi.Context{Cluster: "envtest", AuthInfo: "envtest"}
	out.CurrentContext = "envtest"
	return clientcmd.Write(*out)
}

// StartForTest starts an API server for one test, stopped when the test ends, and returns its
// config and a client of scheme; install, when set, prepares it (CRDs, namespaces).
func StartForTest(t *testing.T, scheme *kruntime.Scheme, install func(context.Context, client.Client) error) (*rest.Config, client.Client) {
	t.Helper()
	env, cfg, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	if install != nil {
		if err := install(t.Context(), c); err != nil {
			t.Fatal(err)
		}
	}
	return cfg, c
}
