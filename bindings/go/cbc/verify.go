package cbc

// verify.go -- the verifier of src/cbc.c, rule for rule and message for
// message (docs/bytecode.md, "What the verifier guarantees"): static
// checks of every table and operand, then a forward dataflow over each
// block for the type of every register read.  A program that passes runs
// in vm.go without reading outside a table, looping, or reading a register
// as a type it does not hold.

import (
	"fmt"
	"strings"
)

const (
	maxBlocks       = 1024
	maxRules        = 1024
	maxVars         = 256
	maxPlaceholders = 16
	maxMatchSteps   = 100000
	maxSetItems     = 1024

	verifyBudgetBase = 1 << 20
	verifyBudgetMax  = 1 << 26
	verifyLogBase    = 1 << 20
	verifyLogMax     = 1 << 24
)

const (
	mNum = 1<<tInt | 1<<tHex
	mAny = 1<<tInt | 1<<tHex | 1<<tString | 1<<tSemver | 1<<tBool | 1<<tSet
)

// The type a constraint table's kind tests.
var ctType = [...]uint8{tInt, tHex, tString, tSemver, tBool, tSet}

// What the t byte holds, per instruction.
const (
	tfSide = 1
	tfType = 2
	tfCmp  = 4
	tfLoop = 8
)

// The t byte of EACH and AGAIN: an any loop (else all), and its level.
const (
	loopAny   = 0x01
	loopLevel = 0x02
	loopDepth = 2 // loops nest at most this deep
)

func tfields(op uint8) uint {
	if op >= opCount {
		return 0
	}
	f := uint(0)
	if opFind(op, 'S') >= 0 || opFind(op, 'X') >= 0 || opFind(op, 'C') >= 0 {
		f |= tfSide
	}
	switch opTypes[op][3] {
	case 'l':
		f |= tfLoop
	case 'c':
		f |= tfType | tfCmp
	case 'y':
		f |= tfType
	}
	return f
}

// opFind is the operand (0..2) of op with role r, or -1.
func opFind(op uint8, r byte) int {
	return strings.IndexByte(opOperands[op], r)
}

// classMask is the types a type letter of opTypes accepts when read ('=',
// 't', 'k', 'q' depend on the instruction: 0 here).
func classMask(cls byte) uint {
	switch cls {
	case 'n':
		return mNum
	case 'i':
		return 1 << tInt
	case 's':
		return 1 << tString
	case 'v':
		return 1 << tSemver
	case 'b':
		return 1 << tBool
	case 'e':
		return 1 << tSet
	case 'l':
		return 1<<tString | 1<<tSet
	case 'o':
		return mNum | 1<<tSemver
	case 'a':
		return mAny
	}
	return 0
}

// classType is the one type a type letter names when written, else none.
func classType(cls byte) uint8 {
	switch cls {
	case 'i':
		return tInt
	case 's':
		return tString
	case 'v':
		return tSemver
	case 'b':
		return tBool
	case 'e':
		return tSet
	}
	return tNone
}

type jump struct {
	pos  uint32
	next int32
}

type verifier struct {
	p               *program
	msg             string
	ty              []uint8
	selfReg         []bool
	stamp           []uint32
	mstamp          uint32
	log             []uint32
	maxlog          uint32
	head            []int32
	loopOf          []int32 // pc - entry -> the EACH whose body holds pc, or -1
	jumps           []jump
	budget, budget0 uint64
	pc              uint32
	inSelf          bool
}

func (v *verifier) fail(format string, args ...interface{}) bool {
	v.msg = fmt.Sprintf(format, args...)
	return false
}

// ifail is a failure at instruction v.pc: "instruction 12 (FCMP): ...".
func (v *verifier) ifail(format string, args ...interface{}) bool {
	op := v.p.code[v.pc].op
	name := "?"
	if op < opCount {
		name = opNames[op]
	}
	v.msg = fmt.Sprintf("instruction %d (%s): ", v.pc, name) + fmt.Sprintf(format, args...)
	return false
}

func tname(t uint) string {
	if t > uint(tNone) && t < uint(tCount) {
		return typeNames[t]
	}
	return "nothing"
}

func validType(t uint) bool { return t > uint(tNone) && t < uint(tCount) }

func (p *program) prefInPool(r pref) bool {
	n := uint32(len(p.pool))
	return r.off <= n && r.len <= n-r.off
}

// checkPref: a string of the pool; a name also holds no NUL and is
// followed by one.
func (v *verifier) checkPref(r pref, name bool, what string, i int64) bool {
	p := v.p
	label := what
	if i >= 0 {
		label = fmt.Sprintf("%s %d", what, i)
	}
	if !p.prefInPool(r) {
		return v.fail("%s: string at %d+%d is outside the pool (%d bytes)", label, r.off, r.len,
			len(p.pool))
	}
	if name && strings.IndexByte(p.str(r), 0) >= 0 {
		return v.fail("%s: name holds a NUL byte", label)
	}
	if name && r.len != 0 && (int(r.len) == len(p.pool)-int(r.off) || p.pool[r.off+r.len] != 0) {
		return v.fail("%s: name is not followed by a NUL byte", label)
	}
	return true
}

// validPre: dot-separated identifiers of [0-9A-Za-z-], numeric ones
// without leading zeros.
func validPre(s string) bool {
	if s == "" {
		return true
	}
	for _, id := range strings.Split(s, ".") {
		if id == "" {
			return false
		}
		digits := true
		for i := 0; i < len(id); i++ {
			c := id[i]
			if !isIdentChar(c) {
				return false
			}
			digits = digits && isDigit(c)
		}
		if digits && len(id) > 1 && id[0] == '0' {
			return false
		}
	}
	return true
}

func within(first, n, total uint32) bool { return first <= total && n <= total-first }

func (v *verifier) checkHeader() bool {
	p := v.p
	if p.nregs > 0xffff {
		return v.fail("%d registers: at most %d", p.nregs, 0xffff)
	}
	if len(p.blocks) < 2 {
		return v.fail("%d blocks: a policy has SELF and at least one COMPATIBLE block",
			len(p.blocks))
	}
	if len(p.blocks)-1 > maxBlocks {
		return v.fail("%d COMPATIBLE blocks: at most %d (limit)", len(p.blocks)-1, maxBlocks)
	}
	if len(p.pool) == 0 || p.pool[len(p.pool)-1] != 0 {
		return v.fail("the pool does not end with a NUL byte")
	}
	return v.checkPref(p.name, true, "policy name", -1) && v.checkPref(p.file, true, "file name", -1)
}

func (v *verifier) checkConsts() bool {
	p := v.p
	for i, k := range p.kconsts {
		if !v.checkPref(k.s, false, "constant", int64(i)) {
			return false
		}
		numbers := k.major != 0 || k.minor != 0 || k.patch != 0
		switch k.typ {
		case tInt, tHex:
			if k.s.off != 0 || k.s.len != 0 || numbers {
				return v.fail("constant %d: %s with stray fields", i, tname(uint(k.typ)))
			}
		case tBool:
			if k.s.off != 0 || k.s.len != 0 || numbers || (k.i != 0 && k.i != 1) {
				return v.fail("constant %d: bool that is not 0 or 1", i)
			}
		case tString:
			if k.i != 0 || numbers {
				return v.fail("constant %d: string with stray fields", i)
			}
		case tSemver:
			if k.i != 0 || !validPre(p.str(k.s)) {
				return v.fail("constant %d: malformed semver", i)
			}
		default:
			return v.fail("constant %d: invalid type %d", i, k.typ)
		}
	}
	for i, r := range p.strrefs {
		if !v.checkPref(r, false, "string", int64(i)) {
			return false
		}
	}
	for i, c := range p.kcmps {
		if c.op > svEQ {
			return v.fail("comparator %d: invalid operator %d", i, c.op)
		}
		if !v.checkPref(c.pre, false, "comparator", int64(i)) {
			return false
		}
		if !validPre(p.str(c.pre)) {
			return v.fail("comparator %d: malformed pre-release", i)
		}
	}
	for i, s := range p.svsets {
		if !within(s.first, s.n, uint32(len(p.kcmps))) {
			return v.fail("semver set %d: comparators %d+%d out of range (%d)", i, s.first, s.n,
				len(p.kcmps))
		}
	}
	return true
}

func (v *verifier) checkRanges(i int, ct *ctable) bool {
	p := v.p
	hex := ct.kind == ctHex
	var bitmap uint64
	small := true
	if !within(ct.first, ct.n, uint32(len(p.ranges))) {
		return v.fail("table %d: ranges %d+%d out of range (%d)", i, ct.first, ct.n, len(p.ranges))
	}
	for k := uint32(0); k < ct.n; k++ {
		r := p.ranges[ct.first+k]
		ordered := r.lo <= r.hi
		if hex {
			ordered = uint64(r.lo) <= uint64(r.hi)
		}
		if !ordered {
			return v.fail("table %d: range %d is empty (lo > hi)", i, k)
		}
		if k > 0 {
			q := p.ranges[ct.first+k-1]
			after := q.hi < r.lo
			if hex {
				after = uint64(q.hi) < uint64(r.lo)
			}
			if !after {
				return v.fail("table %d: ranges %d and %d are not sorted and disjoint", i, k-1, k)
			}
		}
		in := r.lo >= 0 && r.hi <= 63
		if hex {
			in = uint64(r.hi) <= 63
		}
		if !in {
			small = false
		} else {
			for x := r.lo; x <= r.hi; x++ {
				bitmap |= 1 << uint(x)
			}
		}
	}
	if ct.small && (!small || ct.bitmap != bitmap) {
		return v.fail("table %d: the bitmap does not match the ranges", i)
	}
	if !ct.small && ct.bitmap != 0 {
		return v.fail("table %d: a bitmap without the 'small' flag", i)
	}
	return true
}

func (v *verifier) checkCtables() bool {
	p := v.p
	for i := range p.ctables {
		ct := &p.ctables[i]
		if !v.checkPref(ct.text, false, "table", int64(i)) {
			return false
		}
		if ct.kind > ctSet {
			return v.fail("table %d: invalid kind %d", i, ct.kind)
		}
		if ct.kind != ctBool && ct.n == 0 {
			return v.fail("table %d: empty constraint", i)
		}
		if ct.kind != ctInt && ct.kind != ctHex && (ct.small || ct.bitmap != 0) {
			return v.fail("table %d: a bitmap on a %s table", i, tname(uint(ctType[ct.kind])))
		}
		switch ct.kind {
		case ctInt, ctHex:
			if !v.checkRanges(i, ct) {
				return false
			}
		case ctString, ctSet:
			if !within(ct.first, ct.n, uint32(len(p.strrefs))) {
				return v.fail("table %d: strings %d+%d out of range (%d)", i, ct.first, ct.n,
					len(p.strrefs))
			}
			for k := uint32(1); k < ct.n; k++ {
				if p.str(p.strrefs[ct.first+k-1]) >= p.str(p.strrefs[ct.first+k]) {
					return v.fail("table %d: strings %d and %d are not sorted and unique", i, k-1, k)
				}
			}
		case ctSemver:
			if !within(ct.first, ct.n, uint32(len(p.svsets))) {
				return v.fail("table %d: semver sets %d+%d out of range (%d)", i, ct.first, ct.n,
					len(p.svsets))
			}
		case ctBool:
			if ct.first > 1 || ct.n != 0 {
				return v.fail("table %d: a bool table allows 0 or 1", i)
			}
		}
	}
	return true
}

func (v *verifier) checkTemplates() bool {
	p := v.p
	for i := range p.tparts {
		tp := &p.tparts[i]
		switch tp.kind {
		case tpLit:
			if !v.checkPref(tp.lit, false, "template part", int64(i)) {
				return false
			}
			if tp.lit.len == 0 || tp.typ != 0 || tp.reg != 0 || tp.ctable != -1 {
				return v.fail("template part %d: malformed literal", i)
			}
		case tpDecl, tpCmp:
			if !validType(uint(tp.typ)) {
				return v.fail("template part %d: invalid type %d", i, tp.typ)
			}
			if uint32(tp.reg) >= p.nregs {
				return v.fail("template part %d: register %d out of range (%d registers)", i,
					tp.reg, p.nregs)
			}
			if tp.lit.off != 0 || tp.lit.len != 0 {
				return v.fail("template part %d: a placeholder with literal text", i)
			}
			if tp.kind == tpCmp && tp.ctable != -1 {
				return v.fail("template part %d: a constraint on a reference", i)
			}
			if tp.kind == tpDecl && tp.ctable != -1 {
				if tp.ctable < 0 || int(tp.ctable) >= len(p.ctables) {
					return v.fail("template part %d: table %d out of range (%d tables)", i,
						tp.ctable, len(p.ctables))
				}
				if ctType[p.ctables[tp.ctable].kind] != tp.typ {
					return v.fail("template part %d: a %s table on a %s", i,
						tname(uint(ctType[p.ctables[tp.ctable].kind])), tname(uint(tp.typ)))
				}
			}
		default:
			return v.fail("template part %d: invalid kind %d", i, tp.kind)
		}
	}
	for i := range p.tmpls {
		t := &p.tmpls[i]
		if !v.checkPref(t.text, false, "template", int64(i)) {
			return false
		}
		if !within(t.first, t.n, uint32(len(p.tparts))) {
			return v.fail("template %d: parts %d+%d out of range (%d)", i, t.first, t.n,
				len(p.tparts))
		}
		if t.n == 0 || t.n > 2*maxPlaceholders+1 {
			return v.fail("template %d: %d parts (1 to %d)", i, t.n, 2*maxPlaceholders+1)
		}
		parts := p.tparts[t.first : t.first+t.n]
		for k := range parts {
			if parts[k].kind == tpLit {
				continue
			}
			if k+1 < len(parts) && parts[k+1].kind != tpLit {
				return v.fail("template %d: placeholders %d and %d are adjacent", i, k, k+1)
			}
			if parts[k].kind == tpDecl {
				for j := 0; j < k; j++ {
					if parts[j].kind != tpLit && parts[j].reg == parts[k].reg {
						return v.fail("template %d: part %d binds register %d, which part %d "+
							"already uses", i, k, parts[k].reg, j)
					}
				}
			}
		}
	}
	return true
}

// checkFactName holds a slot or record name to the limit a policy source is
// held to, worded as the C verifier words it.
func (v *verifier) checkFactName(r pref, what string, i int) bool {
	if r.len == 0 {
		return v.fail("%s %d: empty name", what, i)
	}
	if r.len > maxName {
		return v.fail("%s %d: fact name longer than %d bytes (the limit)", what, i, maxName)
	}
	return true
}

func (v *verifier) checkNames() bool {
	p := v.p
	for i := range p.slots {
		if !v.checkPref(p.slots[i].name, true, "slot", int64(i)) {
			return false
		}
		if !v.checkFactName(p.slots[i].name, "slot", i) {
			return false
		}
		if uint(p.slots[i].types)&^mAny != 0 {
			return v.fail("slot %d: invalid type bits 0x%02x", i, p.slots[i].types)
		}
	}
	for i := range p.vars {
		x := &p.vars[i]
		if !v.checkPref(x.name, true, "variable", int64(i)) {
			return false
		}
		if x.name.len == 0 {
			return v.fail("variable %d: empty name", i)
		}
		if !validType(uint(x.typ)) {
			return v.fail("variable %d: invalid type %d", i, x.typ)
		}
		if uint32(x.reg) >= p.nregs {
			return v.fail("variable %d: register %d out of range (%d registers)", i, x.reg,
				p.nregs)
		}
	}
	for i, r := range p.recsets {
		if !v.checkPref(r, true, "record set", int64(i)) {
			return false
		}
		if !v.checkFactName(r, "record set", i) {
			return false
		}
	}
	for i, f := range p.recfields {
		if !v.checkPref(f.name, true, "record field", int64(i)) {
			return false
		}
		if !v.checkFactName(f.name, "record field", i) {
			return false
		}
		if int(f.set) >= len(p.recsets) {
			return v.fail("record field %d: set %d out of range (%d record sets)", i, f.set,
				len(p.recsets))
		}
	}
	for i := range p.rules {
		r := &p.rules[i]
		if !v.checkPref(r.expected, false, "rule", int64(i)) {
			return false
		}
		if r.slot < -1 || (r.slot >= 0 && int(r.slot) >= len(p.slots)) {
			return v.fail("rule %d: slot %d out of range (%d slots)", i, r.slot, len(p.slots))
		}
		if r.side != 0 && r.side != sideSource {
			return v.fail("rule %d: invalid side %d", i, r.side)
		}
		if r.op > cmpGE {
			return v.fail("rule %d: invalid operator %d", i, r.op)
		}
		if r.expectReg < -1 || (r.expectReg >= 0 && uint32(r.expectReg) >= p.nregs) {
			return v.fail("rule %d: register %d out of range (%d registers)", i, r.expectReg,
				p.nregs)
		}
	}
	return true
}

func (v *verifier) checkBlocks() bool {
	p := v.p
	var code, vars, rules uint32
	for i := range p.blocks {
		b := &p.blocks[i]
		want, wname := uint8(1), "COMPATIBLE"
		if i == 0 {
			want, wname = 0, "SELF"
		}
		if b.kind != want {
			return v.fail("block %d: kind %d, expected %s", i, b.kind, wname)
		}
		if !v.checkPref(b.name, true, "block", int64(i)) {
			return false
		}
		if i == 0 && b.name.len != 0 {
			return v.fail("block 0: SELF has a name")
		}
		if b.entry != code || b.end <= b.entry || int(b.end) > len(p.code) {
			return v.fail("block %d: code %d..%d does not follow the previous block's (ends at "+
				"%d of %d)", i, b.entry, b.end, code, len(p.code))
		}
		if b.firstVar != vars || !within(b.firstVar, b.nvars, uint32(len(p.vars))) {
			return v.fail("block %d: variables %d+%d do not follow the previous block's (%d of "+
				"%d)", i, b.firstVar, b.nvars, vars, len(p.vars))
		}
		if b.firstRule != rules || !within(b.firstRule, b.nrules, uint32(len(p.rules))) {
			return v.fail("block %d: rules %d+%d do not follow the previous block's (%d of %d)",
				i, b.firstRule, b.nrules, rules, len(p.rules))
		}
		if b.nvars > maxVars {
			return v.fail("block %d: %d variables (limit %d)", i, b.nvars, maxVars)
		}
		if b.nrules > maxRules {
			return v.fail("block %d: %d rules (limit %d)", i, b.nrules, maxRules)
		}
		side := uint8(sideSource)
		if i == 0 {
			side = 0
		}
		for r := uint32(0); r < b.nrules; r++ {
			if p.rules[b.firstRule+r].side != side {
				return v.fail("rule %d: its side does not match block %d", b.firstRule+r, i)
			}
		}
		for k := uint32(0); k < b.nvars; k++ {
			x := &p.vars[b.firstVar+k]
			if i > 0 && v.selfReg[x.reg] {
				return v.fail("variable %d: register %d is a SELF variable's", b.firstVar+k, x.reg)
			}
			if v.stamp[x.reg] == uint32(i+1) {
				return v.fail("block %d: two variables share register %d", i, x.reg)
			}
			v.stamp[x.reg] = uint32(i + 1)
		}
		if i == 0 {
			for k := uint32(0); k < b.nvars; k++ {
				v.selfReg[p.vars[k].reg] = true
			}
		}
		code = b.end
		vars += b.nvars
		rules += b.nrules
	}
	if int(code) != len(p.code) || int(vars) != len(p.vars) || int(rules) != len(p.rules) {
		return v.fail("the blocks cover %d of %d instructions, %d of %d variables, %d of %d rules",
			code, len(p.code), vars, len(p.vars), rules, len(p.rules))
	}
	return true
}

func (v *verifier) checkInsn(b *pblock, pc uint32) bool {
	p := v.p
	in := &p.code[pc]
	v.pc = pc
	if in.op >= opCount {
		return v.fail("instruction %d: invalid opcode %d", pc, in.op)
	}
	ops := opOperands[in.op]
	x := [3]uint16{in.a, in.b, in.c}
	which := [3]string{"a", "b", "c"}
	for k := 0; k < 3; k++ {
		o := uint32(x[k])
		switch ops[k] {
		case 'R', 'W', 'V':
			if o >= p.nregs {
				return v.ifail("register %d out of range (%d registers)", o, p.nregs)
			}
		case 'S':
			if int(o) >= len(p.slots) {
				return v.ifail("slot %d out of range (%d slots)", o, len(p.slots))
			}
		case 'K':
			if int(o) >= len(p.kconsts) {
				return v.ifail("constant %d out of range (%d constants)", o, len(p.kconsts))
			}
		case 'T':
			if int(o) >= len(p.ctables) {
				return v.ifail("table %d out of range (%d tables)", o, len(p.ctables))
			}
		case 'P':
			if int(o) >= len(p.tmpls) {
				return v.ifail("template %d out of range (%d templates)", o, len(p.tmpls))
			}
		case 'J':
			if uint64(pc)+1+uint64(o) >= uint64(b.end) {
				return v.ifail("jump to %d leaves its block (instructions %d..%d)",
					uint64(pc)+1+uint64(o), b.entry, b.end-1)
			}
		case 'X':
			if int(o) >= len(p.recsets) {
				return v.ifail("record set %d out of range (%d record sets)", o, len(p.recsets))
			}
		case 'C':
			if int(o) >= len(p.recfields) {
				return v.ifail("record field %d out of range (%d record fields)", o,
					len(p.recfields))
			}
		case 'B':
			if o > pc-b.entry {
				return v.ifail("jump back to %d leaves its block (instructions %d..%d)",
					int64(pc)-int64(o), b.entry, b.end-1)
			}
		case 'U':
			if o >= b.nrules {
				return v.ifail("rule %d out of range (the block has %d)", o, b.nrules)
			}
		case 'I':
		case '-':
			if o != 0 {
				return v.ifail("unused operand %s is %d, not 0", which[k], o)
			}
		}
	}
	tf := tfields(in.op)
	allowed := uint(0)
	if tf&tfSide != 0 {
		allowed |= sideSource
	}
	if tf&tfType != 0 {
		allowed |= typeMask
	}
	if tf&tfCmp != 0 {
		allowed |= 0x70
	}
	if tf&tfLoop != 0 {
		allowed |= loopAny | loopLevel
	}
	if uint(in.t)&^allowed != 0 {
		return v.ifail("invalid t byte 0x%02x", in.t)
	}
	if in.t&sideSource != 0 && b.kind == 0 {
		return v.ifail("SELF reads the source's facts")
	}
	typ, cmp := uint(in.t&typeMask), uint(in.t>>4)&7
	if tf&tfType != 0 && !validType(typ) {
		return v.ifail("invalid type %d", typ)
	}
	if tf&tfCmp != 0 {
		if cmp > uint(cmpGE) {
			return v.ifail("invalid comparison %d", cmp)
		}
		if cmp >= uint(cmpLT) && (1<<typ)&(mNum|1<<tSemver) == 0 {
			return v.ifail("ordering comparison of %s values", tname(typ))
		}
	}
	if fs := opFind(in.op, 'S'); tf&tfType != 0 && fs >= 0 {
		slot := x[fs]
		if uint(p.slots[slot].types)&(1<<typ) == 0 {
			return v.ifail("slot %d is read as %s, which its types do not include", slot,
				tname(typ))
		}
	}
	if (in.op == opEQSTR || in.op == opNESTR) && p.kconsts[in.b].typ != tString {
		return v.ifail("constant %d is a %s, not a string", in.b, tname(uint(p.kconsts[in.b].typ)))
	}
	if in.op == opNMATCH {
		t := &p.tmpls[in.b]
		for k := uint32(0); k < t.n; k++ {
			if p.tparts[t.first+k].kind == tpDecl {
				return v.ifail("template %d declares a variable under '!='", in.b)
			}
		}
	}
	last := pc+1 == b.end
	if (in.op == opOK) != last {
		if last {
			return v.ifail("block does not end with OK")
		}
		return v.ifail("OK before the end of the block")
	}
	if pc == b.entry && in.op != opRULE && in.op != opOK {
		return v.ifail("the block does not start with RULE")
	}
	return true
}

// ---------------------------------------------------------------- loops

// checkLoops: every EACH is closed by the AGAIN it jumps past, of the same
// kind, level and result register, whose backward jump lands on the first
// instruction of the body; loops nest at most loopDepth deep, each inside
// the body of the one before, within one rule (no RULE, OK or FAIL in a
// body); a field is read only in the body of the loop of its level, over
// its set, on the same side; and no jump lands in a body from outside it.
func (v *verifier) checkLoops(b *pblock) bool {
	p := v.p
	var open [loopDepth]struct{ at, end uint32 }
	depth := 0
	for pc := b.entry; pc < b.end; pc++ {
		in := &p.code[pc]
		v.pc = pc
		for depth > 0 && pc > open[depth-1].end {
			depth--
		}
		v.loopOf[pc-b.entry] = -1
		if depth > 0 {
			v.loopOf[pc-b.entry] = int32(open[depth-1].at)
		}
		if depth > 0 && (in.op == opRULE || in.op == opOK || in.op == opFAIL) {
			return v.ifail("inside the loop of instruction %d", open[depth-1].at)
		}
		switch in.op {
		case opEACH:
			level := 0
			if in.t&loopLevel != 0 {
				level = 1
			}
			if depth == loopDepth {
				return v.ifail("loops nest more than %d deep", loopDepth)
			}
			if level != depth {
				return v.ifail("a loop of level %d at level %d", level, depth)
			}
			end := pc + uint32(in.c)
			a := &p.code[end]
			if in.c == 0 || a.op != opAGAIN || a.t&(loopAny|loopLevel) != in.t&(loopAny|loopLevel) ||
				a.a != in.a || uint32(a.c)+1 != uint32(in.c) {
				return v.ifail("instruction %d is not the AGAIN that ends this loop", end)
			}
			if depth > 0 && end >= open[depth-1].end {
				return v.ifail("the loop ends at %d, past the end of its outer loop (%d)", end,
					open[depth-1].end)
			}
			open[depth].at, open[depth].end = pc, end
			depth++
		case opAGAIN:
			if depth == 0 || open[depth-1].end != pc {
				return v.ifail("no loop ends here")
			}
		case opRFIELD, opRHAS:
			if int(in.c) >= depth {
				return v.ifail("reads a record of the loop of level %d outside it", in.c)
			}
			e := &p.code[open[in.c].at]
			if p.recfields[in.b].set != uint32(e.b) || in.t&sideSource != e.t&sideSource {
				return v.ifail("record field %d is not of the records its loop (instruction %d) "+
					"walks", in.b, open[in.c].at)
			}
		}
	}
	// no way into a body but its EACH
	for pc := b.entry; pc < b.end; pc++ {
		in := &p.code[pc]
		j := opFind(in.op, 'J')
		if j < 0 {
			continue
		}
		off := in.c
		if j == 1 {
			off = in.b
		}
		to := pc + 1 + uint32(off)
		for l := v.loopOf[to-b.entry]; l >= 0; l = v.loopOf[uint32(l)-b.entry] {
			end := uint32(l) + uint32(p.code[l].c)
			if pc <= uint32(l) || pc > end {
				v.pc = pc
				return v.ifail("jumps into the loop of instruction %d", l)
			}
		}
	}
	return true
}

// ---------------------------------------------------------------- types

func (v *verifier) logPush(reg uint32, old uint8) bool {
	if uint32(len(v.log)) == v.maxlog {
		return v.ifail("the program is too complex to verify (more than %d state changes)",
			v.maxlog)
	}
	v.log = append(v.log, reg<<8|uint32(old))
	return true
}

func (v *verifier) setType(reg uint32, t uint8) bool {
	if v.ty[reg] == t {
		return true
	}
	if !v.logPush(reg, v.ty[reg]) {
		return false
	}
	v.ty[reg] = t
	return true
}

// merge brings the state at jump j into the current one (assign: the
// current way in is unreachable, so the jump's state is the state).
func (v *verifier) merge(j *jump, assign bool) bool {
	end := uint32(len(v.log))
	if uint64(end-j.pos) > v.budget {
		return v.ifail("the program is too complex to verify (more than %d merge steps)",
			v.budget0)
	}
	v.budget -= uint64(end - j.pos)
	v.mstamp++
	for i := j.pos; i < end; i++ {
		r := v.log[i] >> 8
		if v.stamp[r] == v.mstamp {
			continue
		}
		v.stamp[r] = v.mstamp
		then, now := uint8(v.log[i]), v.ty[r]
		t := tNone
		if assign || then == now {
			t = then
		}
		if !v.setType(r, t) {
			return false
		}
	}
	return true
}

func maskText(mask uint) string {
	switch mask {
	case mNum:
		return "int or hex"
	case mNum | 1<<tSemver:
		return "int, hex or semver"
	case 1<<tString | 1<<tSet:
		return "string or set"
	case mAny:
		return "a value"
	}
	for t := uint(tInt); t < uint(tCount); t++ {
		if mask == 1<<t {
			return tname(t)
		}
	}
	return "?"
}

// need: R[reg] is read as one of mask's types, written on every path.
func (v *verifier) need(reg uint32, mask uint) bool {
	t := v.ty[reg]
	if t == tNone {
		return v.ifail("register %d is read but not written (with one type) on every path", reg)
	}
	if (1<<t)&mask == 0 {
		return v.ifail("register %d holds %s, read as %s", reg, tname(uint(t)), maskText(mask))
	}
	return true
}

func (v *verifier) putReg(reg uint32, t uint8) bool {
	if !v.inSelf && v.selfReg[reg] {
		return v.ifail("writes register %d, a SELF variable's", reg)
	}
	return v.setType(reg, t)
}

func typeMaskOf(t uint8) uint {
	if t == tInt || t == tHex {
		return mNum
	}
	return 1 << t
}

func (v *verifier) flowTmpl(ti uint16) bool {
	p := v.p
	t := &p.tmpls[ti]
	for k := uint32(0); k < t.n; k++ {
		tp := &p.tparts[t.first+k]
		if tp.kind == tpCmp && !v.need(uint32(tp.reg), typeMaskOf(tp.typ)) {
			return false
		}
		if tp.kind == tpDecl && !v.putReg(uint32(tp.reg), tp.typ) {
			return false
		}
	}
	return true
}

// readMask is the types register operand k of in may hold when read
// (type letter cls); first is the register operand read before it, or -1.
func (v *verifier) readMask(in *insn, x [3]uint16, cls byte, first int) uint {
	switch cls {
	case 't':
		return typeMaskOf(in.t & typeMask)
	case 'q':
		return 1 << ctType[v.p.ctables[in.b].kind]
	case '=':
		if first >= 0 {
			return typeMaskOf(v.ty[x[first]])
		}
		return 0
	}
	return classMask(cls)
}

// writtenType is the type a register operand holds once written.
func (v *verifier) writtenType(in *insn, x [3]uint16, cls byte, first int, hex bool) uint8 {
	switch cls {
	case 't':
		return in.t & typeMask
	case 'k':
		return v.p.kconsts[in.b].typ
	case '=':
		if first >= 0 {
			return v.ty[x[first]]
		}
		return tNone
	case 'j':
		if hex {
			return tHex
		}
		return tInt
	}
	return classType(cls)
}

// flowInsn applies one reachable instruction to the state, from its
// operand roles and types (opcodes.def): the registers it reads must hold
// their types, then those it writes hold theirs; a template's parts read
// and bind registers; a jump records the state it carries.  *reach is
// cleared when nothing falls through (OK, FAIL).
func (v *verifier) flowInsn(b *pblock, pc uint32, reach *bool) bool {
	p := v.p
	in := &p.code[pc]
	roles, types := opOperands[in.op], opTypes[in.op]
	x := [3]uint16{in.a, in.b, in.c}
	first, hex := -1, false
	v.pc = pc
	for k := 0; k < 3; k++ {
		if roles[k] != 'R' {
			continue
		}
		mask := v.readMask(in, x, types[k], first)
		if mask == 0 {
			return v.ifail("operand %c has no type to read (opcodes.def)", 'a'+k)
		}
		if !v.need(uint32(x[k]), mask) {
			return false
		}
		hex = hex || v.ty[x[k]] == tHex
		if first < 0 {
			first = k
		}
	}
	if k := opFind(in.op, 'P'); k >= 0 && !v.flowTmpl(x[k]) {
		return false
	}
	for k := 0; k < 3; k++ {
		if roles[k] != 'W' && roles[k] != 'V' {
			continue
		}
		t := v.writtenType(in, x, types[k], first, hex)
		if !validType(uint(t)) {
			return v.ifail("writes register %d with no type", x[k])
		}
		if !v.putReg(uint32(x[k]), t) {
			return false
		}
	}
	if j := opFind(in.op, 'J'); j >= 0 {
		k := pc + 1 + uint32(x[j]) - b.entry
		v.jumps = append(v.jumps, jump{uint32(len(v.log)), v.head[k]})
		v.head[k] = int32(len(v.jumps) - 1)
	}
	if in.op == opEACH {
		// the body runs again from its first instruction with what its last
		// run wrote: every register it writes is unknown there
		for k := pc + 1; k <= pc+uint32(in.c); k++ {
			w := &p.code[k]
			y := [3]uint16{w.a, w.b, w.c}
			for n := 0; n < 3; n++ {
				if r := opOperands[w.op][n]; (r == 'W' || r == 'V') && !v.setType(uint32(y[n]), tNone) {
					return false
				}
			}
			if q := opFind(w.op, 'P'); q >= 0 {
				t := &p.tmpls[y[q]]
				for _, tp := range p.tparts[t.first : t.first+t.n] {
					if tp.kind == tpDecl && !v.setType(uint32(tp.reg), tNone) {
						return false
					}
				}
			}
		}
	}
	if in.op == opOK {
		for k := uint32(0); k < b.nvars; k++ {
			y := &p.vars[b.firstVar+k]
			if v.ty[y.reg] != y.typ {
				name := p.str(y.name)
				if len(name) > 64 {
					name = name[:64]
				}
				return v.ifail("variable '%s' (register %d, %s) is not bound on every path",
					name, y.reg, tname(uint(y.typ)))
			}
		}
	}
	if in.op == opOK || in.op == opFAIL {
		*reach = false
	}
	return true
}

func (v *verifier) flowBlock(bi int) bool {
	p := v.p
	b := &p.blocks[bi]
	v.inSelf = bi == 0
	v.log = v.log[:0]
	v.jumps = v.jumps[:0]
	for k := uint32(0); k < b.end-b.entry; k++ {
		v.head[k] = -1
	}
	reach := true
	for pc := b.entry; pc < b.end; pc++ {
		v.pc = pc
		for j := v.head[pc-b.entry]; j >= 0; j = v.jumps[j].next {
			if !v.merge(&v.jumps[j], !reach) {
				return false
			}
			reach = true
		}
		if reach && !v.flowInsn(b, pc, &reach) {
			return false
		}
	}
	for n := len(v.log); n > 0; n-- {
		e := v.log[n-1]
		v.ty[e>>8] = uint8(e)
	}
	v.log = v.log[:0]
	return true
}

// verify checks a whole program; "" when the VM can run it on any facts,
// else one message ("instruction 12 (FCMP): register 40 out of range (16
// registers)").
func verify(p *program) string {
	v := &verifier{p: p}
	if !v.checkHeader() {
		return v.msg
	}
	nregs := p.nregs
	if nregs == 0 {
		nregs = 1
	}
	longest := uint32(1)
	for i := range p.blocks {
		b := &p.blocks[i]
		if b.end > b.entry && b.end-b.entry > longest {
			longest = b.end - b.entry
		}
	}
	v.ty = make([]uint8, nregs)
	v.selfReg = make([]bool, nregs)
	v.stamp = make([]uint32, nregs)
	ok := v.checkConsts() && v.checkCtables() && v.checkTemplates() && v.checkNames() &&
		v.checkBlocks()
	for i := 0; ok && i < len(p.blocks); i++ {
		for pc := p.blocks[i].entry; ok && pc < p.blocks[i].end; pc++ {
			ok = v.checkInsn(&p.blocks[i], pc)
		}
	}
	if ok { // the blocks are checked: longest is within the code
		v.loopOf = make([]int32, longest)
	}
	for i := 0; ok && i < len(p.blocks); i++ {
		ok = v.checkLoops(&p.blocks[i])
	}
	if !ok {
		return v.msg
	}
	for i := range v.stamp {
		v.stamp[i] = 0
	}
	v.head = make([]int32, longest)
	v.jumps = make([]jump, 0, 64)
	budget := uint64(verifyBudgetBase) + 256*uint64(len(p.code))
	if budget > verifyBudgetMax {
		budget = verifyBudgetMax
	}
	v.budget, v.budget0 = budget, budget
	maxlog := uint64(verifyLogBase) + 8*uint64(len(p.code))
	if maxlog > verifyLogMax {
		maxlog = verifyLogMax
	}
	v.maxlog = uint32(maxlog)
	if !v.flowBlock(0) {
		return v.msg
	}
	for k := uint32(0); k < p.blocks[0].nvars; k++ {
		v.ty[p.vars[k].reg] = p.vars[k].typ
	}
	for i := 1; i < len(p.blocks); i++ {
		if !v.flowBlock(i) {
			return v.msg
		}
	}
	return ""
}
