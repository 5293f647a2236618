package cmdline

import (
	"flag"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestErrorsNameTheCommandAndPrintUsage(t *testing.T) {
	var out strings.Builder
	f := New("demo", &out)
	n := f.Int("n", 1, "how many")
	if err := f.Parse([]string{"-n", "3", "stray"}); err == nil || !strings.Contains(err.Error(), `"stray"`) {
		t.Fatalf("a positional argument was accepted: %v", err)
	}
	if *n != 3 {
		t.Errorf("-n = %d, want 3", *n)
	}
	if s := out.String(); !strings.Contains(s, `demo: unexpected argument "stray"`) || !strings.Contains(s, "-n int") {
		t.Errorf("want the problem and the usage, got:\n%s", s)
	}
	out.Reset()
	if err := f.Bad("-n must be >= 5, got %d", *n); err == nil || !strings.HasPrefix(out.String(), "demo: -n must be >= 5, got 3\n") {
		t.Errorf("Bad printed %q, returned %v", out.String(), err)
	}
}

func TestStatus(t *testing.T) {
	var out strings.Builder
	f := New("demo", &out)
	if got := Status(f.Parse([]string{"-h"})); got != 0 {
		t.Errorf("-h: status %d, want 0", got)
	}
	if got := Status(f.Parse([]string{"-nope"})); got != 2 {
		t.Errorf("unknown flag: status %d, want 2", got)
	}
	if got := Status(flag.ErrHelp); got != 0 {
		t.Errorf("ErrHelp: status %d, want 0", got)
	}
}

func TestOutDirMustExist(t *testing.T) {
	var out strings.Builder
	f := New("demo", &out)
	var dir string
	f.OutDirVar(&dir, "where to write")
	if err := f.Parse(nil); err != nil || dir != "" {
		t.Fatalf("no -out: %v, dir %q", err, dir)
	}
	missing := filepath.Join(t.TempDir(), "missing")
	err := f.Parse([]string{"-out", missing})
	if err == nil || Status(err) != 2 {
		t.Fatalf("-out %s: accepted (%v)", missing, err)
	}
	if s := out.String(); !strings.HasPrefix(s, "demo: -out "+missing+": want an existing directory\n") || !strings.Contains(s, "-out string") {
		t.Errorf("want the problem and the usage, got:\n%s", s)
	}
	here := t.TempDir()
	if err := f.Parse([]string{"-out", here}); err != nil || dir != here {
		t.Errorf("-out %s: %v, dir %q", here, err, dir)
	}
}

func TestOneOfNamesTheChoices(t *testing.T) {
	choices := map[string]int{"b": 2, "a": 1}
	if got := strings.Join(Names(choices), ","); got != "a,b" {
		t.Errorf("Names = %s, want a,b (sorted)", got)
	}
	if v, err := OneOf("pick", choices, "b"); err != nil || v != 2 {
		t.Errorf("OneOf(b) = %d, %v", v, err)
	}
	for _, bad := range []string{"", "c"} {
		_, err := OneOf("pick", choices, bad)
		if want := `-pick must be one of a, b, got "` + bad + `"`; err == nil || err.Error() != want {
			t.Errorf("OneOf(%q): %v, want %s", bad, err, want)
		}
	}
}

func TestBoundedFlagsAreCheckedInTheOrderDefined(t *testing.T) {
	var out strings.Builder
	parse := func(args ...string) error {
		f := New("demo", &out)
		var n, m int
		var d time.Duration
		var dir string
		f.IntAtLeastVar(&n, "n", 1, 1, "")
		f.PositiveDurationVar(&d, "d", time.Second, "")
		f.IntAtLeastVar(&m, "m", 0, 0, "")
		f.OutDirVar(&dir, "")
		return f.Parse(args)
	}
	if err := parse(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-n", "0"}, "-n must be >= 1, got 0"},
		{[]string{"-d", "0s", "-n", "0"}, "-n must be >= 1, got 0"},
		{[]string{"-d", "-1s", "-m", "-1"}, "-d must be > 0, got -1s"},
		{[]string{"-m", "-2", "-out", "/nonexistent-dir"}, "-m must be >= 0, got -2"},
		{[]string{"-out", "/nonexistent-dir"}, "-out /nonexistent-dir: want an existing directory"},
	} {
		out.Reset()
		err := parse(c.args...)
		if err == nil || err.Error() != c.want || !strings.HasPrefix(out.String(), "demo: "+c.want+"\n") {
			t.Errorf("%v: got %v, printed %q; want %s", c.args, err, out.String(), c.want)
		}
	}
}
