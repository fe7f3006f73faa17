package placement

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
)

// RegionLabel is the cluster label that TopologyKey names to spread by region.
const RegionLabel = "topology.kubernetes.io/region"

// candidate is an eligible cluster with its score and, once known, its share.
type candidate struct {
	*Cluster
	score    int64
	capacity int64
	weight   int64
	replicas int64
}

// Schedule chooses clusters for a workload under a policy. It is deterministic: ties are
// broken by cluster name.
func Schedule(clusters []Cluster, w Workload, p Policy) Result {
	eligible, excluded := filter(clusters, p)
	scoreAll(eligible, w, p.Preferences)
	sort.Slice(eligible, func(i, j int) bool {
		if eligible[i].score != eligible[j].score {
			return eligible[i].score > eligible[j].score
		}
		return eligible[i].Name < eligible[j].Name
	})
	if p.TopologyKey != "" {
		eligible = spreadByTopology(eligible, p.TopologyKey)
	}
	chosen := eligible
	if p.MaxClusters > 0 && len(chosen) > p.MaxClusters {
		chosen = chosen[:p.MaxClusters]
	}
	res := Result{SpreadSatisfied: len(chosen) >= p.MinClusters}
	replicas := int64(max(w.Replicas, 0))
	var how string
	switch {
	case p.Mode == Duplicated:
		for _, c := range chosen {
			c.replicas = replicas
		}
		how = fmt.Sprintf("each gets all %d replicas", replicas)
	case p.Division == ByWeight:
		for _, c := range chosen {
			c.weight = staticWeight(c.Cluster, p.Weights)
		}
		divide(chosen, replicas, false, p.MinClusters)
		how = fmt.Sprintf("%d replicas divided by static weights", replicas)
	default:
		for _, c := range chosen {
			c.capacity = c.room(w.Request)
			c.weight = c.capacity
		}
		kept := keepCurrent(keepOrder(chosen, w.Current, replicas, p.RegionShares), w.Current, replicas)
		left := replicas - kept
		how = fmt.Sprintf("%d replicas divided by free capacity", replicas)
		if len(p.RegionShares) > 0 {
			left = divideByRegion(chosen, replicas, left, p.RegionShares)
			how = fmt.Sprintf("%d replicas divided by region shares, then by free capacity", replicas)
		}
		res.Unplaced = int32(divide(chosen, left, true, p.MinClusters))
		if kept > 0 {
			how = fmt.Sprintf("%d replicas kept where they run, %s", kept, strings.TrimPrefix(how, fmt.Sprintf("%d replicas ", replicas)))
		}
	}
	placed := int64(0)
	for _, c := range chosen {
		if c.replicas > 0 || p.Mode == Duplicated {
			res.Assignments = append(res.Assignments, Assignment{Cluster: c.Name, Replicas: int32(c.replicas), Score: c.score})
			placed += c.replicas
		}
	}
	// Replicas that no cluster runs are unplaced, whatever the mode: no eligible cluster (a
	// named one that does not exist, say), or weights that give every cluster none.
	if placed == 0 && replicas > 0 {
		res.Unplaced = int32(min(replicas, math.MaxInt32))
	}
	slices.SortFunc(res.Assignments, func(a, b Assignment) int { return strings.Compare(a.Cluster, b.Cluster) })
	res.Reason = explain(len(clusters), eligible, excluded, res, p, how)
	return res
}

// room is how many more replicas of request the cluster holds: its free capacity, and none
// when its node shape (if known) is smaller than one replica, since a replica runs on one node.
func (c *Cluster) room(request Resources) int64 {
	if c.NodeShape != (Resources{}) && c.NodeShape.Fits(request) == 0 {
		return 0
	}
	return c.Allocatable.Sub(c.Used).Fits(request)
}

// exclusion counts the clusters a constraint ruled out, for the explanation.
type exclusion struct {
	why   string
	count int
}

// filter keeps the clusters that meet every required constraint.
func filter(clusters []Cluster, p Policy) ([]*candidate, []exclusion) {
	reasons := []string{"not schedulable", "not named", "outside regions", "labels do not match"}
	counts := make([]int, len(reasons))
	eligible := make([]*candidate, 0, len(clusters))
	for i := range clusters {
		c := &clusters[i]
		switch v := p.violation(c); {
		case !c.Schedulable:
			counts[0]++
		case v > 0:
			counts[v]++
		default:
			eligible = append(eligible, &candidate{Cluster: c})
		}
	}
	var excluded []exclusion
	for i, n := range counts {
		if n > 0 {
			excluded = append(excluded, exclusion{why: reasons[i], count: n})
		}
	}
	return eligible, excluded
}

// Admits reports whether a cluster meets the policy's required constraints, whatever its health.
func (p Policy) Admits(c *Cluster) bool {
	return p.violation(c) == 0
}

// violation returns the index in filter's reasons of the first constraint c fails, or 0.
func (p Policy) violation(c *Cluster) int {
	switch {
	case len(p.ClusterNames) > 0 && !slices.Contains(p.ClusterNames, c.Name):
		return 1
	case len(p.Regions) > 0 && !slices.Contains(p.Regions, c.Region):
		return 2
	case p.ClusterSelector != nil && !p.ClusterSelector.Matches(c.Labels):
		return 3
	}
	return 0
}

// scoreAll gives each candidate the weighted mean of its preference scores, 0 to 100.
func scoreAll(cands []*candidate, w Workload, prefs []Preference) {
	var total int64
	for _, pref := range prefs {
		total += max(pref.Weight, 0)
	}
	if total == 0 || len(cands) == 0 {
		return
	}
	minPrice := -1.0
	prices := make([]float64, len(cands))
	for i, c := range cands {
		prices[i] = pricePerReplica(c.Cluster, w.Request)
		if minPrice < 0 || prices[i] < minPrice {
			minPrice = prices[i]
		}
	}
	for i, c := range cands {
		var sum int64
		for _, pref := range prefs {
			sum += max(pref.Weight, 0) * preferenceScore(c.Cluster, pref, prices[i], minPrice)
		}
		c.score = sum / total
	}
}

func preferenceScore(c *Cluster, pref Preference, price, minPrice float64) int64 {
	switch pref.Kind {
	case PreferCost:
		if price <= 0 {
			return 100
		}
		return int64(100 * minPrice / price)
	case PreferLocality:
		n := len(pref.TargetRegions)
		if i := slices.Index(pref.TargetRegions, c.Region); i >= 0 {
			return int64(100 * (n - i) / n)
		}
		return 0
	case PreferTier:
		if c.Tier == pref.Tier {
			return 100
		}
		return 0
	}
	return 0
}

// pricePerReplica is the node-hour price over the replicas of request that one node holds.
func pricePerReplica(c *Cluster, request Resources) float64 {
	perNode := c.NodeShape.Fits(request)
	if perNode <= 0 {
		return c.PricePerNodeHour
	}
	return c.PricePerNodeHour / float64(perNode)
}

// spreadByTopology reorders the ranked candidates so that each topology value contributes its
// best cluster before any contributes a second one. Values take turns in the order of their best cluster.
func spreadByTopology(ranked []*candidate, key string) []*candidate {
	var order []string
	byValue := map[string][]*candidate{}
	for _, c := range ranked {
		v := c.Labels[key]
		if v == "" && key == RegionLabel {
			v = c.Region
		}
		if _, seen := byValue[v]; !seen {
			order = append(order, v)
		}
		byValue[v] = append(byValue[v], c)
	}
	out := make([]*candidate, 0, len(ranked))
	for round := 0; len(out) < len(ranked); round++ {
		for _, v := range order {
			if round < len(byValue[v]) {
				out = append(out, byValue[v][round])
			}
		}
	}
	return out
}

func staticWeight(c *Cluster, weights []StaticWeight) int64 {
	for _, sw := range weights {
		if (len(sw.Names) > 0 && slices.Contains(sw.Names, c.Name)) || (sw.Selector != nil && sw.Selector.Matches(c.Labels)) {
			return max(sw.Weight, 0)
		}
	}
	return 0
}

// keepCurrent gives each chosen candidate the replicas it runs now, as far as they fit and
// are still wanted, dropping the surplus from the worst ranked first. It leaves each
// candidate's capacity and weight at what remains free, and returns the replicas kept.
func keepCurrent(chosen []*candidate, current map[string]int32, replicas int64) int64 {
	if len(current) == 0 {
		return 0
	}
	var kept int64
	for _, c := range chosen {
		c.replicas = min(int64(max(current[c.Name], 0)), c.capacity)
		kept += c.replicas
	}
	for i := len(chosen) - 1; i >= 0 && kept > replicas; i-- {
		drop := min(chosen[i].replicas, kept-replicas)
		chosen[i].replicas -= drop
		kept -= drop
	}
	for _, c := range chosen {
		c.capacity -= c.replicas
		c.weight = c.capacity
	}
	return kept
}

// divideByRegion gives each region's share of replicas, less those it already has, to the
// candidates in or near the region, by free capacity. It returns the replicas that found no
// place near their region, for the caller to divide over every candidate. Replicas already
// running elsewhere stay: moving them home would disrupt them; new replicas go to the regions
// short of their share, and keepOrder takes fewer replicas from those beyond it.
func divideByRegion(chosen []*candidate, replicas, left int64, shares map[string]float64) int64 {
	have := map[string]int64{}
	for _, c := range chosen {
		have[HomeRegion(c.Region, shares)] += c.replicas
	}
	for _, t := range RegionTargets(shares, int32(min(replicas, math.MaxInt32))) {
		give := min(t.Replicas-have[t.Region], left)
		if give <= 0 {
			continue
		}
		var near []*candidate
		for _, c := range chosen {
			if Near(c.Region, t.Region) && c.capacity > 0 {
				near = append(near, c)
			}
		}
		before := make([]int64, len(near))
		for i, c := range near {
			before[i] = c.replicas
		}
		left -= give - divide(near, give, true, 0)
		for i, c := range near {
			c.capacity -= c.replicas - before[i]
			c.weight = c.capacity
		}
	}
	return left
}

// keepOrder is the order in which keepCurrent keeps replicas, the last dropped first when
// fewer are wanted: with region shares, those of the region furthest beyond its share of
// replicas go first, far from every region before the rest.
func keepOrder(chosen []*candidate, current map[string]int32, replicas int64, shares map[string]float64) []*candidate {
	if len(shares) == 0 || len(current) == 0 {
		return chosen
	}
	home := make(map[*candidate]string, len(chosen))
	have := map[string]int64{}
	for _, c := range chosen {
		home[c] = HomeRegion(c.Region, shares)
		have[home[c]] += int64(max(current[c.Name], 0))
	}
	excess := RegionExcess(shares, int32(min(replicas, math.MaxInt32)), have)
	ordered := slices.Clone(chosen)
	slices.SortStableFunc(ordered, func(a, b *candidate) int { return cmp.Compare(excess[home[a]], excess[home[b]]) })
	return ordered
}

// divide shares replicas in proportion to the candidates' weights by the largest-remainder
// method, ties going to the earlier (better ranked) candidate. With capped, no candidate gets
// more than its weight (its capacity). It then makes sure the first minClusters candidates
// that can take a replica have one, and returns the replicas left without a place.
func divide(cands []*candidate, replicas int64, capped bool, minClusters int) int64 {
	var total int64
	for _, c := range cands {
		total += c.weight
	}
	if total == 0 {
		return replicas
	}
	toPlace := replicas
	if capped {
		toPlace = min(replicas, total)
	}
	type rest struct {
		c   *candidate
		rem int64
	}
	var placed int64
	rests := make([]rest, 0, len(cands))
	base := make(map[*candidate]int64, len(cands))
	for _, c := range cands {
		base[c] = c.replicas
		share := toPlace * c.weight
		c.replicas += share / total
		placed += share / total
		rests = append(rests, rest{c, share % total})
	}
	sort.SliceStable(rests, func(i, j int) bool { return rests[i].rem > rests[j].rem })
	for i := 0; placed < toPlace; i = (i + 1) % len(rests) {
		c := rests[i].c
		if c.weight > 0 && (!capped || c.replicas-base[c] < c.capacity) {
			c.replicas++
			placed++
		}
	}
	ensureMinimum(cands, minClusters, capped)
	return replicas - placed
}

// ensureMinimum moves single replicas from the largest share to the first minClusters
// candidates that have none, as long as the donor keeps at least one.
func ensureMinimum(cands []*candidate, minClusters int, capped bool) {
	for i := 0; i < len(cands) && i < minClusters; i++ {
		c := cands[i]
		if c.replicas > 0 || c.weight == 0 || (capped && c.capacity == 0) {
			continue
		}
		var donor *candidate
		for _, d := range cands {
			if d.replicas > 1 && (donor == nil || d.replicas > donor.replicas) {
				donor = d
			}
		}
		if donor == nil {
			return
		}
		donor.replicas--
		c.replicas++
	}
}

// explain writes the decision for humans: what was eligible, what was chosen, and how replicas were shared.
func explain(total int, eligible []*candidate, excluded []exclusion, res Result, p Policy, how string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d of %d clusters eligible", len(eligible), total)
	if len(excluded) > 0 {
		b.WriteString(" (excluded: ")
		for i, e := range excluded {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%d %s", e.count, e.why)
		}
		b.WriteString(")")
	}
	if len(res.Assignments) == 0 {
		b.WriteString("; no cluster chosen")
	} else {
		b.WriteString("; chose ")
		for i, a := range res.Assignments {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%s=%d (score %d)", a.Cluster, a.Replicas, a.Score)
		}
	}
	fmt.Fprintf(&b, "; %s", how)
	if res.Unplaced > 0 {
		fmt.Fprintf(&b, "; %d replicas have no room", res.Unplaced)
	}
	if !res.SpreadSatisfied {
		fmt.Fprintf(&b, "; spread needs at least %d clusters", p.MinClusters)
	}
	return b.String()
}
