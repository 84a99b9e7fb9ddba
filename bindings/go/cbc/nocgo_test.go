package cbc

// nocgo_test.go -- a Go program built with CGO_ENABLED=0 (cmd/cbccheck)
// checks pairs from a shipped policy compiled to .cbc, and says what
// `compatc check --json` says.

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestCgoFreeProgram(t *testing.T) {
	compatc := compatcPath(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "cbccheck")
	build := exec.Command("go", "build", "-o", bin, "../cmd/cbccheck")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build with CGO_ENABLED=0: %v\n%s", err, out)
	}
	// the binary links no C: no dynamic section, no libc
	if data, err := os.ReadFile(bin); err != nil || bytes.Contains(data, []byte("libc.so")) {
		t.Fatalf("cbccheck links libc (%v)", err)
	}
	cbcFile := compile(t, compatc, filepath.Join(policiesDir, "gvt-share.compat"), dir)
	devices, _ := filepath.Glob(filepath.Join(policiesDir, "gvt-share-*.kv"))
	if len(devices) < 2 {
		t.Fatal("no gvt-share example devices")
	}
	var jsons []string
	for _, d := range devices {
		out, err := exec.Command(compatc, "facts", "--format=json", d).Output()
		if err != nil {
			t.Fatalf("compatc facts %s: %v", d, err)
		}
		j := filepath.Join(dir, filepath.Base(d)+".json")
		if err := os.WriteFile(j, out, 0o644); err != nil {
			t.Fatal(err)
		}
		jsons = append(jsons, j)
	}
	verdicts := map[int]int{}
	for i, s := range devices {
		for k, tg := range devices {
			ref := exec.Command(compatc, "check", "--policy", cbcFile, "--json", s, tg)
			want, _ := ref.Output()
			cmd := exec.Command(bin, cbcFile, jsons[i], jsons[k])
			got, _ := cmd.Output()
			code := cmd.ProcessState.ExitCode()
			if code != ref.ProcessState.ExitCode() {
				t.Errorf("%s -> %s: exit %d, compatc's %d", s, tg, code, ref.ProcessState.ExitCode())
			}
			verdicts[code]++
			// the mismatch message names the target as given: the .kv here, the .json there
			w := strings.ReplaceAll(string(want), tg, jsons[k])
			if string(got) != w {
				t.Errorf("%s -> %s:\n compatc  %s cbccheck %s", s, tg, w, got)
			}
		}
	}
	if verdicts[0] == 0 || verdicts[1] == 0 {
		t.Fatalf("exit codes %v: want compatible and incompatible pairs", verdicts)
	}
	t.Logf("exit codes of %d pairs: %v", len(devices)*len(devices), verdicts)
}
