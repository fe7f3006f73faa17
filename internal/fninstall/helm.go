package fninstall

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"helm.sh/helm/v4/pkg/action"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/kube"
	release "helm.sh/helm/v4/pkg/release/v1"
	"helm.sh/helm/v4/pkg/storage/driver"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// kubeconfigGetter gives Helm the clients of one cluster, from its kubeconfig, in one namespace.
type kubeconfigGetter struct {
	config    clientcmdapi.Config
	namespace string
}

func (g kubeconfigGetter) ToRawKubeConfigLoader() clientcmd.ClientConfig {
	overrides := &clientcmd.ConfigOverrides{Context: clientcmdapi.Context{Namespace: g.namespace}}
	return clientcmd.NewDefaultClientConfig(g.config, overrides)
}

func (g kubeconfigGetter) ToRESTConfig() (*rest.Config, error) {
	return g.ToRawKubeConfigLoader().ClientConfig()
}

func (g kubeconfigGetter) ToDiscoveryClient() (discovery.CachedDiscoveryInterface, error) {
	cfg, err := g.ToRESTConfig()
	if err != nil {
		return nil, err
	}
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return memory.NewMemCacheClient(dc), nil
}

func (g kubeconfigGetter) ToRESTMapper() (meta.RESTMapper, error) {
	dc, err := g.ToDiscoveryClient()
	if err != nil {
		return nil, err
	}
	return restmapper.NewDeferredDiscoveryRESTMapper(dc), nil
}

// helmConfig is a Helm action configuration for the cluster of a kubeconfig; releases are
// recorded as Secrets in the namespace, as the helm CLI does.
func helmConfig(kubeconfig []byte, namespace string) (*action.Configuration, error) {
	raw, err := clientcmd.Load(kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("the kubeconfig does not parse: %w", err)
	}
	cfg := action.NewConfiguration(action.ConfigurationSetLogger(slog.DiscardHandler))
	if err := cfg.Init(kubeconfigGetter{config: *raw, namespace: namespace}, namespace, "secret"); err != nil {
		return nil, fmt.Errorf("failed to set up Helm: %w", err)
	}
	return cfg, nil
}

// installOrUpgrade installs a release, or upgrades it when it exists (a failed one too). With
// wait, it returns once every workload is ready, or fails after timeout naming what is not.
func installOrUpgrade(ctx context.Context, cfg *action.Configuration, ch *chart.Chart, name, namespace string, values map[string]any, wait bool, timeout time.Duration) (*release.Release, error) {
	strategy := kube.HookOnlyStrategy
	if wait {
		strategy = kube.StatusWatcherStrategy
	}
	var rel any
	_, err := action.NewHistory(cfg).Run(name)
	switch {
	case errors.Is(err, driver.ErrReleaseNotFound):
		in := action.NewInstall(cfg)
		in.ReleaseName, in.Namespace, in.CreateNamespace = name, namespace, true
		in.WaitStrategy, in.Timeout = strategy, timeout
		rel, err = in.RunWithContext(ctx, ch, values)
	case err != nil:
		return nil, fmt.Errorf("failed to read the history of release %s: %w", name, err)
	default:
		up := action.NewUpgrade(cfg)
		up.Namespace, up.WaitStrategy, up.Timeout = namespace, strategy, timeout
		// The values given are the whole configuration, as on a first install; Helm would
		// otherwise keep the last release's values when none are given.
		up.ResetValues = true
		rel, err = up.RunWithContext(ctx, name, ch, values)
	}
	if err != nil {
		return nil, err
	}
	r, ok := rel.(*release.Release)
	if !ok {
		return nil, fmt.Errorf("unexpected release type %T", rel)
	}
	return r, nil
}

// uninstall removes a release; a release that is not there is not an error.
func uninstall(cfg *action.Configuration, name string, timeout time.Duration) error {
	u := action.NewUninstall(cfg)
	u.IgnoreNotFound = true
	u.WaitStrategy, u.Timeout = kube.HookOnlyStrategy, timeout
	if _, err := u.Run(name); err != nil && !errors.Is(err, driver.ErrReleaseNotFound) {
		return fmt.Errorf("failed to uninstall release %s: %w", name, err)
	}
	return nil
}

// RunTests runs the release's `helm test` hooks in the cluster of a kubeconfig and waits up
// to timeout for them to succeed.
func RunTests(kubeconfig []byte, name, namespace string, timeout time.Duration) error {
	cfg, err := helmConfig(kubeconfig, namespace)
	if err != nil {
		return err
	}
	rt := action.NewReleaseTesting(cfg)
	rt.Namespace, rt.Timeout = namespace, timeout
	_, shutdown, err := rt.Run(name)
	if shutdown != nil {
		err = errors.Join(err, shutdown())
	}
	if err != nil {
		return fmt.Errorf("helm test of release %s: %w", name, err)
	}
	return nil
}
