package cbc

// compatc_test.go -- the pure-Go VM against `compatc` itself: every shipped
// policy compiled to .cbc by compatc, every pair of the example facts next
// to it, `compatc check --json` against Result.JSON.  Needs a built
// compatc: $DEVCOMPAT_COMPATC, or the build tree's (../../../build*/compatc).

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func compatcPath(t testing.TB) string {
	if p := os.Getenv("DEVCOMPAT_COMPATC"); p != "" {
		return p
	}
	matches, _ := filepath.Glob("../../../build*/compatc")
	for _, m := range matches {
		if fi, err := os.Stat(m); err == nil && fi.Mode().IsRegular() {
			abs, _ := filepath.Abs(m)
			return abs
		}
	}
	t.Skip("no compatc: set DEVCOMPAT_COMPATC or build in ../../../build")
	return ""
}

const policiesDir = "../../../policies"

// compile writes policy src as a .cbc into dir with compatc.
func compile(t testing.TB, compatc, src, dir string) string {
	out := filepath.Join(dir, strings.TrimSuffix(filepath.Base(src), ".compat")+".cbc")
	cmd := exec.Command(compatc, "compile", src, "-o", out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("compatc compile %s: %v\n%s", src, err, msg)
	}
	return out
}

// factsOf reads a facts file through compatc (any format it reads).
func factsOf(t testing.TB, compatc, file string) (map[string]string, bool) {
	out, err := exec.Command(compatc, "facts", "--format=json", file).Output()
	if err != nil {
		return nil, false
	}
	var m map[string]string
	if json.Unmarshal(out, &m) != nil {
		return nil, false
	}
	return m, true
}

func TestShippedPoliciesAgainstCompatc(t *testing.T) {
	compatc := compatcPath(t)
	dir := t.TempDir()
	policies, _ := filepath.Glob(filepath.Join(policiesDir, "*.compat"))
	if len(policies) == 0 {
		t.Fatal("no shipped policies found")
	}
	checked := 0
	for _, src := range policies {
		base := strings.TrimSuffix(filepath.Base(src), ".compat")
		cbcFile := compile(t, compatc, src, dir)
		pol, err := ReadFile(cbcFile)
		if err != nil {
			t.Fatalf("%s: %v", cbcFile, err)
		}
		var devices []string
		for _, ext := range []string{"kv", "yaml", "json"} {
			m, _ := filepath.Glob(filepath.Join(policiesDir, base+"-*."+ext))
			devices = append(devices, m...)
		}
		for _, s := range devices {
			sf, ok := factsOf(t, compatc, s)
			if !ok {
				continue
			}
			for _, tg := range devices {
				tf, ok := factsOf(t, compatc, tg)
				if !ok {
					continue
				}
				cmd := exec.Command(compatc, "check", "--policy", cbcFile, "--json", s, tg)
				var stdout bytes.Buffer
				cmd.Stdout = &stdout
				_ = cmd.Run()
				want := strings.TrimSuffix(stdout.String(), "\n")
				res, err := pol.CheckFacts(sf, tf)
				if err != nil {
					t.Fatalf("%s %s: %v", s, tg, err)
				}
				got := res.JSONNamed(tg)
				if got != want {
					t.Errorf("%s: %s -> %s:\n C: %s\nGo: %s", base, s, tg, want, got)
				}
				checked++
			}
		}
	}
	t.Logf("%d pairs checked against compatc", checked)
	if checked == 0 {
		t.Fatal("no pairs checked")
	}
}
