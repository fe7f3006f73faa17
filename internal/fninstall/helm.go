package fninstall

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"helm.sh/helm/v4/pkg/action"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/kube"
	"helm.sh/helm/v4/pkg/release/common"
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

// helmFieldManager is the field manager of every object Helm applies for navarkos fn.
const helmFieldManager = "navarkos"

// Helm applies server-side as a field manager named after the running binary unless told
// otherwise: the navarkos CLI, a renamed copy and a program linking this package would each
// conflict with the fields the others applied. The CLI's name, which releases made before this
// was set carry. Set once, before any configuration is made, since Helm reads it as a global.
func init() { kube.ManagedFieldsManager = helmFieldManager }

// helmOptions are how an install or upgrade treats the previous values, waiting and failure.
type helmOptions struct {
	// values are the user's; reuse, reset and the default follow `helm upgrade` (see Install).
	values       map[string]any
	reuse, reset bool
	wait         bool
	timeout      time.Duration
	// rollback undoes an upgrade that fails (a failed first install is uninstalled).
	rollback bool
	// report says what was done besides the install, such as recovering a pending release.
	report func(string)
}

// installOrUpgrade installs a release, or upgrades it when it exists (a failed one too). With
// wait, it returns once every workload is ready, or fails after timeout naming what is not. A
// release left pending by an interrupted operation is recovered first (see recoverPending).
func installOrUpgrade(ctx context.Context, cfg *action.Configuration, ch *chart.Chart, name, namespace string, o helmOptions) (*release.Release, error) {
	strategy := kube.HookOnlyStrategy
	if o.wait {
		strategy = kube.StatusWatcherStrategy
	}
	history, err := releaseHistory(cfg, name)
	if err != nil {
		return nil, err
	}
	if len(history) > 0 && history[len(history)-1].Info.Status.IsPending() {
		if history, err = recoverPending(cfg, history, o); err != nil {
			return nil, err
		}
	}
	var rel any
	if len(history) == 0 {
		in := action.NewInstall(cfg)
		in.ReleaseName, in.Namespace, in.CreateNamespace = name, namespace, true
		in.WaitStrategy, in.Timeout, in.RollbackOnFailure = strategy, o.timeout, o.rollback
		rel, err = in.RunWithContext(ctx, ch, o.values)
	} else {
		up := action.NewUpgrade(cfg)
		up.Namespace, up.WaitStrategy, up.Timeout, up.RollbackOnFailure = namespace, strategy, o.timeout, o.rollback
		// As `helm upgrade`: no values keep the last release's, --reuse-values merges the
		// given ones over them, --reset-values starts from the chart's.
		up.ReuseValues, up.ResetValues = o.reuse, o.reset
		rel, err = up.RunWithContext(ctx, name, ch, o.values)
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

// releaseHistory is every revision of a release, oldest first; none when it does not exist.
func releaseHistory(cfg *action.Configuration, name string) ([]*release.Release, error) {
	all, err := action.NewHistory(cfg).Run(name)
	if errors.Is(err, driver.ErrReleaseNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("failed to read the history of release %s: %w", name, err)
	}
	out := make([]*release.Release, 0, len(all))
	for _, r := range all {
		v1, ok := r.(*release.Release)
		if !ok {
			return nil, fmt.Errorf("release %s has a revision of an unknown type %T", name, r)
		}
		out = append(out, v1)
	}
	slices.SortFunc(out, func(a, b *release.Release) int { return a.Version - b.Version })
	return out, nil
}

// recoverPending deals with a release whose last revision is pending-install, -upgrade or
// -rollback, which Helm refuses to touch ("another operation is in progress"). Such a
// revision is left by an operation that was killed; one younger than the timeout may still be
// running, so it is refused with the time it may be recovered from. An older one is taken back
// to the last deployed revision, or, if none was ever deployed, uninstalled so that it can be
// installed afresh. It returns the history after that.
func recoverPending(cfg *action.Configuration, history []*release.Release, o helmOptions) ([]*release.Release, error) {
	last := history[len(history)-1]
	started := last.Info.LastDeployed
	if age := time.Since(started); age < o.timeout {
		return nil, fmt.Errorf("release %s is %s (revision %d) since %s: another install, upgrade or rollback may still be running. "+
			"If it was interrupted, run this again after %s, or with a --timeout under %s",
			last.Name, last.Info.Status, last.Version, started.Format(time.RFC3339), started.Add(o.timeout).Format(time.RFC3339), age.Truncate(time.Second))
	}
	status, deployed := last.Info.Status, -1
	for i := len(history) - 1; i >= 0; i-- {
		if history[i].Info.Status == common.StatusDeployed || history[i].Info.Status == common.StatusSuperseded {
			deployed = i
			break
		}
	}
	if deployed < 0 {
		u := action.NewUninstall(cfg)
		u.WaitStrategy, u.Timeout = kube.HookOnlyStrategy, o.timeout
		if _, err := u.Run(last.Name); err != nil {
			return nil, fmt.Errorf("release %s was left %s by an interrupted operation, and uninstalling it failed: %w", last.Name, status, err)
		}
		o.report(fmt.Sprintf("Release %s was left %s (revision %d) by an operation interrupted at %s; it was never deployed, so it was uninstalled and is installed again.",
			last.Name, status, last.Version, started.Format(time.RFC3339)))
		return nil, nil
	}
	// Helm marks the pending revision failed before it rolls back.
	last.SetStatus(common.StatusFailed, "interrupted while "+string(status)+"; recovered by navarkos fn install")
	if err := cfg.Releases.Update(last); err != nil {
		return nil, fmt.Errorf("failed to mark revision %d of release %s failed: %w", last.Version, last.Name, err)
	}
	rb := action.NewRollback(cfg)
	rb.Version, rb.WaitStrategy, rb.Timeout = history[deployed].Version, kube.HookOnlyStrategy, o.timeout
	if err := rb.Run(last.Name); err != nil {
		return nil, fmt.Errorf("release %s was left %s by an interrupted operation, and rolling it back to revision %d failed: %w",
			last.Name, status, history[deployed].Version, err)
	}
	o.report(fmt.Sprintf("Release %s was left %s (revision %d) by an operation interrupted at %s; it was rolled back to revision %d first.",
		last.Name, status, last.Version, started.Format(time.RFC3339), history[deployed].Version))
	return releaseHistory(cfg, last.Name)
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
