package local

import (
	"strconv"
	"strings"
)

// DefaultMemberGOGC is the Go garbage collector's target of a member's components: a heap
// that grows by half, not by all, before a collection. Measured in docs/performance.md (local
// members): 23% less private memory a member, at no idle CPU cost.
const DefaultMemberGOGC = 50

// memberControllers are the kube-controller-manager controllers a member runs: those the
// workloads Navarkos places need (workloads, Services, namespaces, service accounts, RBAC
// aggregation, garbage collection, disruption budgets, quotas, autoscaling, volumes of the
// local storage provisioner, node lifecycle). Left out are certificate signing, bootstrap
// tokens, node IPAM, attach/detach, dynamic resources and the storage-version machinery,
// which kwok's nodes and a member's users never need.
var memberControllers = []string{
	"deployment-controller", "replicaset-controller", "statefulset-controller", "daemonset-controller",
	"job-controller", "cronjob-controller", "replicationcontroller-controller",
	"endpointslice-controller", "endpoints-controller",
	"namespace-controller", "garbage-collector-controller",
	"serviceaccount-controller", "serviceaccount-token-controller", "clusterrole-aggregation-controller",
	"root-ca-certificate-publisher-controller", "pod-garbage-collector-controller", "disruption-controller",
	"ttl-after-finished-controller", "horizontal-pod-autoscaler-controller", "resourcequota-controller",
	"persistentvolume-binder-controller", "persistentvolumeclaim-protection-controller",
	"persistentvolume-protection-controller", "ephemeral-volume-controller",
	"node-lifecycle-controller", "taint-eviction-controller",
}

// MemberProfile lightens the components of each local member, for a machine that runs many
// of them. Its zero value is the light profile; each field turns one lightening off.
type MemberProfile struct {
	// GOGC is the garbage collector's target of every component; 0 means DefaultMemberGOGC,
	// 100 is Go's own default.
	GOGC int
	// LeaderElection keeps the leader election of kube-controller-manager and kube-scheduler.
	// A member runs one of each, so without it neither renews a Lease every 2 s.
	LeaderElection bool
	// AllControllers runs every default controller of kube-controller-manager, not only
	// those a member needs.
	AllControllers bool
}

// createOptions are the profile's component flags and environment, for kwokctl.
func (m MemberProfile) createOptions() (extraArgs, env []string) {
	if !m.LeaderElection {
		extraArgs = append(extraArgs, "kube-controller-manager=leader-elect=false", "kube-scheduler=leader-elect=false")
	}
	if !m.AllControllers {
		extraArgs = append(extraArgs, "kube-controller-manager=controllers="+strings.Join(memberControllers, ","))
	}
	gogc := m.GOGC
	if gogc == 0 {
		gogc = DefaultMemberGOGC
	}
	for _, c := range components {
		env = append(env, c+"=GOGC="+strconv.Itoa(gogc))
	}
	return extraArgs, env
}
