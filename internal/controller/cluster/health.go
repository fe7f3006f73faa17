package cluster

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilversion "k8s.io/apimachinery/pkg/util/version"
	"k8s.io/client-go/kubernetes"
	ctrl "sigs.k8s.io/controller-runtime"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
)

// maxCheckTimeout bounds one health check, so that an unreachable cluster is noticed within two intervals.
const maxCheckTimeout = 5 * time.Second

// checkHealth lists the member's nodes and pods and records what it saw, or why it could not.
func (r *Reconciler) checkHealth(ctx context.Context, s *scope) {
	cfg, err := r.Kubeconfigs.RESTConfig(s.req.Kubeconfig)
	if err != nil {
		s.memberErr = fmt.Errorf("kubeconfig: %w", err)
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
	var shape *n6sv1alpha1.NodeShape
	if s.pool != nil {
		shape = &s.pool.Spec.NodeShape
	}
	facts, err := observeMember(ctx, cs, shape)
	if err != nil {
		ctrl.LoggerFrom(ctx).V(1).Info("Health check failed", "endpoint", s.endpoint, "error", err.Error())
		s.memberErr = err
		return
	}
	if w := s.observation.Workers; w != nil {
		// The provider counts its worker machines; the member's nodes include its control plane.
		facts.managedNodes, facts.managedReadyNodes, facts.readyNodes = w.Current, w.Ready, w.Ready
	}
	s.member = facts
}

func observeMember(ctx context.Context, cs kubernetes.Interface, shape *n6sv1alpha1.NodeShape) (*memberFacts, error) {
	// An API server that serves no /version (Cluster API's in-memory test clusters) is
	// still healthy; its version then comes from its nodes.
	version, err := cs.Discovery().ServerVersion()
	if err != nil && !apierrors.IsNotFound(err) {
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
	facts := summarize(nodes.Items, pods.Items, shape)
	if version != nil {
		facts.version = version.GitVersion
	} else {
		facts.version = newestKubelet(nodes.Items)
	}
	return &facts, nil
}

// newestKubelet is the highest kubelet version among the nodes.
func newestKubelet(nodes []corev1.Node) string {
	var newest *utilversion.Version
	for _, n := range nodes {
		v, err := utilversion.ParseGeneric(n.Status.NodeInfo.KubeletVersion)
		if err == nil && (newest == nil || v.GreaterThan(newest)) {
			newest = v
		}
	}
	if newest == nil {
		return ""
	}
	return "v" + newest.String()
}
