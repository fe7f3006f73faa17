package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/navarkos/navarkos/internal/testenv"
)

// tourStep is one command of the README's tour, with the output the README shows under it
// (its "# " lines) and the comment at its end.
type tourStep struct {
	command, comment string
	shown            []string
}

// readmeTour reads the commands of the README's tour: the shell block of "A short tour".
func readmeTour(t *testing.T) (setup string, steps []tourStep) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(data), "\n## A short tour\n")
	_, block, ok2 := strings.Cut(section, "```sh\n")
	block, _, ok3 := strings.Cut(block, "```")
	if !ok || !ok2 || !ok3 {
		t.Fatal("README.md has no shell block under \"## A short tour\"")
	}
	for _, line := range strings.Split(block, "\n") {
		switch {
		case strings.TrimSpace(line) == "":
		case strings.HasPrefix(line, "export "):
			setup = line
		case strings.HasPrefix(line, "# "):
			if len(steps) == 0 {
				t.Fatalf("README tour: output %q before any command", line)
			}
			steps[len(steps)-1].shown = append(steps[len(steps)-1].shown, strings.TrimPrefix(line, "# "))
		default:
			command, comment := line, ""
			if at := trailingComment.FindStringIndex(line); at != nil {
				command, comment = line[:at[0]], line[at[1]:]
			}
			steps = append(steps, tourStep{command: strings.TrimSpace(command), comment: strings.TrimSpace(comment)})
		}
	}
	if setup == "" || len(steps) < 8 {
		t.Fatalf("README tour: %d commands and setup %q; expected an export line and the tour", len(steps), setup)
	}
	return setup, steps
}

// trailingComment is where a shell comment starts after a command.
var trailingComment = regexp.MustCompile(`\s+#\s`)

// TestTheREADMETour runs the README's tour as a newcomer would, in order, against a local
// fleet started by `navarkos up` in a home of its own: each command succeeds, each table it
// shows comes with the README's columns and rows (heartbeats aside), a watch ends in the
// state its comment names, and each patch of the cluster takes effect before the next.
func TestTheREADMETour(t *testing.T) {
	setup, steps := readmeTour(t)
	home := t.TempDir()
	startUp(t, filepath.Join(home, ".navarkos"))
	work := t.TempDir()
	for _, link := range [][2]string{{testenv.BinDir(), "bin"}, {filepath.Join(testenv.RepoRoot(), "examples"), "examples"}} {
		if err := os.Symlink(link[0], filepath.Join(work, link[1])); err != nil {
			t.Fatal(err)
		}
	}
	shell := func(command string) (string, error) {
		cmd := exec.Command("bash", "-c", setup+"\n"+command)
		cmd.Dir, cmd.Env = work, append(os.Environ(), "HOME="+home, "PWD="+work)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	for _, s := range steps {
		t.Logf("$ %s", s.command)
		command, watch := strings.CutSuffix(s.command, " -w")
		NewWithT(t).Eventually(func() string {
			out, err := shell(command)
			if problem := s.check(out, err, watch); problem != "" {
				return problem + "; output:\n" + out
			}
			return ""
		}).WithTimeout(clusterTimeout).WithPolling(poll).Should(BeEmpty(), "README tour: `%s`", s.command)
		if strings.Contains(command, "patch cluster") {
			awaitSettled(t, shell, strings.Fields(command)[3])
		}
	}
}

// tourStates are the states a tour comment may say a command ends in.
var tourStates = []string{"Ready", "Running", "Hibernated"}

// check says why a step's output is not yet what the README says; "" when it is.
func (s tourStep) check(out string, err error, watch bool) string {
	if err != nil {
		return fmt.Sprintf("failed: %v", err)
	}
	if len(s.shown) > 0 {
		if problem := sameTable(s.shown, out); problem != "" {
			return problem
		}
	}
	state := ""
	for _, w := range strings.FieldsFunc(s.comment, func(r rune) bool { return r == ' ' || r == ',' }) {
		if slices.Contains(tourStates, w) {
			state = w
		}
	}
	if state != "" || watch {
		rows := strings.Split(strings.TrimSpace(out), "\n")[1:]
		if len(rows) == 0 {
			return "no rows yet"
		}
		for _, r := range rows {
			if !strings.Contains(r, state) {
				return fmt.Sprintf("row %q is not %s yet", r, state)
			}
		}
	}
	return ""
}

// columnGap splits a table's line into its columns.
var columnGap = regexp.MustCompile(`\s{2,}`)

// volatileColumns change from one run to the next.
var volatileColumns = []string{"HEARTBEAT"}

// sameTable says how out differs from the table the README shows: other columns, or a row
// the README shows that out lacks; "" when none.
func sameTable(shown []string, out string) string {
	got := strings.Split(strings.TrimSpace(out), "\n")
	header := columnGap.Split(strings.TrimSpace(shown[0]), -1)
	if have := columnGap.Split(strings.TrimSpace(got[0]), -1); !slices.Equal(have, header) {
		return fmt.Sprintf("columns %q, the README shows %q", have, header)
	}
	for _, row := range shown[1:] {
		want := columnGap.Split(strings.TrimSpace(row), -1)
		if !slices.ContainsFunc(got[1:], func(line string) bool { return sameRow(header, want, columnGap.Split(strings.TrimSpace(line), -1)) }) {
			return fmt.Sprintf("no row %q", row)
		}
	}
	return ""
}

func sameRow(header, want, have []string) bool {
	if len(want) != len(have) || len(want) != len(header) {
		return false
	}
	for i := range want {
		if want[i] != have[i] && !slices.Contains(volatileColumns, header[i]) {
			return false
		}
	}
	return true
}

// awaitSettled waits until the cluster's status is of its latest spec: Ready at its nodes
// when Online, Hibernated when so.
func awaitSettled(t *testing.T, shell func(string) (string, error), cluster string) {
	t.Helper()
	query := "kubectl get cluster " + cluster + " -o jsonpath='{.metadata.generation} {.status.observedGeneration} {.spec.desiredState} {.status.phase} {.spec.nodes} {.status.nodes}'"
	NewWithT(t).Eventually(func() string {
		out, err := shell(query)
		f := strings.Fields(out)
		if err == nil && len(f) >= 5 && f[0] == f[1] &&
			((f[2] == "Online" && f[3] == "Ready" && len(f) == 6 && f[4] == f[5]) || (f[2] == "Hibernated" && f[3] == "Hibernated")) {
			return ""
		}
		return fmt.Sprintf("generation, observed generation, desired state, phase, nodes wanted and ready: %s (%v)", out, err)
	}).WithTimeout(clusterTimeout).WithPolling(poll).Should(BeEmpty(), "README tour: cluster %s settling after the patch", cluster)
}
