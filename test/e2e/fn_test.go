package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/charts"
	"github.com/navarkos/navarkos/internal/dns"
	"github.com/navarkos/navarkos/internal/fninstall"
	"github.com/navarkos/navarkos/internal/member"
	"github.com/navarkos/navarkos/internal/setup"
	"github.com/navarkos/navarkos/internal/testenv"
)

// helmTimeout bounds one Helm install, upgrade or wait on a busy 2-core machine.
const helmTimeout = 4 * time.Minute

// TestFnInstall installs the Fn chart into one local member cluster (every pod Running and
// Ready, data claims bound, the helm test hook created), the control-plane chart too, then Fn
// across three clusters behind one global name that answers with three targets.
func TestFnInstall(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	server := &dns.Server{Addr: "127.0.0.1:0"}
	f := startFleetWith(t, setup.Options{HealthInterval: healthInterval, Planner: setup.PlannerOptions{Disabled: true},
		DNS: setup.DNSOptions{Server: server}})
	members := f.startMembers(t, map[string]string{"us": "local-us-east", "eu": "local-eu-west", "ap": "local-ap-south"})

	// One cluster: the default values (sqlite on a claim, bolt), waited for by Helm.
	kc, err := member.Kubeconfig(ctx, f.client, "us")
	g.Expect(err).NotTo(HaveOccurred())
	one := fninstall.Release{Name: "solo", Namespace: "fn-solo"}
	in := fninstall.Install{Release: one, Wait: true, Timeout: helmTimeout}
	g.Expect(in.ToCluster(ctx, kc)).To(Succeed())
	expectPodsReady(g, members["us"], one, 5) // api 1, lb 2, runner 2
	claims, err := members["us"].CoreV1().PersistentVolumeClaims(one.Namespace).List(ctx, metav1.ListOptions{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(claims.Items).To(HaveLen(1))
	g.Expect(claims.Items[0].Status.Phase).To(Equal(corev1.ClaimBound), "the sqlite claim is bound by the local storage provisioner")
	// Running it again upgrades the release in place.
	in.Values = map[string]any{"lb": map[string]any{"replicas": 1}}
	g.Expect(in.ToCluster(ctx, kc)).To(Succeed())
	expectPodsReady(g, members["us"], one, 4)
	// Again without values, as a user reruns it: the last values stay, as with helm upgrade.
	runCLI(t, f.DataDir, "fn", "install", "--cluster", "us", "--name", one.Name, "-n", one.Namespace)
	expectPodsReady(g, members["us"], one, 4)
	// --set-json and --reuse-values: the runners change, the lb keeps its one replica.
	runCLI(t, f.DataDir, "fn", "install", "--cluster", "us", "--name", one.Name, "-n", one.Namespace, "--reuse-values", "--set-json", `runner={"replicas":3}`)
	expectPodsReady(g, members["us"], one, 5) // api 1, lb 1, runner 3
	// --reset-values: the chart's defaults again.
	runCLI(t, f.DataDir, "fn", "install", "--cluster", "us", "--name", one.Name, "-n", one.Namespace, "--reset-values")
	expectPodsReady(g, members["us"], one, 5) // api 1, lb 2, runner 2

	// An install that cannot become ready fails with what is not ready, and running it again
	// with the chart's defaults repairs the release.
	stuck := fninstall.Install{Release: fninstall.Release{Name: "stuck", Namespace: "fn-stuck"}, Wait: true, Timeout: 10 * time.Second,
		Values: map[string]any{"runner": map[string]any{"nodeSelector": map[string]any{"fn.n6s.io/runner": "true"}}}}
	err = stuck.ToCluster(ctx, kc)
	g.Expect(err).To(MatchError(ContainSubstring("stuck-fn-runner")), "the error names the workload that is not ready")
	t.Logf("an install that cannot become ready: %v", err)
	// Without values it would keep the failed ones, as helm upgrade does: --reset-values.
	stuck.Values, stuck.ResetValues, stuck.Timeout = nil, true, helmTimeout
	g.Expect(stuck.ToCluster(ctx, kc)).To(Succeed())
	expectPodsReady(g, members["us"], stuck.Release, 5)
	g.Expect(fninstall.UninstallFromCluster(ctx, kc, stuck.Release, false, helmTimeout)).To(Succeed())

	// helm test creates its hook pod, which calls the API. kwok runs no container, so the pod
	// stays Running and the test times out; what is checked is that the hook is created and runs.
	err = fninstall.RunTests(kc, one.Name, one.Namespace, 5*time.Second)
	g.Expect(err).To(HaveOccurred(), "a simulated test pod never completes")
	hook, err := members["us"].CoreV1().Pods(one.Namespace).Get(ctx, "solo-fn-test-api", metav1.GetOptions{})
	g.Expect(err).NotTo(HaveOccurred(), "the helm test hook pod exists")
	g.Expect(hook.Annotations).To(HaveKeyWithValue("helm.sh/hook", "test"))
	g.Eventually(func() corev1.PodPhase {
		p, _ := members["us"].CoreV1().Pods(one.Namespace).Get(ctx, hook.Name, metav1.GetOptions{})
		return p.Status.Phase
	}, clusterTimeout, poll).Should(Equal(corev1.PodRunning), "waiting for the helm test pod to run")

	g.Expect(fninstall.UninstallFromCluster(ctx, kc, one, false, helmTimeout)).To(Succeed())
	g.Eventually(func(g Gomega) {
		pods, err := members["us"].CoreV1().Pods(one.Namespace).List(ctx, metav1.ListOptions{LabelSelector: fninstall.InstanceLabel + "=solo"})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(pods.Items).To(BeEmpty())
		claims, err := members["us"].CoreV1().PersistentVolumeClaims(one.Namespace).List(ctx, metav1.ListOptions{})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(claims.Items).To(BeEmpty())
		volumes, err := members["us"].CoreV1().PersistentVolumes().List(ctx, metav1.ListOptions{})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(volumes.Items).To(BeEmpty(), "the released volume is deleted by the local provisioner")
	}, clusterTimeout, poll).Should(Succeed(), "waiting for the uninstalled release's pods, claims and volumes to go")

	// The control-plane chart installs into a member too: etcd's claim is bound, every pod Ready.
	cp, err := charts.Load(charts.Navarkos)
	g.Expect(err).NotTo(HaveOccurred())
	control := fninstall.Release{Name: "navarkos", Namespace: "navarkos-system"}
	g.Expect(fninstall.Install{Release: control, Chart: cp, Wait: true, Timeout: helmTimeout}.ToCluster(ctx, kc)).To(Succeed())
	expectPodsReady(g, members["us"], control, 3) // etcd, fleet API, controller

	// The whole fleet, through the CLI as a user runs it: Fn in the fleet API, on all three
	// clusters, behind fn.navarkos.local.
	fleetRel := fninstall.Release{Name: "fn", Namespace: "fn"}
	// A global name outside the zone is refused by the API before anything is installed.
	fleetKC, err := os.ReadFile(f.KubeconfigPath())
	g.Expect(err).NotTo(HaveOccurred())
	err = fninstall.Install{Release: fleetRel, Timeout: helmTimeout}.ToFleet(ctx, fleetKC, f.client, fninstall.Fleet{GlobalName: "fn.example.com"})
	g.Expect(err).To(MatchError(ContainSubstring("every host must be inside the zone")))
	g.Expect(f.client.Get(ctx, client.ObjectKey{Name: fninstall.PlacementName(fleetRel)}, &n6sv1alpha1.ClusterPlacement{})).
		To(MatchError(ContainSubstring("not found")), "nothing is made for a refused name")
	// sqlite in every cluster would split apps between them behind one name: refused unless asked for.
	cli := exec.Command(filepath.Join(testenv.BinDir(), "navarkos"), "--data-dir", f.DataDir, "fn", "install", "--all-clusters", "--global-name", "fn.navarkos.local")
	refused, err := cli.CombinedOutput()
	g.Expect(err).To(HaveOccurred(), "a fleet-wide sqlite install was accepted:\n%s", refused)
	g.Expect(string(refused)).To(ContainSubstring("--allow-separate-datastores"))
	// With --wait, the CLI returns once Fn is ready in every cluster.
	out := runCLI(t, f.DataDir, "fn", "install", "--all-clusters", "--global-name", "fn.navarkos.local", "--allow-separate-datastores",
		"--wait", "--timeout", clusterTimeout.String())
	g.Expect(out).To(ContainSubstring("ClusterPlacement " + fninstall.PlacementName(fleetRel)))
	g.Expect(out).To(ContainSubstring("ready on each"))
	kubeconfigs := member.Kubeconfigs(f.client)
	statuses, err := fninstall.Status(ctx, f.client, kubeconfigs, fleetRel)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(statuses).To(HaveLen(3))
	for _, s := range statuses {
		g.Expect(s.Ready()).To(BeTrue(), "after --wait, Fn in cluster %s: %s", s.Cluster, s.Summary())
	}
	for name, m := range members {
		expectPodsReady(g, m, fleetRel, 5)
		t.Logf("cluster %s: Fn Ready", name)
	}
	g.Eventually(func(g Gomega) {
		answers := lookupName(g, server.BoundAddr(), "udp", "fn.navarkos.local.", "")
		g.Expect(answers).To(HaveLen(3))
	}, clusterTimeout, poll).Should(Succeed(), "waiting for fn.navarkos.local to answer with three targets")
	g.Eventually(func(g Gomega) {
		status := runCLI(t, f.DataDir, "fn", "status")
		for _, cluster := range []string{"us", "eu", "ap"} {
			g.Expect(status).To(MatchRegexp(`(?m)^%s\s+true\s+api 1/1, lb 2/2, runner 2/2$`, cluster))
		}
		g.Expect(status).To(ContainSubstring("Global name fn.navarkos.local: 3 of 3 targets healthy"))
	}, clusterTimeout, poll).Should(Succeed(), "waiting for navarkos fn status to show Fn Ready on three clusters")

	// Health-aware: with no Fn replicas in one cluster, its address leaves the answers, and comes back.
	setFnReplicasIn(t, f, fleetRel, "ap", ptr.To[int32](0))
	g.Eventually(func(g Gomega) {
		g.Expect(lookupName(g, server.BoundAddr(), "udp", "fn.navarkos.local.", "")).To(HaveLen(2))
		gi := &n6sv1alpha1.GlobalIngress{}
		g.Expect(f.client.Get(ctx, client.ObjectKey{Namespace: fleetRel.Namespace, Name: fleetRel.Name}, gi)).To(Succeed())
		for _, tgt := range gi.Status.Hosts[0].Targets {
			if tgt.Cluster == "ap" {
				g.Expect(tgt.Reason).To(HavePrefix("no ready endpoint behind Service fn-"))
			}
		}
	}, clusterTimeout, poll).Should(Succeed(), "waiting for the cluster without Fn replicas to leave the answers")
	setFnReplicasIn(t, f, fleetRel, "ap", nil)
	g.Eventually(func(g Gomega) {
		g.Expect(lookupName(g, server.BoundAddr(), "udp", "fn.navarkos.local.", "")).To(HaveLen(3))
	}, clusterTimeout, poll).Should(Succeed(), "waiting for the cluster to come back into the answers")

	// Uninstalling with --delete-data removes Fn and its data from every cluster, and the name from DNS.
	runCLI(t, f.DataDir, "fn", "uninstall", "--all-clusters", "--delete-data")
	g.Eventually(func(g Gomega) {
		g.Expect(lookupName(g, server.BoundAddr(), "udp", "fn.navarkos.local.", "")).To(BeEmpty())
		for name, m := range members {
			pods, err := m.CoreV1().Pods(fleetRel.Namespace).List(ctx, metav1.ListOptions{})
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(pods.Items).To(BeEmpty(), "pods of Fn left in cluster %s", name)
			claims, err := m.CoreV1().PersistentVolumeClaims(fleetRel.Namespace).List(ctx, metav1.ListOptions{})
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(claims.Items).To(BeEmpty(), "claims of Fn left in cluster %s", name)
		}
	}, clusterTimeout, poll).Should(Succeed(), "waiting for the fleet-wide Fn to be gone")
	// The placement's finalizer removes its Bindings first, so it goes a moment later.
	g.Eventually(func() error {
		return f.client.Get(ctx, client.ObjectKey{Name: fninstall.PlacementName(fleetRel)}, &n6sv1alpha1.ClusterPlacement{})
	}, clusterTimeout, poll).Should(MatchError(ContainSubstring("not found")), "waiting for the release's ClusterPlacement to go")

	// --placement picks clusters by label: only the eu-west cluster, behind its own name.
	euRel := fninstall.Release{Name: "fn-eu", Namespace: "fn-eu"}
	runCLI(t, f.DataDir, "fn", "install", "--name", euRel.Name, "-n", euRel.Namespace, "--allow-separate-datastores", "--wait=false",
		"--placement", n6sv1alpha1.RegionLabel+"=eu-west", "--global-name", "fn-eu.navarkos.local", "--set", "lb.replicas=1")
	expectPodsReady(g, members["eu"], euRel, 4)
	g.Eventually(func(g Gomega) {
		g.Expect(lookupName(g, server.BoundAddr(), "udp", "fn-eu.navarkos.local.", "")).To(HaveLen(1))
		statuses, err := fninstall.Status(ctx, f.client, kubeconfigs, euRel)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(statuses).To(HaveLen(1))
		g.Expect(statuses[0].Cluster).To(Equal("eu"))
		g.Expect(statuses[0].Summary()).To(Equal("api 1/1, lb 1/1, runner 2/2"))
	}, clusterTimeout, poll).Should(Succeed(), "waiting for fn-eu on the eu-west cluster only, behind one address")
	// By default an uninstall keeps the data: the claims stay, and so does a placement of them only.
	runCLI(t, f.DataDir, "fn", "uninstall", "--all-clusters", "--name", euRel.Name, "-n", euRel.Namespace)
	g.Eventually(func(g Gomega) {
		g.Expect(lookupName(g, server.BoundAddr(), "udp", "fn-eu.navarkos.local.", "")).To(BeEmpty())
		pods, err := members["eu"].CoreV1().Pods(euRel.Namespace).List(ctx, metav1.ListOptions{})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(pods.Items).To(BeEmpty(), "pods of fn-eu left")
	}, clusterTimeout, poll).Should(Succeed(), "waiting for fn-eu.navarkos.local and its pods to go")
	claims, err = members["eu"].CoreV1().PersistentVolumeClaims(euRel.Namespace).List(ctx, metav1.ListOptions{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(claims.Items).NotTo(BeEmpty(), "the data claims of fn-eu are kept by default")
}

// expectPodsReady waits until the release has n pods in the cluster, each Running and Ready.
func expectPodsReady(g Gomega, m kubernetes.Interface, r fninstall.Release, n int) {
	g.Eventually(func(g Gomega) {
		pods, err := m.CoreV1().Pods(r.Namespace).List(context.Background(), metav1.ListOptions{LabelSelector: fninstall.InstanceLabel + "=" + r.Name})
		g.Expect(err).NotTo(HaveOccurred())
		var ready int
		for _, p := range pods.Items {
			if p.Annotations["helm.sh/hook"] != "" || slices.ContainsFunc(p.OwnerReferences, func(o metav1.OwnerReference) bool { return o.Kind == "Job" }) {
				continue // hooks and Jobs run to completion
			}
			g.Expect(p.Status.Phase).To(Equal(corev1.PodRunning), "pod %s", p.Name)
			for _, c := range p.Status.Conditions {
				if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
					ready++
				}
			}
		}
		g.Expect(ready).To(Equal(n), "ready pods of release %s", r.Name)
	}, clusterTimeout, poll).Should(Succeed(), "waiting for %d Running and Ready pods of release %s/%s", n, r.Namespace, r.Name)
}

// setFnReplicasIn overrides, or with nil stops overriding, the replicas of a fleet-wide
// release's workloads in one cluster, through its ClusterPlacement.
func setFnReplicasIn(t *testing.T, f *localFleet, r fninstall.Release, cluster string, replicas *int32) {
	t.Helper()
	p := &n6sv1alpha1.ClusterPlacement{}
	if err := f.client.Get(context.Background(), client.ObjectKey{Name: fninstall.PlacementName(r)}, p); err != nil {
		t.Fatal(err)
	}
	patch := client.MergeFrom(p.DeepCopy())
	p.Spec.Overrides = nil
	if replicas != nil {
		p.Spec.Overrides = []n6sv1alpha1.ClusterOverride{{ClusterNames: []string{cluster}, Replicas: replicas}}
	}
	if err := f.client.Patch(context.Background(), p, patch); err != nil {
		t.Fatal(err)
	}
}
