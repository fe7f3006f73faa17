package v1alpha1

import (
	"fmt"
	"os"
	"regexp"
	"testing"
	"time"
)

// TestDurationBoundsMatchTheCRDRules: the bounds Parse applies to an object stored before the
// API checked durations are the ones the CRDs' CEL rules enforce today.
func TestDurationBoundsMatchTheCRDRules(t *testing.T) {
	short := func(d time.Duration) string { // as the rules write them: "1h", not "1h0m0s"
		switch {
		case d == 0:
			return "0s"
		case d%time.Hour == 0:
			return fmt.Sprintf("%dh", d/time.Hour)
		case d%time.Minute == 0:
			return fmt.Sprintf("%dm", d/time.Minute)
		}
		return d.String()
	}
	for _, tt := range []struct {
		crd, field string
		lo, hi     time.Duration
	}{
		{"globalingresses", "interval", MinHealthInterval, MaxHealthInterval},
		{"placements", "failoverToleration", MinFailoverToleration, MaxFailoverToleration},
		{"clusterplacements", "failoverToleration", MinFailoverToleration, MaxFailoverToleration},
		{"clusterpools", "idleTTL", MinIdleTTL, MaxIdleTTL},
		{"clusterpools", "timeToCapacity.create", 0, MaxTimeToCapacity},
	} {
		raw, err := os.ReadFile("../../config/crd/bases/n6s.io_" + tt.crd + ".yaml")
		if err != nil {
			t.Fatal(err)
		}
		// The field's message, then its rule, as controller-gen writes them.
		want := `message: ` + regexp.QuoteMeta(tt.field) + `[\s\S]{0,400}?` +
			regexp.QuoteMeta("duration(self) >= duration('"+short(tt.lo)+"') && duration(self) <= duration('"+short(tt.hi)+"')")
		if !regexp.MustCompile(want).Match(raw) {
			t.Errorf("%s: no rule for %s between %s and %s", tt.crd, tt.field, short(tt.lo), short(tt.hi))
		}
	}
}
