package docs

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/navarkos/navarkos/internal/testenv"
)

// document is one Markdown file: its path relative to the repository, and its lines.
type document struct {
	path  string
	lines []string
}

// documents are README.md and every document in docs/.
func documents(t *testing.T) []document {
	t.Helper()
	root := testenv.RepoRoot()
	paths := []string{"README.md"}
	found, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range found {
		paths = append(paths, strings.TrimPrefix(f, root+"/"))
	}
	if len(paths) < 10 {
		t.Fatalf("found %d documents (%v); expected README.md and docs/", len(paths), paths)
	}
	var out []document
	for _, p := range paths {
		data, err := os.ReadFile(filepath.Join(root, p))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, document{path: p, lines: strings.Split(string(data), "\n")})
	}
	return out
}

// block is a fenced code block: its info string (sh, yaml, ...) and its lines.
type block struct {
	info  string
	line  int // of its first line, from 1
	lines []string
}

// blocks are the document's fenced code blocks.
func (d document) blocks() []block {
	var out []block
	var open *block
	for i, l := range d.lines {
		trimmed := strings.TrimSpace(l)
		switch {
		case open == nil && strings.HasPrefix(trimmed, "```"):
			open = &block{info: strings.TrimPrefix(trimmed, "```"), line: i + 2}
		case open != nil && trimmed == "```":
			out = append(out, *open)
			open = nil
		case open != nil:
			open.lines = append(open.lines, l)
		}
	}
	return out
}

// prose is the document's lines outside code blocks, by line number from 1.
func (d document) prose() map[int]string {
	out := map[int]string{}
	fenced := false
	for i, l := range d.lines {
		if strings.HasPrefix(strings.TrimSpace(l), "```") {
			fenced = !fenced
			continue
		}
		if !fenced {
			out[i+1] = l
		}
	}
	return out
}

var codeSpan = regexp.MustCompile("`([^`]+)`")

// spans are the inline code spans of the document's prose, with their line numbers.
func (d document) spans() []located {
	var out []located
	for n, l := range d.prose() {
		for _, m := range codeSpan.FindAllStringSubmatch(l, -1) {
			out = append(out, located{n, m[1]})
		}
	}
	return out
}

// located is a piece of a document with its line number.
type located struct {
	line int
	text string
}

// anchors are the GitHub anchors of the document's headings.
func (d document) anchors() map[string]bool {
	out := map[string]bool{}
	seen := map[string]int{}
	for _, l := range d.prose() {
		heading, ok := strings.CutPrefix(l, "#")
		if !ok {
			continue
		}
		slug := slugOf(strings.TrimSpace(strings.TrimLeft(heading, "#")))
		if n := seen[slug]; n > 0 {
			out[slug+"-"+strconv.Itoa(n)] = true
		} else {
			out[slug] = true
		}
		seen[slug]++
	}
	return out
}

// slugOf is GitHub's anchor of a heading: lower case, letters, digits, '-' and '_' kept,
// spaces made '-', the rest dropped.
func slugOf(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_':
			b.WriteRune(r)
		case r == ' ':
			b.WriteRune('-')
		}
	}
	return b.String()
}

var link = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// TestLinksLeadSomewhere: every relative link of README.md and docs/ names a file that
// exists, and every anchor a heading of its document; README.md links every document.
func TestLinksLeadSomewhere(t *testing.T) {
	root := testenv.RepoRoot()
	docs := documents(t)
	anchors := map[string]map[string]bool{}
	for _, d := range docs {
		anchors[d.path] = d.anchors()
	}
	checked := 0
	unlinked := map[string]bool{}
	for _, d := range docs[1:] {
		unlinked[d.path] = true
	}
	for _, d := range docs {
		for n, l := range d.prose() {
			for _, m := range link.FindAllStringSubmatch(l, -1) {
				if d.path == "README.md" {
					delete(unlinked, strings.SplitN(m[1], "#", 2)[0])
				}
				if problem := checkLink(root, d.path, m[1], anchors); problem != "" {
					t.Errorf("%s:%d: link %s: %s", d.path, n, m[1], problem)
				}
				checked++
			}
		}
	}
	if checked < 20 {
		t.Errorf("checked %d links; the documents have more", checked)
	}
	for path := range unlinked {
		t.Errorf("README.md does not link %s", path)
	}
}

// checkLink says what is wrong with a link from the document at from; "" when nothing is.
func checkLink(root, from, target string, anchors map[string]map[string]bool) string {
	if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
		return ""
	}
	file, anchor, _ := strings.Cut(target, "#")
	path := from
	if file != "" {
		path = filepath.Clean(filepath.Join(filepath.Dir(from), file))
		if _, err := os.Stat(filepath.Join(root, path)); err != nil {
			return "no such file " + path
		}
	}
	if anchor == "" {
		return ""
	}
	known, ok := anchors[path]
	if !ok {
		data, err := os.ReadFile(filepath.Join(root, path))
		if err != nil || !strings.HasSuffix(path, ".md") {
			return "an anchor in " + path + ", which is not a Markdown document"
		}
		known = document{path: path, lines: strings.Split(string(data), "\n")}.anchors()
		anchors[path] = known
	}
	if !known[anchor] {
		return "no heading " + path + "#" + anchor
	}
	return ""
}
