package options

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/pflag"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/navarkos/navarkos/internal/localfleet"
	"github.com/navarkos/navarkos/internal/setup"
)

// Global are the flags of the root command.
type Global struct {
	// DataDir is the local fleet's data directory.
	DataDir string
	// Kubeconfig points at the fleet API; empty means the local fleet's, then $KUBECONFIG.
	Kubeconfig string
	// BinDir holds the Kubernetes, etcd and kwok binaries.
	BinDir string
}

// AddFlags registers the global flags.
func (g *Global) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&g.DataDir, "data-dir", defaultDataDir(), "data directory of the local fleet")
	fs.StringVar(&g.Kubeconfig, "kubeconfig", "", "kubeconfig of the fleet API (default: <data-dir>/fleet.kubeconfig, then $KUBECONFIG)")
	fs.StringVar(&g.BinDir, "bin-dir", defaultBinDir(), "directory with kube-apiserver, etcd, kwok and kwokctl")
}

// Fleet is the local fleet under the data directory.
func (g *Global) Fleet() localfleet.Fleet {
	return localfleet.Fleet{DataDir: g.DataDir, BinDir: g.BinDir}
}

// clientConfig loads the fleet API's kubeconfig: --kubeconfig, the local fleet's, then $KUBECONFIG.
func (g *Global) clientConfig() clientcmd.ClientConfig {
	path := g.Kubeconfig
	if path == "" {
		if local := g.Fleet().KubeconfigPath(); fileExists(local) {
			path = local
		}
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = path
	return clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{})
}

// KubeconfigBytes is the fleet API's kubeconfig, with its files inlined, for tools such as Helm.
func (g *Global) KubeconfigBytes() ([]byte, error) {
	raw, err := g.clientConfig().RawConfig()
	if err != nil {
		return nil, fmt.Errorf("failed to load the fleet kubeconfig: %w", err)
	}
	if err := clientcmdapi.FlattenConfig(&raw); err != nil {
		return nil, fmt.Errorf("failed to inline the files of the fleet kubeconfig: %w", err)
	}
	return clientcmd.Write(raw)
}

// RESTConfig loads the fleet API's client configuration.
func (g *Global) RESTConfig() (*rest.Config, error) {
	cfg, err := g.clientConfig().ClientConfig()
	if err != nil {
		if clientcmd.IsEmptyConfig(err) {
			return nil, errors.New("no fleet API found: start one with `navarkos up`, or pass --kubeconfig")
		}
		return nil, fmt.Errorf("failed to load the fleet kubeconfig: %w", err)
	}
	return cfg, nil
}

// Namespace is the namespace of the kubeconfig's current context, "default" without one.
func (g *Global) Namespace() string {
	ns, _, err := g.clientConfig().Namespace()
	if err != nil || ns == "" {
		return "default"
	}
	return ns
}

// Client builds a client of the fleet API.
func (g *Global) Client() (client.Client, error) {
	cfg, err := g.RESTConfig()
	if err != nil {
		return nil, err
	}
	c, err := client.New(cfg, client.Options{Scheme: setup.Scheme()})
	if err != nil {
		return nil, fmt.Errorf("failed to connect to the fleet API at %s: %w", cfg.Host, err)
	}
	return c, nil
}

func defaultDataDir() string {
	if dir := os.Getenv("NAVARKOS_DATA_DIR"); dir != "" {
		return dir
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ".navarkos"
	}
	return filepath.Join(home, ".navarkos")
}

// defaultBinDir is the directory of the navarkos executable, where `make` puts the other binaries too.
func defaultBinDir() string {
	if dir := os.Getenv("NAVARKOS_BIN_DIR"); dir != "" {
		return dir
	}
	exe, err := os.Executable()
	if err != nil {
		return "bin"
	}
	if resolved, err := filepath.EvalSymlinks(exe); err == nil {
		exe = resolved
	}
	return filepath.Dir(exe)
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
