package devcompat_test

// policyset_test.go -- a directory of policies: the one whose SELF a target
// satisfies judges it; none, several and broken files are errors naming
// the files, as `compatc check --policy-dir` says.

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"devcompat"
)

// policyDir is a temporary directory holding the shipped policies named.
func policyDir(t *testing.T, names ...string) string {
	dir := t.TempDir()
	for _, n := range names {
		text, err := os.ReadFile("../../policies/" + n)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, n), text, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func readFacts(t *testing.T, path string) *devcompat.Facts {
	t.Helper()
	f, err := devcompat.ReadFacts(path)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestPolicySet(t *testing.T) {
	shipped, _ := filepath.Glob("../../policies/*.compat")
	var names []string
	for _, p := range shipped {
		names = append(names, filepath.Base(p))
	}
	dir := policyDir(t, names...)
	// one of them compiled: a .cbc is a member like a source file
	pol, err := devcompat.ReadPolicy(filepath.Join(dir, "device-model.compat"))
	if err != nil {
		t.Fatal(err)
	}
	data, err := pol.Save()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(dir, "device-model.compat"),
		filepath.Join(dir, "device-model.txt")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "device-model.cbc"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "zz-broken.compat"), []byte("garbage {\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "zz-damaged.cbc"), data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	set, err := devcompat.ReadPolicySet(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer set.Close()
	if len(set.Entries) != len(names)+2 || len(set.Policies()) != len(names) ||
		len(set.Broken()) != 2 {
		t.Fatalf("%d entries, %d usable, %d broken", len(set.Entries), len(set.Policies()),
			len(set.Broken()))
	}
	for i, e := range set.Entries {
		if i > 0 && e.Path < set.Entries[i-1].Path {
			t.Errorf("not in name order: %s after %s", e.Path, set.Entries[i-1].Path)
		}
		if (e.Policy == nil) == (e.Err == nil) {
			t.Errorf("%s: policy %v, error %v", e.Path, e.Policy, e.Err)
		}
	}
	broken := set.Broken()
	if !errors.Is(broken[0].Err, devcompat.ErrPolicy) || len(broken[0].Diagnostics) == 0 ||
		!strings.Contains(broken[0].Err.Error(), "zz-broken.compat") {
		t.Errorf("a policy with errors: %v, %d diagnostics", broken[0].Err, len(broken[0].Diagnostics))
	}
	if !errors.Is(broken[1].Err, devcompat.ErrBytecode) || broken[1].Diagnostics != nil ||
		!strings.Contains(broken[1].Err.Error(), "zz-damaged.cbc") {
		t.Errorf("a damaged .cbc: %v", broken[1].Err)
	}

	// each shipped pair's target is judged by its own policy
	for _, c := range []struct{ policy, source, target string }{
		{"gvt-share.compat", "gvt-share-src-half.kv", "gvt-share-target.kv"},
		{"device-model.compat", "device-model-src-4gb.kv", "device-model-target.kv"},
		{"hisi-acc-vf.compat", "hisi-acc-vf-src-ok.kv", "hisi-acc-vf-target.kv"},
	} {
		src := readFacts(t, "../../policies/"+c.source)
		tgt := readFacts(t, "../../policies/"+c.target)
		p, err := set.Select(tgt)
		if err != nil {
			t.Fatalf("%s: %v", c.target, err)
		}
		own, err := devcompat.ReadPolicy("../../policies/" + c.policy)
		if err != nil {
			t.Fatal(err)
		}
		if p.Name() != own.Name() {
			t.Errorf("%s: judged by %s", c.target, p.Name())
		}
		res, err := set.CheckFacts(src, tgt)
		if err != nil || res.Verdict != devcompat.Compatible {
			t.Errorf("%s -> %s: %v %v", c.source, c.target, res, err)
		}
		// a policy of the set prepares and checks like any other
		ps, err := p.Prepare(src)
		if err != nil {
			t.Fatal(err)
		}
		pt, _ := p.Prepare(tgt)
		if r, err := p.Check(ps, pt); err != nil || r.JSON() != res.JSON() {
			t.Errorf("prepared: %v %v", r, err)
		}
		p.Close() // a set's policy: Close leaves it to the set
		if p.Name() == "" {
			t.Errorf("closed by its Close")
		}
	}

	// no policy describes it: the broken files are named
	other, _ := devcompat.NewFacts(map[string]string{"device_api": "vfio-ap"})
	_, err = set.Select(other)
	var e *devcompat.Error
	if !errors.As(err, &e) || !errors.Is(err, devcompat.ErrNoPolicy) ||
		!strings.Contains(e.Message, "zz-broken.compat") || !strings.Contains(e.Message, "zz-damaged.cbc") {
		t.Errorf("no policy: %v", err)
	}
	if _, err := set.CheckFacts(other, other); !errors.Is(err, devcompat.ErrNoPolicy) {
		t.Errorf("CheckFacts with no policy: %v", err)
	}
}

func TestPolicySetAmbiguous(t *testing.T) {
	dir := policyDir(t, "gvt-share.compat")
	text, _ := os.ReadFile(filepath.Join(dir, "gvt-share.compat"))
	if err := os.WriteFile(filepath.Join(dir, "gvt-copy.compat"), text, 0o644); err != nil {
		t.Fatal(err)
	}
	set, err := devcompat.ReadPolicySet(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = set.Select(readFacts(t, "../../policies/gvt-share-target.kv"))
	var e *devcompat.Error
	if !errors.As(err, &e) || !errors.Is(err, devcompat.ErrAmbiguousPolicy) ||
		!strings.Contains(e.Message, "gvt-copy.compat") || !strings.Contains(e.Message, "gvt-share.compat") {
		t.Errorf("ambiguous: %v", err)
	}
	if _, err := devcompat.ReadPolicySet(filepath.Join(dir, "none")); !errors.Is(err, devcompat.ErrIO) {
		t.Errorf("a missing directory: %v", err)
	}
	set.Close()
	set.Close() // twice is harmless
}

// A set's policies stay usable while prepared facts of theirs live,
// whatever becomes of the set's own variable.
func TestPolicySetKeptAlive(t *testing.T) {
	set, err := devcompat.ReadPolicySet(policyDir(t, "gvt-share.compat"))
	if err != nil {
		t.Fatal(err)
	}
	tgt := readFacts(t, "../../policies/gvt-share-target.kv")
	pol, err := set.Select(tgt)
	if err != nil {
		t.Fatal(err)
	}
	set = nil
	pt, err := pol.Prepare(tgt)
	if err != nil {
		t.Fatal(err)
	}
	pol = nil
	for i := 0; i < 3; i++ {
		runtime.GC()
	}
	ps, _ := pt.Policy().Prepare(readFacts(t, "../../policies/gvt-share-src-half.kv"))
	if r, err := pt.Policy().Check(ps, pt); err != nil || r.Verdict != devcompat.Compatible {
		t.Errorf("after GC: %v %v", r, err)
	}
}

// Goroutines select and check with one set at once (go test -race).
func TestPolicySetGoroutines(t *testing.T) {
	set, err := devcompat.ReadPolicySet("../../policies")
	if err != nil {
		t.Fatal(err)
	}
	src := readFacts(t, "../../policies/gvt-share-src-half.kv")
	tgt := readFacts(t, "../../policies/gvt-share-target.kv")
	want, err := set.CheckFacts(src, tgt)
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan string, 4)
	for g := 0; g < 4; g++ {
		go func() {
			msg := ""
			for i := 0; i < 50 && msg == ""; i++ {
				if r, err := set.CheckFacts(src, tgt); err != nil || r.JSON() != want.JSON() {
					msg = fmt.Sprint(r, err)
				}
			}
			errs <- msg
		}()
	}
	for g := 0; g < 4; g++ {
		if msg := <-errs; msg != "" {
			t.Error(msg)
		}
	}
}
