// Command opgen writes the Go opcode table of package cbc from the C
// library's one list of instructions, src/opcodes.def, so that the two never
// drift apart: `go generate ./cbc` (cbc_test.go checks the file is current).
//
// Usage: opgen OPCODES.DEF OUT.go
package main

import (
	"fmt"
	"os"

	"devcompat/cbc/internal/opdef"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: opgen OPCODES.DEF OUT.go")
		os.Exit(2)
	}
	def, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "opgen:", err)
		os.Exit(1)
	}
	src, err := opdef.Generate(def)
	if err != nil {
		fmt.Fprintln(os.Stderr, "opgen:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(os.Args[2], src, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "opgen:", err)
		os.Exit(1)
	}
}
