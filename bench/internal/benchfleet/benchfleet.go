// Package benchfleet starts a throwaway local fleet for a benchmark.
package benchfleet

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"

	"github.com/navarkos/navarkos/internal/localfleet"
	"github.com/navarkos/navarkos/internal/member"
	"github.com/navarkos/navarkos/internal/setup"
)

// Start runs a local fleet in a temporary data directory with the binaries of binDir and
// returns it with a client of its fleet API. stop ends the fleet and removes the directory.
// The planner is off: the benchmarks make their own clusters and measure other parts.
func Start(ctx context.Context, binDir string) (fl localfleet.Fleet, c client.Client, stop func(), err error) {
	return StartWith(ctx, binDir, setup.Options{Planner: setup.PlannerOptions{Disabled: true}})
}

// StartWith is Start with the given controller options.
func StartWith(ctx context.Context, binDir string, opts setup.Options) (fl localfleet.Fleet, c client.Client, stop func(), err error) {
	binDir, err = filepath.Abs(binDir)
	if err != nil {
		return fl, nil, nil, err
	}
	dataDir, err := os.MkdirTemp("", "navarkos-bench-")
	if err != nil {
		return fl, nil, nil, err
	}
	fl = localfleet.Fleet{DataDir: dataDir, BinDir: binDir}
	cfg, stopFleet, err := fl.Start(ctx, localfleet.RunOptions{Controllers: opts})
	if err != nil {
		return fl, nil, nil, errors.Join(err, os.RemoveAll(dataDir))
	}
	stop = func() {
		_ = stopFleet()
		_ = os.RemoveAll(dataDir)
	}
	cfg.QPS, cfg.Burst = 500, 1000
	c, err = client.New(cfg, client.Options{Scheme: setup.Scheme()})
	if err != nil {
		stop()
		return fl, nil, nil, err
	}
	return fl, c, stop, nil
}

// WaitFor polls cond every interval until it holds, or fails after timeout.
func WaitFor(ctx context.Context, timeout, interval time.Duration, cond func() bool) error {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %v", timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(interval):
		}
	}
	return nil
}

// StartMembers creates one-node member clusters with these names, in the default pools in
// turn, waits until each is Ready, and returns clients of them; tune adjusts each client.
func StartMembers(ctx context.Context, c client.Client, names []string, tune func(*rest.Config)) (map[string]kubernetes.Interface, error) {
	pools := []string{"local-us-east", "local-eu-west", "local-ap-south"}
	for i, name := range names {
		cl := &n6sv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: n6sv1alpha1.ClusterSpec{Pool: pools[i%len(pools)], Nodes: ptr.To[int32](1)}}
		if err := c.Create(ctx, cl); err != nil {
			return nil, err
		}
	}
	members := map[string]kubernetes.Interface{}
	// The local provider makes one cluster at a time: the wait grows with their number.
	deadline := time.Now().Add(max(5*time.Minute, time.Duration(len(names))*perMemberWait))
	for _, name := range names {
		err := WaitFor(ctx, time.Until(deadline), 100*time.Millisecond, func() bool {
			cl := &n6sv1alpha1.Cluster{}
			return c.Get(ctx, client.ObjectKey{Name: name}, cl) == nil && cl.Status.Phase == n6sv1alpha1.ClusterPhaseReady
		})
		if err != nil {
			return nil, fmt.Errorf("waiting for cluster %s to be Ready: %w", name, err)
		}
		data, err := member.Kubeconfig(ctx, c, name)
		if err != nil {
			return nil, err
		}
		cfg, err := clientcmd.RESTConfigFromKubeConfig(data)
		if err != nil {
			return nil, err
		}
		tune(cfg)
		if members[name], err = kubernetes.NewForConfig(cfg); err != nil {
			return nil, err
		}
	}
	return members, nil
}

// perMemberWait is how long StartMembers waits for each member it starts, on a busy machine.
const perMemberWait = 20 * time.Second

// Deployment is a Deployment of replicas labelled app=name, for the benchmarks' fleets.
func Deployment(namespace, name string, replicas int32) *appsv1.Deployment {
	l := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: l},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: l}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: name + ":1"}}}},
		},
	}
}
