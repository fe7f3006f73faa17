package cluster

import (
	"context"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	ctrl "sigs.k8s.io/controller-runtime"
)

// maxCheckTimeout bounds one health check, so that an unreachable cluster is noticed within two intervals.
const maxCheckTimeout = 5 * time.Second

// checkHealth lists the member's nodes and pods and records what it saw, or why it could not.
func (r *Reconciler) checkHealth(ctx context.Context, s *scope) {
	cfg, err := clientcmd.RESTConfigFromKubeConfig(s.req.Kubeconfig)
	if err != nil {
		s.memberErr = fmt.Errorf("kubeconfig does not load: %w", err)
		return
	}
	s.endpoint = cfg.Host
	cfg.Timeout = min(maxCheckTimeout, r.HealthInterval/2)
	cfg.QPS, cfg.Burst = 20, 40
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		s.memberErr = fmt.Errorf("failed to build a client: %w", err)
		return
	}
	facts, err := observeMember(ctx, cs)
	if err != nil {
		ctrl.LoggerFrom(ctx).V(1).Info("Health check failed", "endpoint", s.endpoint, "error", err.Error())
		s.memberErr = err
		return
	}
	s.member = facts
}

func observeMember(ctx context.Context, cs kubernetes.Interface) (*memberFacts, error) {
	version, err := cs.Discovery().ServerVersion()
	if err != nil {
		return nil, fmt.Errorf("failed to get the server version: %w", err)
	}
	nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{ResourceVersion: "0"})
	if err != nil {
		return nil, fmt.Errorf("failed to list nodes: %w", err)
	}
	pods, err := cs.CoreV1().Pods(metav1.NamespaceAll).List(ctx, metav1.ListOptions{ResourceVersion: "0"})
	if err != nil {
		return nil, fmt.Errorf("failed to list pods: %w", err)
	}
	facts := summarize(nodes.Items, pods.Items)
	facts.version = version.GitVersion
	return &facts, nil
}
