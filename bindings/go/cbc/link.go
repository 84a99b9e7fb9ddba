package cbc

// link.go -- the form of the code the VM runs: each block's instructions
// without RULE, every instruction carrying the rule it belongs to, and
// jumps re-aimed.  A RULE did nothing but name the rule of what follows:
// folded this way a check dispatches a third fewer instructions, as the C
// VM's linked form (src/vmlink.c) drops them (docs/performance.md, "Go").

// linsn is an instruction of the linked code: insn and its rule (the
// index into program.rules of the RULE before it; 0 before any).
type linsn struct {
	op, t   uint8
	a, b, c uint16
	rule    uint32
	// MATCH, NMATCH: whether the template's outcome may have been matched
	// when the facts were prepared (the slot it was matched on is this
	// one's): 0 no; reg+1 yes, binding the one register reg; -1 yes, any
	// other number of declarations
	pre int32
}

// link makes pol.code and pol.blockCode from the verified program (after
// planPrematch).
func (pol *Policy) link() {
	p := pol.p
	pol.code = make([]linsn, 0, len(p.code))
	pol.blockCode = make([][]linsn, len(p.blocks))
	at := make([]int, len(p.code)+1) // old pc -> new index (a RULE: what follows it)
	for bi := range p.blocks {
		b := &p.blocks[bi]
		start := len(pol.code)
		rule := b.firstRule
		for pc := b.entry; pc < b.end; pc++ {
			in := p.code[pc]
			at[pc] = len(pol.code) - start
			if in.op == opRULE {
				rule = b.firstRule + uint32(in.a)
				continue
			}
			pol.code = append(pol.code, linsn{op: in.op, t: in.t, a: in.a, b: in.b, c: in.c,
				rule: rule})
		}
		at[b.end] = len(pol.code) - start
		code := pol.code[start:len(pol.code):len(pol.code)]
		// jumps: the verifier saw every target inside the block
		for pc := b.entry; pc < b.end; pc++ {
			in := &p.code[pc]
			if in.op == opRULE {
				continue
			}
			ni := at[pc]
			l := &code[ni]
			switch in.op {
			case opMATCH, opNMATCH:
				if pol.tmplSlot[in.b] == int32(in.a) {
					l.pre = -1
					if decls := pol.tmplDecls[in.b]; len(decls) == 1 {
						l.pre = int32(decls[0]) + 1
					}
				}
			case opJF, opJT: // to pc+1+b
				l.b = uint16(at[pc+1+uint32(in.b)] - ni - 1)
			case opEACH: // past its AGAIN, at pc+c
				l.c = uint16(at[pc+uint32(in.c)] - ni)
			case opAGAIN: // back to the body's first, at pc-c
				l.c = uint16(ni - at[pc-uint32(in.c)])
			}
		}
		pol.blockCode[bi] = code
	}
}
