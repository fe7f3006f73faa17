package options

import (
	"fmt"

	"github.com/spf13/pflag"

	"github.com/navarkos/navarkos/internal/provider/local"
)

// maxMemberGOGC bounds --local-member-gogc: beyond it a component's heap may grow tenfold
// between collections, the opposite of a light member.
const maxMemberGOGC = 1000

// LocalMembers are the flags of the local provider's member profile, shared by `up` and
// `controller`. They apply to the members created from then on.
type LocalMembers struct {
	Profile local.MemberProfile
}

// AddFlags registers the member profile flags.
func (l *LocalMembers) AddFlags(fs *pflag.FlagSet) {
	fs.IntVar(&l.Profile.GOGC, "local-member-gogc", local.DefaultMemberGOGC, "the Go garbage collector's target (GOGC) of the components of each new local member; 100 is Go's default")
	fs.BoolVar(&l.Profile.LeaderElection, "local-member-leader-election", false, "let the kube-controller-manager and kube-scheduler of each new local member elect a leader, renewing a Lease every 2 s")
	fs.BoolVar(&l.Profile.AllControllers, "local-member-all-controllers", false, "run every default controller in the kube-controller-manager of each new local member, not only those its workloads need")
}

// Options checks the flags and returns the profile.
func (l *LocalMembers) Options() (local.MemberProfile, error) {
	if l.Profile.GOGC < 1 || l.Profile.GOGC > maxMemberGOGC {
		return local.MemberProfile{}, fmt.Errorf("--local-member-gogc must be between 1 and %d, not %d", maxMemberGOGC, l.Profile.GOGC)
	}
	return l.Profile, nil
}
