package devcompat_test

// targets_test.go -- FindTargets gives what `compatc targets --json` prints
// for every shipped policy and each of its example sources: the targets,
// their blocks, facts, open facts, whether each is decided, and the count
// of combinations tried.

import (
	"encoding/json"
	"errors"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"devcompat"
)

type jsonTargets struct {
	Targets []struct {
		Block     int               `json:"block"`
		BlockName *string           `json:"block_name"`
		Facts     map[string]string `json:"facts"`
		Open      map[string]struct {
			Constraint *string `json:"constraint"`
			Requires   *string `json:"requires"`
		} `json:"open"`
		Decided bool `json:"decided"`
	} `json:"targets"`
	Limited bool `json:"limited"`
	Tried   int  `json:"tried"`
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// eachShippedSource calls fn with every shipped policy and each of its
// example sources (policies/NAME-src-*).
func eachShippedSource(t *testing.T, fn func(file string, pol *devcompat.Policy, source string)) {
	policies, _ := filepath.Glob("../../policies/*.compat")
	for _, file := range policies {
		pol, err := devcompat.ReadPolicy(file)
		if err != nil {
			t.Fatal(err)
		}
		sources, _ := filepath.Glob(strings.TrimSuffix(file, ".compat") + "-src-*")
		for _, s := range sources {
			fn(file, pol, s)
		}
	}
}

func TestFindTargetsAsCompatc(t *testing.T) {
	compatc := compatcBin(t)
	compared := 0
	eachShippedSource(t, func(file string, pol *devcompat.Policy, s string) {
		out, cerr := exec.Command(compatc, "targets", "--policy", file, s, "--json").Output()
		src := readFacts(t, s)
		got, err := pol.FindTargets(src, 0)
		var x *exec.ExitError
		if errors.As(cerr, &x) && x.ExitCode() == 2 {
			if err == nil {
				t.Errorf("%s %s: compatc fails, FindTargets does not", file, s)
			}
			return
		}
		if err != nil {
			t.Fatalf("%s %s: %v", file, s, err)
		}
		var want jsonTargets
		if err := json.Unmarshal(out, &want); err != nil {
			t.Fatalf("%s %s: %v", file, s, err)
		}
		if got.Limited != want.Limited || got.Tried != want.Tried ||
			len(got.Targets) != len(want.Targets) {
			t.Errorf("%s %s: limited %v tried %d, %d targets; compatc %v %d %d", file, s,
				got.Limited, got.Tried, len(got.Targets), want.Limited, want.Tried,
				len(want.Targets))
			return
		}
		for i, w := range want.Targets {
			g := got.Targets[i]
			open := map[string][2]string{}
			for _, o := range g.Open {
				open[o.Fact] = [2]string{o.Constraint, o.Residue}
			}
			wopen := map[string][2]string{}
			for f, o := range w.Open {
				wopen[f] = [2]string{deref(o.Constraint), deref(o.Requires)}
			}
			if g.Block != w.Block || g.BlockName != deref(w.BlockName) ||
				!reflect.DeepEqual(g.Facts, w.Facts) || !reflect.DeepEqual(open, wopen) ||
				g.Decided != w.Decided {
				t.Errorf("%s %s: target %d: %+v\ncompatc %+v", file, s, i, g, w)
			}
			compared++
		}
	})
	if compared == 0 {
		t.Fatal("no target compared")
	}
	t.Logf("%d targets compared", compared)
}
