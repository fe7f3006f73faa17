package options

import (
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/navarkos/navarkos/internal/provider/local"
)

// TestLocalMemberFlags: the defaults are the light profile; each flag turns one lightening
// off, and a GOGC outside 1 to 1000 is refused by name.
func TestLocalMemberFlags(t *testing.T) {
	tests := []struct {
		args []string
		want local.MemberProfile
		err  string
	}{
		{nil, local.MemberProfile{GOGC: local.DefaultMemberGOGC}, ""},
		{[]string{"--local-member-gogc=100", "--local-member-leader-election", "--local-member-all-controllers"},
			local.MemberProfile{GOGC: 100, LeaderElection: true, AllControllers: true}, ""},
		{[]string{"--local-member-gogc=0"}, local.MemberProfile{}, "--local-member-gogc must be between 1 and 1000, not 0"},
		{[]string{"--local-member-gogc=-1"}, local.MemberProfile{}, "--local-member-gogc must be between 1 and 1000"},
		{[]string{"--local-member-gogc=5000"}, local.MemberProfile{}, "--local-member-gogc must be between 1 and 1000"},
	}
	for _, tt := range tests {
		var l LocalMembers
		fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
		l.AddFlags(fs)
		if err := fs.Parse(tt.args); err != nil {
			t.Fatalf("%v: %v", tt.args, err)
		}
		got, err := l.Options()
		switch {
		case tt.err == "" && err != nil:
			t.Errorf("%v: %v", tt.args, err)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("%v: error %v, want %q", tt.args, err, tt.err)
		case got != tt.want:
			t.Errorf("%v: %+v, want %+v", tt.args, got, tt.want)
		}
	}
}
