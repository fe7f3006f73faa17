package member_test

import (
	"context"
	"slices"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/member"
	"github.com/navarkos/navarkos/internal/setup"
	"github.com/navarkos/navarkos/internal/testenv"
)

// TestMemberEventsThatCannotChangePropagationAreDropped: neither the echo of Navarkos' own
// apply, nor a member controller's own annotation, nor a status write that leaves the replica
// counters alone wakes a Binding; a change of the counters does.
func TestMemberEventsThatCannotChangePropagationAreDropped(t *testing.T) {
	seen := make(chan client.Object, 100)
	c, mc := selfMember(t, func(_ string, o client.Object) { seen <- o })
	ctx := t.Context()

	d := &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web", Labels: map[string]string{n6sv1alpha1.ManagedByLabel: n6sv1alpha1.ManagedByValue}},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](2),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "web"}}},
			},
		},
	}
	u := &unstructured.Unstructured{}
	var err error
	u.Object, err = runtime.DefaultUnstructuredConverter.ToUnstructured(d)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mc.Observe(ctx, u.GroupVersionKind(), client.ObjectKeyFromObject(u)); err != nil {
		t.Fatal(err)
	}
	if err := mc.ApplyRecorded(ctx, u, [32]byte{1}, client.FieldOwner("navarkos")); err != nil {
		t.Fatal(err)
	}
	applied := u.GetResourceVersion()

	live := &appsv1.Deployment{}
	if err := c.Get(ctx, client.ObjectKeyFromObject(d), live); err != nil {
		t.Fatal(err)
	}
	// The member's deployment controller marks the revision, an annotation of its own,
	// through the status subresource, which leaves the generation alone.
	live.Annotations = map[string]string{"deployment.kubernetes.io/revision": "1"}
	if err := c.Status().Update(ctx, live); err != nil {
		t.Fatal(err)
	}
	if live.Generation != 1 || live.Annotations["deployment.kubernetes.io/revision"] != "1" {
		t.Fatalf("the revision mark changed the generation to %d or did not stick: %v", live.Generation, live.Annotations)
	}
	revisionMarked := live.ResourceVersion
	live.Status.ObservedGeneration = 1
	live.Status.Conditions = []appsv1.DeploymentCondition{{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionTrue, Reason: "NewReplicaSetCreated"}}
	if err := c.Status().Update(ctx, live); err != nil {
		t.Fatal(err)
	}
	conditionsOnly := live.ResourceVersion
	live.Status.Replicas, live.Status.ReadyReplicas = 2, 1
	if err := c.Status().Update(ctx, live); err != nil {
		t.Fatal(err)
	}
	oneReady := live.ResourceVersion

	// Events of one object arrive in order: everything before the counters' write shows.
	deadline := time.After(30 * time.Second)
	for {
		select {
		case o := <-seen:
			switch o.GetResourceVersion() {
			case applied:
				t.Fatalf("the echo of Navarkos' own apply was passed on (resourceVersion %s)", applied)
			case revisionMarked:
				t.Fatalf("a member controller's own annotation was passed on (resourceVersion %s)", revisionMarked)
			case conditionsOnly:
				t.Fatalf("a status write of conditions only was passed on (resourceVersion %s)", conditionsOnly)
			case oneReady:
				return
			}
		case <-deadline:
			t.Fatalf("waited 30s for the change of readyReplicas (resourceVersion %s) to be passed on", oneReady)
		}
	}
}

// selfMember starts an API server that is its own member cluster: a client of it, and a
// member client of it as Navarkos has one, whose changes go to onChange.
func selfMember(t *testing.T, onChange func(string, client.Object)) (client.Client, *member.Client) {
	t.Helper()
	cfg, c := testenv.StartForTest(t, setup.Scheme(), func(ctx context.Context, c client.Client) error {
		return c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: n6sv1alpha1.SystemNamespace}})
	})
	kubeconfig, err := testenv.Kubeconfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ref := &n6sv1alpha1.SecretReference{Namespace: n6sv1alpha1.SystemNamespace, Name: "self-kubeconfig", Key: "kubeconfig"}
	if err := c.Create(t.Context(), &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ref.Namespace, Name: ref.Name}, Data: map[string][]byte{ref.Key: kubeconfig}}); err != nil {
		t.Fatal(err)
	}
	members := &member.Clients{Fleet: c, Scheme: setup.Scheme(), OnChange: onChange}
	t.Cleanup(members.Stop)
	self := &n6sv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "self"}, Status: n6sv1alpha1.ClusterStatus{KubeconfigSecretRef: ref}}
	mc, err := members.ForCluster(t.Context(), self)
	if err != nil {
		t.Fatal(err)
	}
	return c, mc
}

// TestFollowedKindsAreWatchedWhoeverMadeThem: a followed kind's changes notify its follower,
// whoever made the object, and are then read from the watch.
func TestFollowedKindsAreWatchedWhoeverMadeThem(t *testing.T) {
	c, mc := selfMember(t, nil)
	ctx := t.Context()
	notified := make(chan struct{}, 100)
	follow := func() client.Reader {
		t.Helper()
		r, err := mc.Follow(ctx, &corev1.ConfigMap{}, "test", func() { notified <- struct{}{} })
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	follow()
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "someone-elses"}}
	if err := c.Create(ctx, cm); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(30 * time.Second)
	for found := false; !found; {
		select {
		case <-notified:
			got := &corev1.ConfigMap{}
			found = follow().Get(ctx, client.ObjectKeyFromObject(cm), got) == nil
		case <-deadline:
			t.Fatal("waited 30s for a notification after which the followed ConfigMap reads from the watch")
		}
	}
}

// TestTheEchoOfNavarkosOwnApplyIsDropped: an event that shows an object as Navarkos' own
// apply left it wakes nothing, even when it arrives before the apply returns; an event of
// any other version is passed on, once, even when it arrived during the apply.
func TestTheEchoOfNavarkosOwnApplyIsDropped(t *testing.T) {
	var passed []string
	f := member.NewEchoFilterForTest(func(o client.Object) { passed = append(passed, o.GetResourceVersion()) })
	version := func(rv string) *unstructured.Unstructured {
		u := &unstructured.Unstructured{}
		u.SetAPIVersion("v1")
		u.SetKind("ConfigMap")
		u.SetNamespace("shop")
		u.SetName("settings")
		u.SetResourceVersion(rv)
		return u
	}
	expect := func(step string, want ...string) {
		t.Helper()
		if !slices.Equal(passed, want) {
			t.Fatalf("%s: passed on %v, want %v", step, passed, want)
		}
	}

	f.Added(version("40"))
	expect("an object never applied", "40")

	f.ApplyStarted(version(""))
	f.ApplyDone(version(""), version("41"))
	f.Added(version("41"))
	expect("the echo after the apply returned", "40")

	f.ApplyStarted(version(""))
	f.Added(version("42"))
	f.ApplyDone(version(""), version("42"))
	expect("the echo before the apply returned", "40")

	f.ApplyStarted(version(""))
	f.Added(version("43"))
	f.Added(version("44"))
	f.ApplyDone(version(""), version("43"))
	expect("another write during the apply", "40", "43")

	f.ApplyStarted(version(""))
	f.Added(version("45"))
	f.ApplyDone(version(""), nil)
	expect("a failed apply, retried by its reconcile anyway", "40", "43")
	f.Added(version("46"))
	expect("a later write by someone else", "40", "43", "46")
}
