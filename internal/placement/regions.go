package placement

import (
	"cmp"
	"math"
	"slices"
	"strings"
)

// Near reports whether two regions are close enough to serve each other's users: the same
// region, or regions that share their first dash-separated part, the continent in cloud region
// names (eu-west and eu-central, us-east and us-west). An unknown region is near every region.
func Near(a, b string) bool {
	if a == "" || b == "" || a == b {
		return true
	}
	return Continent(a) == Continent(b)
}

// Continent is the part of a region's name that regions near each other share: "eu" of
// "eu-west".
func Continent(region string) string {
	c, _, _ := strings.Cut(region, "-")
	return c
}

// RegionTarget is how many of a demand's replicas its region's users ask for.
type RegionTarget struct {
	Region   string
	Replicas int64
}

// RegionTargets splits replicas over regions by share, the largest remainders rounded up, so
// that the parts add up to replicas. Regions come largest share first, then by name.
func RegionTargets(shares map[string]float64, replicas int32) []RegionTarget {
	regions := sortedRegions(shares)
	var sum float64
	for _, r := range regions { // in a fixed order: a float sum in map order differs run to run
		sum += max(shares[r], 0)
	}
	if sum <= 0 || replicas <= 0 {
		return nil
	}
	type part struct {
		region string
		whole  int64
		rest   float64
	}
	var parts []part
	var given int64
	for _, r := range regions {
		exact := max(shares[r], 0) / sum * float64(replicas)
		whole := int64(math.Floor(exact))
		parts = append(parts, part{r, whole, exact - float64(whole)})
		given += whole
	}
	byRest := slices.Clone(parts)
	slices.SortStableFunc(byRest, func(a, b part) int { return cmp.Compare(b.rest, a.rest) })
	extra := map[string]int64{}
	for _, p := range byRest[:int(int64(replicas)-given)] {
		extra[p.region]++
	}
	var out []RegionTarget
	for _, p := range parts {
		if n := p.whole + extra[p.region]; n > 0 {
			out = append(out, RegionTarget{p.region, n})
		}
	}
	return out
}

// sortedRegions lists the regions of shares, the largest share first, then by name.
func sortedRegions(shares map[string]float64) []string {
	regions := make([]string, 0, len(shares))
	for r := range shares {
		regions = append(regions, r)
	}
	slices.SortFunc(regions, func(a, b string) int {
		if c := cmp.Compare(shares[b], shares[a]); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	return regions
}

// RegionExcess is, for each home region in have (replicas running by HomeRegion), how many
// more replicas it has than its share of replicas; far from every region ("") counts as
// most. Fewer replicas are taken from the largest excess first.
func RegionExcess(shares map[string]float64, replicas int32, have map[string]int64) map[string]int64 {
	excess := make(map[string]int64, len(have))
	for home, n := range have {
		excess[home] = n
	}
	for _, t := range RegionTargets(shares, replicas) {
		excess[t.Region] = have[t.Region] - t.Replicas
	}
	excess[""] = math.MaxInt64
	return excess
}

// HomeRegion is the region of the demand's shares that a cluster in region serves: the region
// itself when it has a share, else the near one with the largest share (the first by name on
// a tie), else none.
func HomeRegion(region string, shares map[string]float64) string {
	if _, ok := shares[region]; ok {
		return region
	}
	home := ""
	for r, share := range shares {
		if Near(region, r) && (home == "" || share > shares[home] || share == shares[home] && r < home) {
			home = r
		}
	}
	return home
}
