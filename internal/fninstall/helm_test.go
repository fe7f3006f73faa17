package fninstall

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v4/pkg/release/common"
	release "helm.sh/helm/v4/pkg/release/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/setup"
	"github.com/navarkos/navarkos/internal/testenv"
)

// The installer against a real kube-apiserver with the fleet CRDs, as a cluster or as the fleet
// API: Helm installs for real there, though no controller runs the workloads.
var (
	k8s       client.Client
	apiConfig []byte
)

func TestMain(m *testing.M) {
	suite := &testenv.Suite{Scheme: setup.Scheme()}
	suite.Install = func(ctx context.Context, c client.Client) error {
		k8s = c
		kc, err := testenv.Kubeconfig(suite.Config)
		if err != nil {
			return err
		}
		apiConfig = kc
		return setup.InstallCRDs(ctx, c)
	}
	os.Exit(suite.Run(m))
}

// lastRelease is the newest revision of a release and its history, oldest first.
func lastRelease(t *testing.T, r Release) (*release.Release, []*release.Release) {
	t.Helper()
	cfg, err := helmConfig(apiConfig, r.Namespace)
	if err != nil {
		t.Fatal(err)
	}
	history, err := releaseHistory(cfg, r.Name)
	if err != nil || len(history) == 0 {
		t.Fatalf("history of %s: %v, %d revisions", r.Name, err, len(history))
	}
	return history[len(history)-1], history
}

func lbReplicas(rel *release.Release) any {
	lb, _ := rel.Config["lb"].(map[string]any)
	return lb["replicas"]
}

// Running install again keeps, merges or resets the values as `helm upgrade` does.
func TestUpgradeTakesValuesAsHelmDoes(t *testing.T) {
	r := Release{Name: "values", Namespace: "fn-values"}
	install := func(in Install) *release.Release {
		t.Helper()
		in.Release, in.Timeout = r, time.Minute
		if err := in.ToCluster(t.Context(), apiConfig); err != nil {
			t.Fatal(err)
		}
		last, _ := lastRelease(t, r)
		return last
	}
	install(Install{Values: map[string]any{"lb": map[string]any{"replicas": 3}}})
	if rel := install(Install{}); fmt.Sprint(lbReplicas(rel)) != "3" {
		t.Errorf("no values given: the release has %v, want the last values kept (lb.replicas 3)", rel.Config)
	}
	rel := install(Install{ReuseValues: true, Values: map[string]any{"logLevel": "debug"}})
	if rel.Config["logLevel"] != "debug" || lbReplicas(rel) == nil {
		t.Errorf("--reuse-values: the release has %v, want logLevel merged over lb.replicas", rel.Config)
	}
	if rel := install(Install{Values: map[string]any{"logLevel": "warn"}}); lbReplicas(rel) != nil {
		t.Errorf("values given: the release has %v, want only them, as helm upgrade without --reuse-values", rel.Config)
	}
	if rel := install(Install{ResetValues: true}); len(rel.Config) != 0 {
		t.Errorf("--reset-values: the release has %v, want the chart's defaults", rel.Config)
	}
}

// markPending sets the newest revision of a release to a pending status that started at.
func markPending(t *testing.T, r Release, status common.Status, at time.Time) {
	t.Helper()
	cfg, err := helmConfig(apiConfig, r.Namespace)
	if err != nil {
		t.Fatal(err)
	}
	last, _ := lastRelease(t, r)
	last.SetStatus(status, "as an interrupted helm leaves it")
	last.Info.LastDeployed = at
	if err := cfg.Releases.Update(last); err != nil {
		t.Fatal(err)
	}
}

// A release left pending by a killed operation is recovered, with a message, once the
// operation has had its time; before that it is refused with when it can be.
func TestAPendingReleaseIsRecovered(t *testing.T) {
	r := Release{Name: "pending", Namespace: "fn-pending"}
	var reports []string
	in := Install{Release: r, Timeout: time.Minute, Report: func(s string) { reports = append(reports, s) }}
	in.Values = map[string]any{"logLevel": "warn"}
	if err := in.ToCluster(t.Context(), apiConfig); err != nil {
		t.Fatal(err)
	}
	in.Values = map[string]any{"logLevel": "error"}
	if err := in.ToCluster(t.Context(), apiConfig); err != nil {
		t.Fatal(err)
	}
	markPending(t, r, common.StatusPendingUpgrade, time.Now())
	in.Values = map[string]any{"logLevel": "debug"}
	err := in.ToCluster(t.Context(), apiConfig)
	if err == nil || !strings.Contains(err.Error(), "pending-upgrade (revision 2)") || !strings.Contains(err.Error(), "may still be running") {
		t.Fatalf("a fresh pending release: %v, want a refusal saying it may still be running", err)
	}
	markPending(t, r, common.StatusPendingUpgrade, time.Now().Add(-2*time.Minute))
	if err := in.ToCluster(t.Context(), apiConfig); err != nil {
		t.Fatalf("a pending release older than the timeout: %v", err)
	}
	if len(reports) != 1 || !strings.Contains(reports[0], "left pending-upgrade (revision 2)") || !strings.Contains(reports[0], "rolled back to revision 1") {
		t.Errorf("reports %q, want one saying revision 2 was rolled back to 1", reports)
	}
	last, history := lastRelease(t, r)
	if last.Info.Status != common.StatusDeployed || last.Config["logLevel"] != "debug" || history[1].Info.Status != common.StatusFailed {
		t.Errorf("after recovery: revision %d %s with %v, revision 2 %s; want the new values deployed and 2 failed",
			last.Version, last.Info.Status, last.Config, history[1].Info.Status)
	}

	// A first install that never finished is uninstalled and installed again.
	first := Release{Name: "first", Namespace: "fn-pending"}
	in.Release, reports = first, nil
	if err := in.ToCluster(t.Context(), apiConfig); err != nil {
		t.Fatal(err)
	}
	markPending(t, first, common.StatusPendingInstall, time.Now().Add(-2*time.Minute))
	if err := in.ToCluster(t.Context(), apiConfig); err != nil {
		t.Fatalf("a pending first install: %v", err)
	}
	if last, _ := lastRelease(t, first); last.Info.Status != common.StatusDeployed || len(reports) != 1 || !strings.Contains(reports[0], "never deployed") {
		t.Errorf("after recovering a pending install: %s, reports %q", last.Info.Status, reports)
	}
}

// An upgrade whose workloads do not become ready in time is rolled back with
// RollbackOnFailure. No controller runs here, so no Deployment ever becomes ready.
func TestAFailedUpgradeIsRolledBack(t *testing.T) {
	r := Release{Name: "rollback", Namespace: "fn-rollback"}
	in := Install{Release: r, Timeout: time.Minute, Values: map[string]any{"logLevel": "warn"}}
	if err := in.ToCluster(t.Context(), apiConfig); err != nil {
		t.Fatal(err)
	}
	in.Values, in.Wait, in.RollbackOnFailure, in.Timeout = map[string]any{"logLevel": "debug"}, true, true, 3*time.Second
	if err := in.ToCluster(t.Context(), apiConfig); err == nil {
		t.Fatal("an upgrade that cannot become ready succeeded")
	}
	// The rollback waits too, and fails to become ready for the same reason: what is checked is
	// that it took the first values back.
	last, history := lastRelease(t, r)
	if last.Config["logLevel"] != "warn" || len(history) != 3 || history[1].Info.Status != common.StatusFailed {
		t.Errorf("after the failed upgrade: revision %d %q with %v, %d revisions; want the failed upgrade rolled back to the first values",
			last.Version, last.Info.Description, last.Config, len(history))
	}
}

// A fleet-wide install refuses a datastore each cluster would have to itself, before anything
// is made, unless asked for; and an upgrade without values keeps the last ones.
func TestAFleetInstallNeedsOneDatastore(t *testing.T) {
	ctx := t.Context()
	fleet := Fleet{GlobalName: "fn.navarkos.local"}
	for _, tc := range []struct {
		name   string
		values map[string]any
		want   string
	}{
		{"sqlite, the default", nil, "the datastore is sqlite"},
		{"the bundled MySQL", map[string]any{"datastore": map[string]any{"type": "mysql", "password": "s3cret"}, "mysql": map[string]any{"enabled": true}},
			"the datastore is the bundled MySQL"},
	} {
		r := Release{Name: "split", Namespace: "fn-split"}
		err := Install{Release: r, Values: tc.values, Timeout: time.Minute}.ToFleet(ctx, apiConfig, k8s, fleet)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "--allow-separate-datastores") {
			t.Errorf("%s: %v, want a refusal naming the datastore and the flag", tc.name, err)
		}
		if err := k8s.Get(ctx, client.ObjectKey{Name: PlacementName(r)}, &n6sv1alpha1.ClusterPlacement{}); err == nil {
			t.Errorf("%s: a ClusterPlacement was made for a refused install", tc.name)
		}
	}
	allowed := Release{Name: "allowed", Namespace: "fn-split"}
	if err := (Install{Release: allowed, Timeout: time.Minute, AllowSeparateDatastores: true}).ToFleet(ctx, apiConfig, k8s, fleet); err != nil {
		t.Errorf("with AllowSeparateDatastores: %v", err)
	}

	shared := Release{Name: "shared", Namespace: "fn-shared"}
	postgres := map[string]any{"datastore": map[string]any{"type": "postgres", "host": "pg.example", "password": "s3cret"}}
	if err := (Install{Release: shared, Values: postgres, Timeout: time.Minute}).ToFleet(ctx, apiConfig, k8s, fleet); err != nil {
		t.Fatal(err)
	}
	// Again without values: the shared datastore stays, and so the install is not refused.
	if err := (Install{Release: shared, Timeout: time.Minute}).ToFleet(ctx, apiConfig, k8s, fleet); err != nil {
		t.Fatalf("an upgrade without values: %v", err)
	}
	last, _ := lastRelease(t, shared)
	datastore, _ := last.Config["datastore"].(map[string]any)
	ingress, _ := last.Config["ingress"].(map[string]any)
	if datastore["type"] != "postgres" || ingress["enabled"] != true {
		t.Errorf("after an upgrade without values the release has %v, want the last values and the global name's Ingress", last.Config)
	}
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: shared.Namespace, Name: shared.Name}, &n6sv1alpha1.GlobalIngress{}); err != nil {
		t.Errorf("the GlobalIngress of the shared install: %v", err)
	}
}

// A fleet-wide upgrade with --wait waits for the clusters, and with RollbackOnFailure one
// that they do not run Ready is rolled back. The member here is the API server itself, joined
// as a Ready cluster: the release's workloads are there, and no controller makes them ready.
func TestAFleetUpgradeNotReadyInItsClustersIsRolledBack(t *testing.T) {
	ctx := t.Context()
	self := &n6sv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "self"},
		Spec: n6sv1alpha1.ClusterSpec{KubeconfigSecretRef: &n6sv1alpha1.SecretReference{Namespace: "navarkos-system", Name: "self-kubeconfig"}}}
	if err := k8s.Create(ctx, self); err != nil {
		t.Fatal(err)
	}
	self.Status.Phase = n6sv1alpha1.ClusterPhaseReady
	if err := k8s.Status().Update(ctx, self); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = k8s.Delete(context.Background(), self) })
	fleet := Fleet{GlobalName: "fn-wait.navarkos.local", Kubeconfigs: func(context.Context, string) ([]byte, error) { return apiConfig, nil }}
	r := Release{Name: "wait", Namespace: "fn-wait"}
	postgres := map[string]any{"datastore": map[string]any{"type": "postgres", "host": "pg.example", "password": "s3cret"}, "logLevel": "warn"}
	if err := (Install{Release: r, Values: postgres, Timeout: time.Minute}).ToFleet(ctx, apiConfig, k8s, fleet); err != nil {
		t.Fatal(err)
	}
	var reports []string
	upgrade := Install{Release: r, ReuseValues: true, Values: map[string]any{"logLevel": "debug"}, Wait: true, RollbackOnFailure: true,
		Timeout: 5 * time.Second, Report: func(s string) { reports = append(reports, s) }}
	err := upgrade.ToFleet(ctx, apiConfig, k8s, fleet)
	if err == nil || !strings.Contains(err.Error(), "is not ready after 5s") || !strings.Contains(err.Error(), "cluster self: api 0/1") {
		t.Fatalf("an upgrade its cluster does not run Ready: %v, want the cluster and its workloads named", err)
	}
	last, history := lastRelease(t, r)
	if last.Config["logLevel"] != "warn" || len(history) != 3 || len(reports) != 1 || !strings.Contains(reports[0], "Rolled back") {
		t.Errorf("after the failed upgrade: revision %d with %v, %d revisions, reports %q; want the values of revision 1 back",
			last.Version, last.Config, len(history), reports)
	}
}
