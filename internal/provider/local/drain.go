package local

import (
	"context"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
)

const (
	// replacementTimeout bounds how long a node drain waits for the replacements of its pods
	// to be Ready; the pods then go regardless, as a node cannot stay forever.
	replacementTimeout = 2 * time.Minute
	// replacementPoll is how often the drain checks the replacements.
	replacementPoll = 250 * time.Millisecond
	// podTemplateHashLabel ties a Deployment's pod to its ReplicaSet's selector.
	podTemplateHashLabel = appsv1.DefaultDeploymentUniqueLabelKey
)

// drainNodes empties the nodes make before break. It cordons them, then releases each pod
// that a Deployment's ReplicaSet owns by removing its pod-template-hash label: the ReplicaSet
// no longer selects it and starts a replacement on a kept node at once, while the released
// pod keeps its other labels, so that its Services still send it traffic. Once every such
// ReplicaSet has as many Ready pods as before, or after replacementTimeout, the released pods
// and all other pods of the nodes are deleted.
func drainNodes(ctx context.Context, cs kubernetes.Interface, names []string) error {
	var pods []corev1.Pod
	for _, name := range names {
		patch := []byte(`{"spec":{"unschedulable":true}}`)
		if _, err := cs.CoreV1().Nodes().Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
			if apierrors.IsNotFound(err) {
				continue
			}
			return fmt.Errorf("failed to cordon node %s: %w", name, err)
		}
		list, err := cs.CoreV1().Pods(metav1.NamespaceAll).List(ctx, metav1.ListOptions{
			FieldSelector: fields.OneTermEqualSelector("spec.nodeName", name).String(),
		})
		if err != nil {
			return fmt.Errorf("failed to list the pods of node %s: %w", name, err)
		}
		pods = append(pods, list.Items...)
	}
	before, err := releaseFromReplicaSets(ctx, cs, pods)
	if err != nil {
		return err
	}
	if err := awaitReplacements(ctx, cs, before); err != nil {
		return err
	}
	for _, pod := range pods {
		if err := cs.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("failed to drain pod %s/%s from node %s: %w", pod.Namespace, pod.Name, pod.Spec.NodeName, err)
		}
	}
	return nil
}

// replicaSetPods are the pods a ReplicaSet selects, and how many of them must be Ready
// again before the pods released from it go.
type replicaSetPods struct {
	selector string
	want     int
}

// releaseFromReplicaSets releases the Ready pods of Deployment ReplicaSets from them, and
// returns, for each of those ReplicaSets, its selector and the Ready pods it had before.
func releaseFromReplicaSets(ctx context.Context, cs kubernetes.Interface, pods []corev1.Pod) (map[types.NamespacedName]replicaSetPods, error) {
	before := map[types.NamespacedName]replicaSetPods{}
	for _, pod := range pods {
		owner := metav1.GetControllerOf(&pod)
		if owner == nil || owner.Kind != "ReplicaSet" || pod.Labels[podTemplateHashLabel] == "" || !podReady(&pod) {
			continue
		}
		key := types.NamespacedName{Namespace: pod.Namespace, Name: owner.Name}
		if _, seen := before[key]; !seen {
			rs, err := cs.AppsV1().ReplicaSets(key.Namespace).Get(ctx, key.Name, metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("failed to get ReplicaSet %s: %w", key, err)
			}
			sel, err := metav1.LabelSelectorAsSelector(rs.Spec.Selector)
			if err != nil {
				continue
			}
			ready, err := readyPods(ctx, cs, key.Namespace, sel.String())
			if err != nil {
				return nil, err
			}
			before[key] = replicaSetPods{selector: sel.String(), want: min(ready, int(ptr.Deref(rs.Spec.Replicas, 1)))}
		}
		patch := []byte(`[{"op":"remove","path":"/metadata/labels/` + podTemplateHashLabel + `"}]`)
		if _, err := cs.CoreV1().Pods(pod.Namespace).Patch(ctx, pod.Name, types.JSONPatchType, patch, metav1.PatchOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("failed to release pod %s/%s from its ReplicaSet: %w", pod.Namespace, pod.Name, err)
		}
	}
	return before, nil
}

// awaitReplacements waits until the pods each ReplicaSet selects, which the released ones no
// longer are, count as many Ready as before, or replacementTimeout passed.
func awaitReplacements(ctx context.Context, cs kubernetes.Interface, before map[types.NamespacedName]replicaSetPods) error {
	deadline := time.Now().Add(replacementTimeout)
	for len(before) > 0 && time.Now().Before(deadline) {
		for key, rs := range before {
			ready, err := readyPods(ctx, cs, key.Namespace, rs.selector)
			if err != nil {
				return err
			}
			if ready >= rs.want {
				delete(before, key)
			}
		}
		if len(before) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(replacementPoll):
		}
	}
	return nil
}

// readyPods counts the Ready pods of a namespace that a label selector selects.
func readyPods(ctx context.Context, cs kubernetes.Interface, namespace, selector string) (int, error) {
	list, err := cs.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return 0, fmt.Errorf("failed to list the pods of %s: %w", selector, err)
	}
	n := 0
	for i := range list.Items {
		if list.Items[i].DeletionTimestamp == nil && podReady(&list.Items[i]) {
			n++
		}
	}
	return n, nil
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
