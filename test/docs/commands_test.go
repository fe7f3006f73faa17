package docs

import (
	"bufio"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/navarkos/navarkos/internal/testenv"
)

// command is one navarkos command as its help shows it: its subcommands and its flags, the
// global ones included.
type command struct {
	subcommands map[string]*command
	flags       map[string]bool
}

// helpTree walks `navarkos ... --help` from the root: the CLI's own word on what exists.
func helpTree(t *testing.T) *command {
	t.Helper()
	if err := testenv.RequireBinaries("navarkos"); err != nil {
		t.Fatal(err)
	}
	return helpOf(t, nil)
}

func helpOf(t *testing.T, path []string) *command {
	t.Helper()
	out, err := exec.Command(filepath.Join(testenv.BinDir(), "navarkos"), append(slices.Clone(path), "--help")...).Output()
	if err != nil {
		t.Fatalf("navarkos %s --help: %v", strings.Join(path, " "), err)
	}
	c := &command{subcommands: map[string]*command{}, flags: map[string]bool{}}
	section := ""
	scanner := bufio.NewScanner(strings.NewReader(string(out)))
	for scanner.Scan() {
		line := scanner.Text()
		if strings.HasSuffix(line, ":") && !strings.HasPrefix(line, " ") {
			section = line
			continue
		}
		fields := strings.Fields(line)
		switch {
		case len(fields) == 0:
		case section == "Available Commands:" && fields[0] != "help" && fields[0] != "completion":
			c.subcommands[fields[0]] = helpOf(t, append(slices.Clone(path), fields[0]))
		case section == "Flags:" || section == "Global Flags:":
			if m := flagName.FindStringSubmatch(line); m != nil {
				c.flags[m[1]] = true
			}
		}
	}
	return c
}

var flagName = regexp.MustCompile(`^\s+(?:-\w, )?--([\w-]+)`)

// invocation finds a navarkos command line: `navarkos` (or bin/navarkos) where a shell command
// starts, and what follows, up to the end of the shell command.
var invocation = regexp.MustCompile("(?:^|[;&|(])\\s*(?:(?:\\w+=\\S*|time)\\s+)*(?:\\S*(?:bin|BIN\\))/)?navarkos((?:[ \\t]+[^\\s|;&>#<`]+)*)")

// check says what in the words after `navarkos` does not exist: a subcommand where the
// command has only subcommands, or a flag; "" when all exist.
func (c *command) check(words []string) string {
	cur, path := c, "navarkos"
	for _, w := range words {
		if name, ok := strings.CutPrefix(w, "--"); ok {
			name, _, _ = strings.Cut(name, "=")
			if !cur.flags[name] {
				return "`" + path + "` has no flag --" + name
			}
			continue
		}
		if strings.HasPrefix(w, "-") {
			continue // a short flag, or a flag's negative value
		}
		if sub, ok := cur.subcommands[w]; ok {
			cur, path = sub, path+" "+w
			continue
		}
		if len(cur.subcommands) > 0 && len(cur.flags) > 0 && path == "navarkos" {
			return "navarkos has no command " + w
		}
	}
	return ""
}

// TestNamedCommandsAndFlagsExist: every navarkos command line in README.md and docs/, in
// code blocks and inline code, names commands and flags that `navarkos --help` shows; and
// every flag named alone in inline code is a flag of some navarkos command, or of a tool the
// same line names.
func TestNamedCommandsAndFlagsExist(t *testing.T) {
	root := helpTree(t)
	all := map[string]bool{}
	root.collectFlags(all)
	checked := 0
	for _, d := range documents(t) {
		var lines []located
		for _, b := range d.blocks() {
			for i, l := range b.lines {
				lines = append(lines, located{b.line + i, l})
			}
		}
		lines = append(lines, d.spans()...)
		for _, l := range lines {
			for _, m := range invocation.FindAllStringSubmatch(l.text, -1) {
				if problem := root.check(strings.Fields(m[1])); problem != "" {
					t.Errorf("%s:%d: %s (in %q)", d.path, l.line, problem, strings.TrimSpace(m[0]))
				}
				checked++
			}
		}
		for _, s := range d.spans() {
			if name, ok := strings.CutPrefix(s.text, "--"); ok && !strings.ContainsAny(name, " ") {
				name, _, _ = strings.Cut(name, "=")
				if !all[name] && !otherTool(d.prose()[s.line]) {
					t.Errorf("%s:%d: --%s is a flag of no navarkos command", d.path, s.line, name)
				}
			}
		}
	}
	if checked < 30 {
		t.Errorf("checked %d navarkos command lines; the documents have more", checked)
	}
}

func (c *command) collectFlags(into map[string]bool) {
	for f := range c.flags {
		into[f] = true
	}
	for _, sub := range c.subcommands {
		sub.collectFlags(into)
	}
}

// otherTools are the tools whose flags the documents name beside Navarkos's own.
var otherTools = []string{"ExternalDNS", "external-dns", "kube-apiserver", "kubectl", "go test", "helm", "kwok", "fnserver", "BIND", "etcd", "staticcheck"}

// otherTool reports whether a line names a tool other than navarkos, whose flags it may name.
func otherTool(line string) bool {
	return slices.ContainsFunc(otherTools, func(tool string) bool { return strings.Contains(line, tool) })
}
