package options

import (
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

func TestPlannerFlags(t *testing.T) {
	tests := []struct {
		args []string
		err  string
	}{
		{nil, ""},
		{[]string{"--disruption-cost=0.5", "--consolidation-threshold=0.3", "--disruption-budget=2"}, ""},
		{[]string{"--disruption-cost=0"}, ""},
		{[]string{"--disruption-cost=-1"}, "--disruption-cost must be a price of 0 or more"},
		{[]string{"--disruption-cost=NaN"}, "--disruption-cost must be a price of 0 or more"},
		{[]string{"--consolidation-threshold=1.5"}, "--consolidation-threshold must be between 0 and 1"},
		{[]string{"--disruption-budget=0"}, "--disruption-budget must be at least 1"},
		{[]string{"--max-moves-per-hour=0"}, ""},
		{[]string{"--max-moves-per-hour=-1"}, "--max-moves-per-hour must be 0 or more"},
		{[]string{"--locality-threshold=0"}, ""},
		{[]string{"--forecast"}, ""},
		{[]string{"--locality-threshold=1"}, ""},
		{[]string{"--locality-threshold=1.5"}, "--locality-threshold must be between 0 and 1"},
		{[]string{"--locality-threshold=NaN"}, "--locality-threshold must be between 0 and 1"},
	}
	for _, tt := range tests {
		var p Planner
		fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
		p.AddFlags(fs)
		if err := fs.Parse(tt.args); err != nil {
			t.Fatalf("%v: %v", tt.args, err)
		}
		opts, err := p.Options()
		switch {
		case tt.err == "" && err != nil:
			t.Errorf("%v: %v", tt.args, err)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("%v: error %v, want %q", tt.args, err, tt.err)
		case tt.err == "" && tt.args != nil && tt.args[0] == "--disruption-cost=0.5" && opts.Config.DisruptionCost != 0.5:
			t.Errorf("%v: disruption cost %g, want 0.5", tt.args, opts.Config.DisruptionCost)
		}
	}
}

func TestForecastFlag(t *testing.T) {
	var p Planner
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	p.AddFlags(fs)
	if err := fs.Parse([]string{"--forecast"}); err != nil {
		t.Fatal(err)
	}
	if opts, err := p.Options(); err != nil || !opts.Config.Forecast {
		t.Errorf("--forecast: %+v, %v; want the forecast on", opts.Config, err)
	}
}
