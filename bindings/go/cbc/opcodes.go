package cbc

// The instructions come from the C library's one list, src/opcodes.def
// (opcodes_gen.go; TestOpcodesCurrent fails when it changed).
//go:generate go run ./internal/opgen ../../../src/opcodes.def opcodes_gen.go
