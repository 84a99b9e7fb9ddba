package cbc

// vm.go -- the evaluator: runs one block of a verified program against
// prepared facts, as src/vm.c does, down to what a failed rule records for
// its reason.  Every loop is bounded: code only jumps forward, template
// backtracking has a step budget (maxMatchSteps), and the sets built while
// checking share one item budget (maxSetItems) per check.

import (
	"math/bits"
	"strings"
)

// Why a rule failed (src/vm.h's fail_code, same order).
const (
	fNone uint8 = iota
	fMissing
	fNotEmpty
	fEmpty
	fNotEqual
	fEqual
	fParse
	fConstraint
	fNoMatch
	fMatch
	fCompare
	fFalse
	fOverflow
	fDivZero
	fInexact
	fOperandAbsent
	fConvert
	fBudget
	fScratch
	fNegative     // bits() of a negative int
	fRecordAbsent // a record's field in an expression is absent: aux the field, x the record
)

// failRec is what a block that did not hold tells its reason: the rule,
// why, and the values the reason shows.
type failRec struct {
	code       uint8
	typ        uint8 // the type a parse wanted (fParse, fConvert)
	side       uint8 // of slot (fOperandAbsent)
	rule       uint32
	slot       int32
	aux        int32 // constraint table (fConstraint)
	hasX, hasY bool
	x, y       value
}

// machine is one check's state.
type machine struct {
	pol     *Policy
	facts   [2]*Prepared // target, source
	R       []value
	scratch int  // set items built so far (maxSetItems in all)
	steps   int  // template steps spent (maxMatchSteps in all)
	setOver bool // a set span had more than maxSetItems items
}

// ---------------------------------------------------------------- constraints

func cmpHolds(c *comparator, v *value) bool {
	r := semverCmp(v, &c.v)
	switch c.op {
	case svLT:
		return r < 0
	case svLE:
		return r <= 0
	case svGT:
		return r > 0
	case svGE:
		return r >= 0
	}
	return r == 0
}

// svsetTest is node-semver's testSet: every comparator holds, and a
// pre-release passes only when a comparator names a pre-release of the
// same major.minor.patch.
func svsetTest(cmps []comparator, v *value) bool {
	for i := range cmps {
		if !cmpHolds(&cmps[i], v) {
			return false
		}
	}
	if v.s == "" {
		return true
	}
	for i := range cmps {
		c := &cmps[i].v
		if c.s != "" && c.x.major == v.x.major && c.x.minor == v.x.minor &&
			c.x.patch == v.x.patch {
			return true
		}
	}
	return false
}

func inStrs(s []string, x string) bool {
	lo, hi := 0, len(s)
	for lo < hi {
		mid := lo + (hi-lo)/2
		switch {
		case s[mid] == x:
			return true
		case s[mid] < x:
			lo = mid + 1
		default:
			hi = mid
		}
	}
	return false
}

// ctTest: is v (of the table's type) within constraint table ct?
func (pol *Policy) ctTest(ct *ctable, v *value) bool {
	p := pol.p
	switch ct.kind {
	case ctInt:
		x := v.i
		if v.t == tHex && uint64(v.i) > 1<<63-1 {
			return false
		}
		if ct.small {
			return x >= 0 && x < 64 && (ct.bitmap>>uint(x))&1 != 0
		}
		r := p.ranges[ct.first : ct.first+ct.n]
		lo, hi := 0, len(r)
		for lo < hi {
			mid := lo + (hi-lo)/2
			switch {
			case x < r[mid].lo:
				hi = mid
			case x > r[mid].hi:
				lo = mid + 1
			default:
				return true
			}
		}
		return false
	case ctHex:
		if v.t == tInt && v.i < 0 {
			return false
		}
		x := uint64(v.i)
		if ct.small {
			return x < 64 && (ct.bitmap>>x)&1 != 0
		}
		r := p.ranges[ct.first : ct.first+ct.n]
		lo, hi := 0, len(r)
		for lo < hi {
			mid := lo + (hi-lo)/2
			switch {
			case x < uint64(r[mid].lo):
				hi = mid
			case x > uint64(r[mid].hi):
				lo = mid + 1
			default:
				return true
			}
		}
		return false
	case ctString:
		return v.t == tString && inStrs(pol.strs[ct.first:ct.first+ct.n], v.s)
	case ctSet:
		if v.t != tSet {
			return false
		}
		allowed := pol.strs[ct.first : ct.first+ct.n]
		for _, item := range v.x.set {
			if !inStrs(allowed, item) {
				return false
			}
		}
		return true
	case ctSemver:
		if v.t != tSemver {
			return false
		}
		for _, s := range p.svsets[ct.first : ct.first+ct.n] {
			if svsetTest(pol.cmps[s.first:s.first+s.n], v) {
				return true
			}
		}
		return false
	case ctBool:
		return v.t == tBool && (v.i != 0) == (ct.first != 0)
	}
	return false
}

// ---------------------------------------------------------------- values

// parseAs parses text as type t; a set takes its items from the check's
// budget of set items.
func (m *machine) parseAs(t uint8, s string) (value, bool) {
	switch t {
	case tSet:
		if m.pol == nil {
			return value{}, false
		}
		items, ok := parseSet(s, maxSetItems-m.scratch)
		if !ok {
			m.setOver = true
			return value{}, false
		}
		m.scratch += len(items)
		return setValue(items), true
	case tString:
		return value{t: tString, s: s}, len(s) > 0
	}
	return parseValue(t, s)
}

func asInt(v *value) (int64, bool) {
	if v.t == tHex && uint64(v.i) > 1<<63-1 {
		return 0, false
	}
	return v.i, true
}

// putInt stores an arithmetic result: hex when either operand was, unless
// it is negative (hex has no sign): then an int, which compares the same.
func putInt(x int64, hex bool) value {
	if hex && x >= 0 {
		return value{t: tHex, i: x}
	}
	return value{t: tInt, i: x}
}

func cmpResult(c int, cmp uint8) bool {
	switch cmp {
	case cmpEQ:
		return c == 0
	case cmpNE:
		return c != 0
	case cmpLT:
		return c < 0
	case cmpLE:
		return c <= 0
	case cmpGT:
		return c > 0
	}
	return c >= 0
}

func addOver(x, y int64) (int64, bool) {
	z := x + y
	return z, (x >= 0) == (y >= 0) && (z >= 0) != (x >= 0)
}

func subOver(x, y int64) (int64, bool) {
	z := x - y
	return z, (x >= 0) != (y >= 0) && (z >= 0) != (x >= 0)
}

func mulOver(x, y int64) (int64, bool) {
	if x == 0 || y == 0 {
		return 0, false
	}
	neg := (x < 0) != (y < 0)
	ux, uy := uint64(x), uint64(y)
	if x < 0 {
		ux = -ux
	}
	if y < 0 {
		uy = -uy
	}
	hi, lo := bits.Mul64(ux, uy)
	if hi != 0 {
		return 0, true
	}
	if neg {
		if lo > 1<<63 {
			return 0, true
		}
		return -int64(lo), false
	}
	if lo > 1<<63-1 {
		return 0, true
	}
	return int64(lo), false
}

// ---------------------------------------------------------------- templates

// acceptSpan: does span s satisfy placeholder tp (binding a declaration)?
func (m *machine) acceptSpan(tp *tpart, s string) bool {
	v, ok := m.parseAs(tp.typ, s)
	if !ok {
		return false
	}
	if tp.kind == tpDecl {
		if tp.ctable >= 0 && !m.pol.ctTest(&m.pol.p.ctables[tp.ctable], &v) {
			return false
		}
		m.R[tp.reg] = v
		return true
	}
	return valueEqual(&v, &m.R[tp.reg])
}

// tmatch matches parts[k:] against s[pos:]: 1 matched, 0 not, -1 over the
// step budget.  Spans are chosen greedily from the left, longest first,
// backtracking; a candidate that fails gives back the set items it took.
func (m *machine) tmatch(parts []tpart, k int, s string, pos int) int {
	m.steps++
	if m.steps > maxMatchSteps {
		return -1
	}
	n := len(parts)
	if k == n {
		if pos == len(s) {
			return 1
		}
		return 0
	}
	tp := &parts[k]
	p := m.pol.p
	if tp.kind == tpLit {
		lit := p.str(tp.lit)
		if len(s)-pos < len(lit) || s[pos:pos+len(lit)] != lit {
			return 0
		}
		return m.tmatch(parts, k+1, s, pos+len(lit))
	}
	mark := m.scratch
	r := 0
	if k+1 == n {
		if len(s) > pos && m.acceptSpan(tp, s[pos:]) {
			r = 1
		}
	} else {
		lit := p.str(parts[k+1].lit)
		if len(s)-pos < len(lit)+1 {
			return 0
		}
		end := len(s) - len(lit)
		if k+2 == n {
			if s[end:] == lit && m.acceptSpan(tp, s[pos:end]) {
				r = m.tmatch(parts, k+1, s, end)
			}
		} else {
			for ; end > pos; end-- {
				if s[end:end+len(lit)] != lit {
					continue
				}
				m.steps++
				if m.steps > maxMatchSteps {
					r = -1
					break
				}
				if m.acceptSpan(tp, s[pos:end]) {
					r = m.tmatch(parts, k+1, s, end)
					if r != 0 {
						break
					}
				}
				m.scratch = mark
			}
		}
	}
	if r != 1 {
		m.scratch = mark
	}
	return r
}

// ---------------------------------------------------------------- the loop

// run evaluates block b; true when it holds, else *f says why.  What a
// failure records follows the C VM: the failing instruction's own values
// (a constant, a register, the operands of arithmetic), else the value a
// CONV of the same rule converted (or the first operand of arithmetic
// since), and the rule's slot unless a FIELD or FIELDT named another.
func (m *machine) run(b int, f *failRec) bool {
	pol := m.pol
	p := pol.p
	R := m.R
	code := pol.blockCode[b]
	var (
		pc       int
		convRule = ^uint32(0) // the rule of the last CONV
		lastX    value        // what CONV and arithmetic leave in the record
		fc       uint8        // why it failed
		fx, fy   bool         // the failing instruction shows x (as expected), y
		xw       bool         // it wrote x without showing it (a record's number)
		x, y     value
		slotSet  bool
		// the loops running (EACH): their device, record and record count
		ldev       [loopDepth]*Prepared
		lrec, lend [loopDepth]uint32
	)
	for ; pc < len(code); pc++ {
		in := &code[pc]
		switch in.op {
		case opOK:
			return true
		case opFAIL:
			fc = fFalse
			goto fail
		case opEMPTY:
			if fa := m.fact(in.t, in.a); fa.present && fa.raw != "" {
				fc = fNotEmpty
				goto fail
			}
		case opNONEMPTY:
			if fa := m.fact(in.t, in.a); !fa.present || fa.raw == "" {
				fc = fEmpty
				goto fail
			}
		case opEQSTR, opNESTR:
			fa := m.fact(in.t, in.a)
			k := &pol.consts[in.b]
			if !fa.present {
				fc = fMissing
			} else {
				eq := fa.raw == k.s
				if (in.op == opEQSTR) == eq {
					continue
				}
				fc = fNotEqual
				if eq {
					fc = fEqual
				}
			}
			x, fx = *k, true
			goto fail
		case opLOADF:
			fa := m.fact(in.t, in.b)
			if !fa.present {
				fc = fMissing
				goto fail
			}
			v, ok := m.facts[in.t>>7].get(fa, in.t&typeMask)
			if !ok {
				fc = fParse
				goto fail
			}
			R[in.a] = v
		case opCHECKT:
			if !pol.ctTest(&p.ctables[in.b], &R[in.a]) {
				fc = fConstraint
				goto fail
			}
		case opMATCH, opNMATCH:
			fa := m.fact(in.t, in.a)
			if !fa.present {
				fc = fMissing
				goto fail
			}
			var r int
			d := m.facts[in.t>>7]
			if pm := &d.pm[in.b]; in.pre != 0 && pm.result != pmLive {
				r = int(pm.result)
				if r == 1 && in.pre > 0 {
					R[in.pre-1] = d.vals[pm.vi]
				} else if r == 1 {
					for i, reg := range pol.tmplDecls[in.b] {
						R[reg] = d.vals[pm.vi+uint32(i)]
					}
				}
			} else {
				// every template of a check draws on one step budget
				t := &p.tmpls[in.b]
				m.setOver = false
				r = m.tmatch(p.tparts[t.first:t.first+t.n], 0, fa.raw, 0)
				if r == 0 && m.setOver && in.op == opMATCH {
					r = -2 // no match, and a set span was over the limit
				}
			}
			switch {
			case r == -2:
				fc = fScratch
			case r < 0:
				fc = fBudget
			case in.op == opMATCH && r == 0:
				fc = fNoMatch
			case in.op == opNMATCH && r == 1:
				fc = fMatch
			default:
				continue
			}
			goto fail
		case opFCMP:
			fa := m.fact(in.t, in.a)
			t, cmp := in.t&typeMask, (in.t>>4)&7
			yv := &R[in.b]
			var c int
			var v value
			var ok bool
			if !fa.present {
				fc = fMissing
				goto fcmpFail
			}
			if t == tString && yv.t == tString {
				if fa.raw == yv.s {
					continue
				}
				c = strings.Compare(fa.raw, yv.s)
				goto fcmpOut
			}
			if v, ok = m.facts[in.t>>7].get(fa, t); !ok {
				fc = fParse
				goto fcmpFail
			}
			switch {
			case t == tInt && yv.t == tInt:
				c = cmpI64(v.i, yv.i)
			case t == tHex && yv.t == tHex:
				c = cmpU64(uint64(v.i), uint64(yv.i))
			case t == tSet:
				if cmp != cmpEQ && cmp != cmpNE {
					fc = fCompare
					goto fcmpFail
				}
				if !setEqual(v.x.set, yv.x.set) {
					c = 1
				}
			default:
				c = valueCmp(&v, yv)
			}
		fcmpOut:
			if cmpResult(c, cmp) {
				continue
			}
			switch cmp {
			case cmpEQ:
				fc = fNotEqual
			case cmpNE:
				fc = fEqual
			default:
				fc = fCompare
			}
		fcmpFail: // the reason shows the register compared with
			x, fx = *yv, true
			goto fail
		case opWHERE:
			if R[in.a].i == 0 {
				fc = fFalse
				goto fail
			}
		case opLOADK:
			R[in.a] = pol.consts[in.b]
		case opMOVE:
			R[in.a] = R[in.b]
		case opFIELD:
			fa := m.fact(in.t, in.b)
			if !fa.present {
				f.slot, f.side, slotSet = int32(in.b), in.t&sideSource, true
				fc = fOperandAbsent
				goto fail
			}
			R[in.a] = value{t: tString, s: fa.raw}
		case opFIELDT:
			fa := m.fact(in.t, in.b)
			if !fa.present {
				fc = fOperandAbsent
			} else if v, ok := m.facts[in.t>>7].get(fa, in.t&typeMask); ok {
				R[in.a] = v
				continue
			} else {
				fc = fConvert
			}
			f.slot, f.side, slotSet = int32(in.b), in.t&sideSource, true
			goto fail
		case opHAS:
			fa := m.fact(in.t, in.b)
			R[in.a] = value{t: tBool, i: b2i(fa.present && fa.raw != "")}
		case opCONV:
			lastX, convRule = R[in.b], in.rule
			t := in.t & typeMask
			v, ok := m.parseAs(t, lastX.s)
			if !ok {
				fc = fConvert
				if t == tSet {
					fc = fScratch
				}
				goto fail
			}
			R[in.a] = v
		case opNEG:
			xv, ok := asInt(&R[in.b])
			if !ok || xv == -1<<63 {
				x, y, fy = R[in.b], R[in.b], true // the reason shows the operand
				fc = fOverflow
				goto fail
			}
			R[in.a] = putInt(-xv, R[in.b].t == tHex)
		case opNOT:
			R[in.a] = value{t: tBool, i: b2i(R[in.b].i == 0)}
		case opADD, opSUB, opMUL, opDIV, opMOD:
			bv, cv := &R[in.b], &R[in.c]
			if bv.t == tInt && cv.t == tInt && in.op == opMUL {
				// int32 operands cannot overflow: no call for the usual case
				z, over := bv.i*cv.i, false
				if uint64(bv.i+1<<31) >= 1<<32 || uint64(cv.i+1<<31) >= 1<<32 {
					z, over = mulOver(bv.i, cv.i)
				}
				if !over {
					if convRule == in.rule {
						lastX = *bv
					}
					R[in.a] = value{t: tInt, i: z}
					continue
				}
			}
			if bv.t == tInt && cv.t == tInt && in.op == opDIV && cv.i > 0 && bv.i%cv.i == 0 {
				if convRule == in.rule {
					lastX = *bv
				}
				R[in.a] = value{t: tInt, i: bv.i / cv.i}
				continue
			}
			if convRule == in.rule {
				// what the record shows after a CONV of this rule: the first
				// operand of the arithmetic since (only then does it show)
				lastX = *bv
			}
			if fc = arith(in.op, bv, cv, &R[in.a]); fc == fNone {
				continue
			}
			// both operands shown; the first as "expected" only after a CONV
			x, y, fy = *bv, *cv, true
			goto fail
		case opLT, opLE, opGT, opGE:
			bv, cv := &R[in.b], &R[in.c]
			var c int
			if bv.t == tInt && cv.t == tInt {
				c = cmpI64(bv.i, cv.i)
			} else {
				c = valueCmp(bv, cv)
			}
			R[in.a] = value{t: tBool, i: b2i(cmpResult(c, cmpLT+(in.op-opLT)))}
		case opEQ, opNE:
			bv, cv := &R[in.b], &R[in.c]
			var eq bool
			if bv.t == tInt && cv.t == tInt {
				eq = bv.i == cv.i
			} else {
				eq = valueEqual(bv, cv)
			}
			R[in.a] = value{t: tBool, i: b2i(eq == (in.op == opEQ))}
		case opJF:
			if R[in.a].i == 0 {
				pc += int(in.b)
			}
		case opJT:
			if R[in.a].i != 0 {
				pc += int(in.b)
			}
		case opMAJOR, opMINOR, opPATCH:
			e := R[in.b].x
			n := e.major
			if in.op == opMINOR {
				n = e.minor
			} else if in.op == opPATCH {
				n = e.patch
			}
			if n > 1<<63-1 {
				fc = fOverflow
				goto fail
			}
			R[in.a] = value{t: tInt, i: int64(n)}
		case opLEN:
			v := &R[in.b]
			n := len(v.s)
			if v.t == tSet {
				n = len(v.x.set)
			}
			R[in.a] = value{t: tInt, i: int64(n)}
		case opCONTAINS:
			R[in.a] = value{t: tBool, i: b2i(setContains(R[in.b].x.set, R[in.c].s))}
		case opSUBSET:
			R[in.a] = value{t: tBool, i: b2i(setSubset(R[in.b].x.set, R[in.c].x.set))}
		case opMIN, opMAX:
			bv, cv := &R[in.b], &R[in.c]
			xi, ok1 := asInt(bv)
			yi, ok2 := asInt(cv)
			if !ok1 || !ok2 {
				x, y, fy = *bv, *cv, true // the reason shows the operands
				fc = fOverflow
				goto fail
			}
			z := xi
			if (in.op == opMIN) == (yi < xi) {
				z = yi
			}
			R[in.a] = putInt(z, bv.t == tHex || cv.t == tHex)
		case opBITS:
			bv := &R[in.b]
			if bv.t == tInt && bv.i < 0 {
				x, fx = *bv, true
				fc = fNegative
				goto fail
			}
			n := bits.OnesCount64(uint64(bv.i))
			if maxSetItems-m.scratch < n {
				fc = fScratch
				goto fail
			}
			m.scratch += n
			R[in.a] = setValue(bitsSet(uint64(bv.i), n))
		case opEACH:
			// loops: EACH, the body, AGAIN (docs/bytecode.md, "Loops"); the
			// verifier saw that they nest and that every RFIELD is in its loop
			dev := m.facts[in.t>>7]
			lv := (in.t & loopLevel) >> 1
			R[in.a] = value{t: tBool, i: b2i(in.t&loopAny == 0)}
			n := uint32(0)
			if dev.recN != nil {
				n = dev.recN[in.b]
			}
			if n == 0 {
				pc += int(in.c)
				continue
			}
			ldev[lv], lrec[lv], lend[lv] = dev, 0, n
		case opAGAIN:
			lv := (in.t & loopLevel) >> 1
			anyLoop := in.t&loopAny != 0
			if (R[in.b].i != 0) == anyLoop {
				R[in.a] = value{t: tBool, i: b2i(anyLoop)}
				continue
			}
			if lrec[lv]++; lrec[lv] < lend[lv] {
				pc -= int(in.c) + 1 // the loop steps onto the body's first
			}
		case opRFIELD, opRHAS:
			lv := 0
			if in.c != 0 {
				lv = 1
			}
			fv := &ldev[lv].recField[in.b][lrec[lv]]
			if in.op == opRHAS {
				R[in.a] = value{t: tBool, i: b2i(fv.present && fv.s != "")}
				continue
			}
			if !fv.present {
				f.slot, f.side, slotSet = -1, in.t&sideSource, true
				x, xw = value{t: tInt, i: int64(lrec[lv])}, true
				fc = fRecordAbsent
				goto fail
			}
			R[in.a] = value{t: tString, s: fv.s}
		default:
			fc = fFalse // unreachable for verified programs
			goto fail
		}
	}
	return false // unreachable: a verified block ends with OK
fail:
	// what the record shows of the failing instruction: the type a parse
	// wanted (LOADF, FIELDT, FCMP, CONV), the table or record field (CHECKT,
	// MATCH, RFIELD); set apart from the hot path
	in := &code[pc]
	typ, aux := in.t&typeMask, int32(in.b)
	rule := in.rule
	convInRule := convRule == rule // a CONV ran in the failing rule
	f.code, f.rule, f.typ, f.aux = fc, rule, typ, aux
	switch {
	case fx || fy || xw:
		f.x = x
	case convInRule:
		f.x = lastX
	}
	f.hasX, f.hasY = fx || convInRule, fy
	if fy {
		f.y = y
	}
	if !slotSet {
		f.slot, f.side = p.rules[rule].slot, p.rules[rule].side
	}
	return false
}

// arith computes ADD SUB MUL DIV MOD of two ints or hexes into *dst, checked:
// fNone, or why it failed.
func arith(op uint8, bv, cv *value, dst *value) uint8 {
	xi, ok1 := asInt(bv)
	yi, ok2 := asInt(cv)
	if !ok1 || !ok2 {
		return fOverflow
	}
	var z int64
	over := false
	switch op {
	case opADD:
		z, over = addOver(xi, yi)
	case opSUB:
		z, over = subOver(xi, yi)
	case opMUL:
		z, over = mulOver(xi, yi)
	case opDIV:
		switch {
		case yi == 0:
			return fDivZero
		case xi == -1<<63 && yi == -1:
			return fOverflow
		case xi%yi != 0:
			return fInexact
		}
		z = xi / yi
	default:
		switch {
		case yi == 0:
			return fDivZero
		case yi != -1:
			z = xi % yi
		}
	}
	if over {
		return fOverflow
	}
	*dst = putInt(z, bv.t == tHex || cv.t == tHex)
	return fNone
}

func (m *machine) fact(t uint8, slot uint16) *pfact {
	return &m.facts[t>>7].slots[slot]
}
