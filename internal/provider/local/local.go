package local

import (
	"context"
	"fmt"
	"regexp"
	"sync"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/kwokctl"
	"github.com/navarkos/navarkos/internal/provider"
)

// components are the processes every local member cluster runs, named as their pid files are.
var components = []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok-controller"}

// Provider makes local clusters with kwokctl's binary runtime.
//
// kwokctl is maintained with kwok, generates each cluster's PKI and component flags, and
// runs the components as detached processes with pid files, so a cluster outlives a crash
// of Navarkos and is adopted by the next start. Stopping keeps etcd's data, which makes
// hibernation cheap.
type Provider struct {
	// Runner runs kwokctl in the provider's work directory.
	Runner kwokctl.Runner
	// CreateTimeout bounds the wait for a new cluster to be ready.
	CreateTimeout time.Duration
	// Reserved is a cluster name in the work directory that is not a member, such as the
	// fleet API server's; the provider refuses to touch it.
	Reserved string
	// Profile lightens the components of the members it creates.
	Profile MemberProfile

	// creating serializes creations: kwokctl picks free ports by probing, so two creations
	// at once can pick the same ones.
	creating sync.Mutex
}

// extraArgPattern is the API's rule on local.extraArgs.
var extraArgPattern = regexp.MustCompile(n6sv1alpha1.LocalExtraArgPattern)

// guard refuses requests for the reserved name.
func (p *Provider) guard(req provider.Request) error {
	if p.Reserved != "" && req.Name == p.Reserved {
		return fmt.Errorf("the name %q is reserved for the fleet API server; choose another Cluster name", req.Name)
	}
	return nil
}

var _ provider.Provider = (*Provider)(nil)

// Observe reports whether the cluster's directory exists and whether all its components run.
func (p *Provider) Observe(_ context.Context, req provider.Request) (provider.Observation, error) {
	state, err := p.state(req)
	return provider.Observation{State: state}, err
}

func (p *Provider) state(req provider.Request) (provider.State, error) {
	if err := p.guard(req); err != nil {
		return "", err
	}
	if !p.Runner.Exists(req.Name) {
		return provider.StateAbsent, nil
	}
	if !p.Runner.Complete(req.Name) {
		return provider.StateIncomplete, nil
	}
	procs, err := p.Runner.Processes(req.Name)
	if err != nil {
		return "", err
	}
	// A component can be down alone: a controller manager that gave up while its API server
	// was unreachable, say. Resuming starts what is missing.
	running := 0
	for _, c := range components {
		if _, ok := procs[c]; ok {
			running++
		}
	}
	switch running {
	case 0:
		return provider.StateStopped, nil
	case len(components):
		return provider.StateRunning, nil
	default:
		return provider.StateDegraded, nil
	}
}

// Create replaces any leftover of an unfinished attempt with a new cluster.
func (p *Provider) Create(ctx context.Context, req provider.Request) error {
	if err := p.guard(req); err != nil {
		return err
	}
	if err := p.Runner.Delete(ctx, req.Name); err != nil {
		return fmt.Errorf("failed to clear leftovers of local cluster %s: %w", req.Name, err)
	}
	p.creating.Lock()
	defer p.creating.Unlock()
	// The pool's own arguments come last, so that they win.
	profileArgs, env := p.Profile.createOptions()
	opts := kwokctl.CreateOptions{Wait: p.CreateTimeout, ExtraArgs: append([]string{kwokctl.NoFsync}, profileArgs...),
		Env: env, PodReadyDelay: n6sv1alpha1.DefaultPodReadyDelay}
	if req.Pool != nil && req.Pool.Template != nil && req.Pool.Template.Local != nil {
		// A malformed delay, stored before the API checked it, gets the default.
		opts.PodReadyDelay, _ = req.Pool.Template.Local.PodReadyDelayOr(n6sv1alpha1.DefaultPodReadyDelay)
		for _, a := range req.Pool.Template.Local.ExtraArgs {
			// The API refuses these already; a pool written before the rule is refused here.
			if !extraArgPattern.MatchString(a) {
				return fmt.Errorf("the pool's local.extraArgs entry %q is not one of the allowed tuning flags", a)
			}
		}
		opts.ExtraArgs = append(opts.ExtraArgs, req.Pool.Template.Local.ExtraArgs...)
	}
	return p.Runner.Create(ctx, req.Name, opts)
}

// Resume starts the components of a stopped cluster.
func (p *Provider) Resume(ctx context.Context, req provider.Request) error {
	if err := p.guard(req); err != nil {
		return err
	}
	return p.Runner.Start(ctx, req.Name)
}

// Hibernate stops the components and keeps the data.
func (p *Provider) Hibernate(ctx context.Context, req provider.Request) error {
	if err := p.guard(req); err != nil {
		return err
	}
	return p.Runner.Stop(ctx, req.Name)
}

// Delete stops the components and removes the cluster's directory.
func (p *Provider) Delete(ctx context.Context, req provider.Request) error {
	if err := p.guard(req); err != nil {
		return err
	}
	return p.Runner.Delete(ctx, req.Name)
}

// Kubeconfig returns kwokctl's admin kubeconfig with its certificate files inlined.
func (p *Provider) Kubeconfig(_ context.Context, req provider.Request) ([]byte, error) {
	if err := p.guard(req); err != nil {
		return nil, err
	}
	return FlattenKubeconfig(p.Runner.KubeconfigPath(req.Name), req.Name)
}

// ScaleNodes creates or removes kwok nodes until the cluster has req.Nodes of them.
func (p *Provider) ScaleNodes(ctx context.Context, req provider.Request) error {
	if err := p.guard(req); err != nil {
		return err
	}
	if req.Pool == nil {
		return fmt.Errorf("local cluster %s has no pool to take its node shape from", req.Name)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", p.Runner.KubeconfigPath(req.Name))
	if err != nil {
		return fmt.Errorf("failed to load the kubeconfig of local cluster %s: %w", req.Name, err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("failed to build a client for local cluster %s: %w", req.Name, err)
	}
	return ScaleNodes(ctx, cs, req.Name, req.Nodes, *req.Pool)
}

// FlattenKubeconfig loads a kubeconfig, inlines the files it names and renames its context to name.
func FlattenKubeconfig(path, name string) ([]byte, error) {
	cfg, err := clientcmd.LoadFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("failed to load kubeconfig %s: %w", path, err)
	}
	if err := clientcmdapi.FlattenConfig(cfg); err != nil {
		return nil, fmt.Errorf("failed to inline the files of kubeconfig %s: %w", path, err)
	}
	current, ok := cfg.Contexts[cfg.CurrentContext]
	if !ok {
		return nil, fmt.Errorf("kubeconfig %s has no current context", path)
	}
	out := clientcmdapi.NewConfig()
	out.Clusters[name] = cfg.Clusters[current.Cluster]
	out.AuthInfos[name] = cfg.AuthInfos[current.AuthInfo]
	out.Contexts[name] = &clientcmdapi.Context{Cluster: name, AuthInfo: name}
	out.CurrentContext = name
	if out.Clusters[name] == nil || out.AuthInfos[name] == nil {
		return nil, fmt.Errorf("kubeconfig %s names a cluster or user it does not define", path)
	}
	return clientcmd.Write(*out)
}
