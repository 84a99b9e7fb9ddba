package cbc

import (
	"bytes"
	"os"
	"testing"

	"devcompat/cbc/internal/opdef"
)

// TestOpcodesCurrent: opcodes_gen.go is what src/opcodes.def gives now
// (run `go generate ./cbc` after changing the instruction list).
func TestOpcodesCurrent(t *testing.T) {
	def, err := os.ReadFile("../../../src/opcodes.def")
	if err != nil {
		t.Skip("no src/opcodes.def here:", err)
	}
	want, err := opdef.Generate(def)
	if err != nil {
		t.Fatal(err)
	}
	have, err := os.ReadFile("opcodes_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(want, have) {
		t.Fatal("opcodes_gen.go is stale: run `go generate ./cbc` in bindings/go")
	}
}
