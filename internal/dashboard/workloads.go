package dashboard

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/kubeconfig"
	"github.com/navarkos/navarkos/internal/member"
)

// Workloads is the workloads page: each placement with its Bindings.
type Workloads struct {
	Placements []PlacementView `json:"placements"`
	// Scope says where they were read, when not in every namespace.
	Scope string `json:"scope,omitempty"`
}

// PlacementView is a Placement or ClusterPlacement, its conditions and its Bindings.
type PlacementView struct {
	Kind       string        `json:"kind"`
	Namespace  string        `json:"namespace,omitempty"`
	Name       string        `json:"name"`
	Conditions []Condition   `json:"conditions"`
	Bindings   []BindingView `json:"bindings"`
}

// BindingView is where one selected object's replicas run, the engine's reason, and the
// object's state in each cluster.
type BindingView struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// Resource is the object placed, as "Kind namespace/name".
	Resource string `json:"resource"`
	Reason   string `json:"reason"`
	Unplaced int32  `json:"unplaced"`
	// Replicas is the sum of the replicas given to clusters; Ready those Ready there.
	Replicas   int32         `json:"replicas"`
	Ready      int32         `json:"ready"`
	Clusters   []MemberState `json:"clusters"`
	Conditions []Condition   `json:"conditions"`
}

// MemberState is the object in one member cluster.
type MemberState struct {
	Cluster  string `json:"cluster"`
	Replicas *int32 `json:"replicas,omitempty"`
	State    string `json:"state"`
	Ready    int32  `json:"ready"`
	Message  string `json:"message,omitempty"`
	// Link opens the member's object, as the member has it.
	Link string `json:"link"`
}

func (s *Server) workloads(ctx context.Context) (any, error) {
	if err := s.denied("resourcebindings"); err != nil {
		return nil, err
	}
	var placements n6sv1alpha1.PlacementList
	var clusterPlacements n6sv1alpha1.ClusterPlacementList
	var bindings n6sv1alpha1.ResourceBindingList
	for name, list := range map[string]client.ObjectList{"placements": &placements, "clusterplacements": &clusterPlacements, "resourcebindings": &bindings} {
		if err := s.list(ctx, name, list); err != nil {
			return nil, err
		}
	}
	byRef := map[n6sv1alpha1.PlacementReference]*PlacementView{}
	add := func(p n6sv1alpha1.PlacementObject, conditions []Condition) {
		ref := p.Reference()
		byRef[ref] = &PlacementView{Kind: ref.Kind, Namespace: ref.Namespace, Name: ref.Name, Conditions: conditions, Bindings: []BindingView{}}
	}
	for i := range placements.Items {
		add(&placements.Items[i], conditionsOf(placements.Items[i].Status.Conditions))
	}
	for i := range clusterPlacements.Items {
		add(&clusterPlacements.Items[i], conditionsOf(clusterPlacements.Items[i].Status.Conditions))
	}
	for i := range bindings.Items {
		b := &bindings.Items[i]
		pv := byRef[b.Spec.Placement]
		if pv == nil {
			// A ClusterPlacement the caller may not read still places into their namespace.
			pv = &PlacementView{Kind: b.Spec.Placement.Kind, Namespace: b.Spec.Placement.Namespace, Name: b.Spec.Placement.Name, Conditions: []Condition{}, Bindings: []BindingView{}}
			byRef[b.Spec.Placement] = pv
		}
		pv.Bindings = append(pv.Bindings, bindingView(b))
	}
	out := Workloads{Placements: make([]PlacementView, 0, len(byRef)), Scope: s.scopeOf("resourcebindings")}
	for _, pv := range byRef {
		slices.SortFunc(pv.Bindings, func(a, b BindingView) int {
			return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
		})
		out.Placements = append(out.Placements, *pv)
	}
	slices.SortFunc(out.Placements, func(a, b PlacementView) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name), cmp.Compare(a.Kind, b.Kind))
	})
	return out, nil
}

func bindingView(b *n6sv1alpha1.ResourceBinding) BindingView {
	r := b.Spec.Resource
	v := BindingView{Namespace: b.Namespace, Name: b.Name, Resource: r.Kind + " " + strings.TrimPrefix(r.Namespace+"/"+r.Name, "/"),
		Reason: b.Spec.Reason, Unplaced: b.Spec.UnplacedReplicas, Clusters: []MemberState{}, Conditions: conditionsOf(b.Status.Conditions)}
	states := map[string]n6sv1alpha1.ClusterResourceStatus{}
	for _, cs := range b.Status.Clusters {
		states[cs.Name] = cs
	}
	seen := map[string]bool{}
	member := func(name string, replicas *int32) {
		seen[name] = true
		cs, ok := states[name]
		m := MemberState{Cluster: name, Replicas: replicas, State: string(cs.State), Ready: cs.ReadyReplicas, Message: cs.Message,
			Link: "api/member?" + url.Values{"binding": {b.Namespace + "/" + b.Name}, "cluster": {name}}.Encode()}
		if !ok {
			m.State = string(n6sv1alpha1.ResourcePending)
		}
		if replicas != nil {
			v.Replicas += *replicas
		}
		v.Ready += cs.ReadyReplicas
		v.Clusters = append(v.Clusters, m)
	}
	for _, tc := range b.Spec.Clusters {
		member(tc.Name, tc.Replicas)
	}
	// A cluster the object is leaving still shows until it is released.
	for _, cs := range b.Status.Clusters {
		if !seen[cs.Name] {
			member(cs.Name, nil)
		}
	}
	return v
}

func conditionsOf(conds []metav1.Condition) []Condition {
	out := make([]Condition, 0, len(conds))
	for _, c := range conds {
		out = append(out, Condition{Type: c.Type, Status: string(c.Status), Reason: c.Reason, Message: c.Message})
	}
	return out
}

// serveMember shows a Binding's object as one member cluster has it, in YAML. It reads the
// Binding and the member's kubeconfig with the caller's credentials, so it shows nothing the
// caller could not read themselves; it reads only the object the Binding names, from a
// cluster the Binding places it in. A Secret's values are left out.
func (s *Server) serveMember(w http.ResponseWriter, r *http.Request) {
	ns, name, ok := strings.Cut(r.URL.Query().Get("binding"), "/")
	cluster := r.URL.Query().Get("cluster")
	if !ok || ns == "" || name == "" || cluster == "" {
		http.Error(w, "want ?binding=NAMESPACE/NAME&cluster=CLUSTER", http.StatusBadRequest)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 15*time.Second)
	defer cancel()
	b := &n6sv1alpha1.ResourceBinding{}
	if err := s.direct.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, b); err != nil {
		http.Error(w, err.Error(), statusOf(err))
		return
	}
	placed := slices.ContainsFunc(b.Spec.Clusters, func(tc n6sv1alpha1.TargetCluster) bool { return tc.Name == cluster }) ||
		slices.ContainsFunc(b.Status.Clusters, func(cs n6sv1alpha1.ClusterResourceStatus) bool { return cs.Name == cluster })
	if !placed {
		http.Error(w, fmt.Sprintf("ResourceBinding %s/%s places nothing in cluster %s", ns, name, cluster), http.StatusNotFound)
		return
	}
	data, err := member.Kubeconfig(ctx, s.direct, cluster)
	if err != nil {
		http.Error(w, err.Error(), statusOf(err))
		return
	}
	cfg, err := kubeconfig.Policy{}.RESTConfig(data)
	if err != nil {
		http.Error(w, fmt.Sprintf("cluster %s: %v", cluster, err), http.StatusBadGateway)
		return
	}
	cfg.Timeout = 10 * time.Second
	c, err := client.New(cfg, client.Options{})
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	res := b.Spec.Resource
	obj := &unstructured.Unstructured{}
	obj.SetGroupVersionKind(schema.FromAPIVersionAndKind(res.APIVersion, res.Kind))
	if err := c.Get(ctx, client.ObjectKey{Namespace: res.Namespace, Name: res.Name}, obj); err != nil {
		http.Error(w, fmt.Sprintf("cluster %s: %v", cluster, err), statusOf(err))
		return
	}
	obj.SetManagedFields(nil)
	if res.Kind == "Secret" && (res.APIVersion == "v1") {
		for _, field := range []string{"data", "stringData"} {
			if m, ok := obj.Object[field].(map[string]any); ok {
				for k := range m {
					m[k] = "(hidden)"
				}
			}
		}
	}
	out, err := yaml.Marshal(obj.Object)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "# %s %s in cluster %s, placed by ResourceBinding %s/%s\n", res.Kind, strings.TrimPrefix(res.Namespace+"/"+res.Name, "/"), cluster, ns, name)
	_, _ = w.Write(out)
}

// statusOf is the HTTP status for an error of the API: its own for an API error, else 502.
func statusOf(err error) int {
	var status apierrors.APIStatus
	if errors.As(err, &status) && status.Status().Code != 0 {
		return int(status.Status().Code)
	}
	return http.StatusBadGateway
}
