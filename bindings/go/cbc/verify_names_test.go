package cbc

// verify_names_test.go -- the Go verifier holds fact names to the limit the
// C verifier and the compiler hold them to, in the same words.

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestVerifierRefusesLongFactName(t *testing.T) {
	compatc := compatcPath(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "long.compat")
	text := fmt.Sprintf("SELF:\n    kind = gpu\nCOMPATIBLE:\n    kind = gpu\n    label = %s\n",
		strings.Repeat("7", 300))
	if err := os.WriteFile(src, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(compile(t, compatc, src, dir))
	if err != nil {
		t.Fatal(err)
	}
	s, lerr := readLayout("long.cbc", data)
	if lerr != nil {
		t.Fatal(lerr)
	}
	p := &program{}
	for i := 1; i <= nSections; i++ {
		if msg := readSection(p, data, s[i], i); msg != "" {
			t.Fatal(msg)
		}
	}
	if msg := verify(p); msg != "" {
		t.Fatalf("the compiled policy does not verify: %s", msg)
	}
	var long pref
	for _, k := range p.kconsts {
		if k.s.len == 300 {
			long = k.s
		}
	}
	if long.len != 300 {
		t.Fatal("no 300-byte constant in the pool")
	}
	p.slots[0].name = long
	want := "slot 0: fact name longer than 255 bytes (the limit)"
	if msg := verify(p); !strings.Contains(msg, want) {
		t.Fatalf("verify: %q, want %q", msg, want)
	}
}
