package bookanchors

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var anchorLine = regexp.MustCompile(`^\s*// ANCHOR(_END)?: (\S+)\s*$`)

// TestAnchorsArePairedAndNonEmpty checks every Go file under cmd/: each
// "// ANCHOR: name" has one matching "// ANCHOR_END: name" after it, names
// are unique per file, and the lines between hold some code.
func TestAnchorsArePairedAndNonEmpty(t *testing.T) {
	files, err := filepath.Glob("../../cmd/*/*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no files under ../../cmd (err %v)", err)
	}
	total := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		open := map[string]int{} // name -> line of ANCHOR
		content := map[string]bool{}
		seen := map[string]bool{}
		for i, line := range strings.Split(string(data), "\n") {
			m := anchorLine.FindStringSubmatch(line)
			if m == nil {
				for name := range open {
					content[name] = content[name] || strings.TrimSpace(line) != ""
				}
				continue
			}
			name, end := m[2], m[1] != ""
			switch {
			case !end && seen[name]:
				t.Errorf("%s:%d: anchor %q used twice", f, i+1, name)
			case !end:
				open[name], seen[name] = i+1, true
				total++
			case end && open[name] == 0:
				t.Errorf("%s:%d: ANCHOR_END %q without ANCHOR", f, i+1, name)
			default:
				if !content[name] {
					t.Errorf("%s:%d: anchor %q is empty", f, open[name], name)
				}
				delete(open, name)
			}
		}
		for name, line := range open {
			t.Errorf("%s:%d: anchor %q has no ANCHOR_END", f, line, name)
		}
	}
	if total == 0 {
		t.Error("no anchors found")
	}
}
