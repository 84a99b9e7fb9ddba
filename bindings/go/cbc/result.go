package cbc

// result.go -- what a check tells: verdict, block, bindings, reasons, as
// the C library's src/result.c words them, and the JSON object of
// `compatc check --json`.

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Result is the outcome of a check.  Its methods read it; Check (on a
// Result) replaces it.  Not safe for concurrent use.
type Result struct {
	pol            *Policy
	source, target *Prepared
	verdict        Verdict
	block          int
	regs           []value
	fails          []failRec
}

// Verdict is compatible, incompatible or target-mismatch.
func (r *Result) Verdict() Verdict { return r.verdict }

// Compatible is Verdict() == Compatible.
func (r *Result) Compatible() bool { return r.verdict == Compatible }

// Block is the COMPATIBLE block that matched (0-based), or -1.
func (r *Result) Block() int { return r.block }

// BlockName is the matching block's name, "" when unnamed or none matched.
func (r *Result) BlockName() string { return r.pol.BlockName(r.block) }

// Policy is the policy of the check.
func (r *Result) Policy() *Policy { return r.pol }

// Type is the type of a binding.
type Type int

// The types, numbered as the C library's dc_type.
const (
	TypeInt Type = iota + 1
	TypeHex
	TypeString
	TypeSemver
	TypeBool
	TypeSet
)

func (t Type) String() string {
	if n := typeName(uint8(t)); n != "" && t > 0 {
		return n
	}
	return "unknown"
}

// Binding is a variable a compatible check bound.
type Binding struct {
	Name string
	Type Type
	Int  int64  // an int's value, a hex's as uint64 bits; 0 otherwise
	Text string // canonical text: int decimal, hex lowercase, semver canonical, set sorted
}

// Bindings are SELF's variables, then the matching block's; none unless
// the result is compatible.
func (r *Result) Bindings() []Binding {
	if r.verdict != Compatible {
		return nil
	}
	p := r.pol.p
	self, b := &p.blocks[0], &p.blocks[r.block+1]
	var out []Binding
	for _, blk := range []*pblock{self, b} {
		for k := uint32(0); k < blk.nvars; k++ {
			x := &p.vars[blk.firstVar+k]
			v := &r.regs[x.reg]
			bd := Binding{Name: p.str(x.name), Type: Type(x.typ), Text: cstr(render(v))}
			if x.typ == tInt || x.typ == tHex {
				bd.Int = v.i
			}
			out = append(out, bd)
		}
	}
	return out
}

// Reason is why a block did not hold: for an incompatible result one per
// COMPATIBLE block, for a target mismatch SELF's (Block -1).
type Reason struct {
	Block     int    // COMPATIBLE index, -1 for SELF
	BlockName string // "" when unnamed
	File      string
	Line      int
	Field     string // "" for a `where` rule
	Expected  string // what the rule wanted
	Actual    string // what the device had
	HasActual bool   // false when the field is absent (or the rule is a where)
	Message   string // one sentence, without file and line, with Values and Missing
	// Values are the variables the rule read, bound before it failed
	// (t = 259 for mdev_type = nvidia-{t}), in the order it reads them;
	// nil when none.
	Values []Binding
	// Missing is, for a false subset(a, b), the items of a that b lacks,
	// sorted and comma-separated ("macsec"); "" otherwise.
	Missing string
}

// bigHex: a hex value arithmetic cannot take (above the signed 64-bit range).
func bigHex(v *value) bool { return v.t == tHex && uint64(v.i) > 1<<63-1 }

var cmpTexts = [...]string{"=", "!=", "<", "<=", ">", ">="}

func cmpText(c uint8) string {
	if int(c) < len(cmpTexts) {
		return cmpTexts[c]
	}
	return "?"
}

// Reasons: none for a compatible result.
func (r *Result) Reasons() []Reason {
	var out []Reason
	switch r.verdict {
	case TargetMismatch:
		out = append(out, r.reason(0))
	case Incompatible:
		for b := 1; b < len(r.pol.p.blocks); b++ {
			out = append(out, r.reason(b))
		}
	}
	return out
}

// reason words block b's failure.  Every string is cut at a NUL, as the C
// library's C strings are.
func (r *Result) reason(b int) Reason {
	pol := r.pol
	p := pol.p
	f := &r.fails[b]
	pr := &p.rules[f.rule]
	dev := r.target
	if pr.side != 0 {
		dev = r.source
	}
	out := Reason{Block: b - 1, File: pol.file, Line: int(pr.line)}
	if b > 0 {
		out.BlockName = pol.blockNames[b-1]
	}
	if pr.slot >= 0 {
		out.Field = cstr(pol.slotNames[pr.slot])
		if x := &dev.slots[pr.slot]; x.present {
			out.Actual, out.HasActual = x.raw, true
		}
	}
	written := cstr(p.str(pr.expected))
	if f.hasX && pr.slot >= 0 {
		out.Expected = cstr(render(&f.x))
	} else {
		out.Expected = written
	}
	field, actual := out.Field, out.Actual
	tn := typeName(f.typ)
	if tn == "" {
		tn = "value"
	}
	sep := ""
	if field != "" {
		sep = ": "
	}
	var msg string
	switch f.code {
	case fMissing:
		msg = fmt.Sprintf("%s is absent; the rule wants %s %s", field, cmpText(pr.op), out.Expected)
	case fNotEmpty:
		msg = fmt.Sprintf("%s must be absent or empty, but is '%s'", field, actual)
	case fEmpty:
		msg = fmt.Sprintf("%s must be present and non-empty", field)
	case fNotEqual:
		msg = fmt.Sprintf("%s is '%s', expected '%s'", field, actual, out.Expected)
	case fEqual:
		msg = fmt.Sprintf("%s is '%s', which the rule excludes", field, actual)
	case fParse:
		if f.typ == tSet && out.HasActual {
			msg = fmt.Sprintf("%s has %d items, more than %d (the limit for a set)", field,
				setCount(actual), maxSetItems)
		} else if f.typ == tSemver && out.HasActual {
			msg = fmt.Sprintf("%s '%s' is not a valid semver: %s", field, actual,
				semverWhy(actual))
		} else {
			msg = fmt.Sprintf("%s '%s' is not a valid %s", field, actual, tn)
		}
	case fConstraint:
		msg = fmt.Sprintf("%s '%s' is outside the allowed values %s", field, actual,
			cstr(p.str(p.ctables[f.aux].text)))
		out.Expected = written
	case fNoMatch:
		msg = fmt.Sprintf("%s '%s' does not match %s", field, actual, out.Expected)
	case fMatch:
		msg = fmt.Sprintf("%s '%s' matches %s, which the rule excludes", field, actual,
			out.Expected)
	case fCompare:
		msg = fmt.Sprintf("%s %s is not %s %s", field, actual, cmpText(pr.op), out.Expected)
	case fFalse:
		msg = fmt.Sprintf("condition is false: %s", out.Expected)
	case fOverflow:
		if f.hasY && (bigHex(&f.x) || bigHex(&f.y)) {
			v := &f.y
			if bigHex(&f.x) {
				v = &f.x
			}
			msg = fmt.Sprintf("%s%shex value %s outside the signed 64-bit range of arithmetic "+
				"in %s", field, sep, cstr(render(v)), written)
		} else {
			msg = fmt.Sprintf("%s%sinteger overflow while computing %s", field, sep, written)
		}
		out.Expected = written
	case fDivZero:
		msg = fmt.Sprintf("%s%sdivision by zero in %s", field, sep, written)
		out.Expected = written
	case fInexact:
		msg = fmt.Sprintf("%s%sinexact division %s/%s in %s", field, sep, cstr(render(&f.x)),
			cstr(render(&f.y)), written)
		out.Expected = written
	case fOperandAbsent:
		who := "self"
		if f.side != 0 {
			who = "source"
		}
		msg = fmt.Sprintf("%s.%s is absent", who, cstr(pol.slotNames[f.slot]))
		out.Expected = written
	case fConvert:
		if f.typ == tSet { // any text is a set: it was over the limit
			msg = fmt.Sprintf("a set of more than %d items (the limit for a set) in %s",
				maxSetItems, written)
		} else {
			msg = fmt.Sprintf("a value does not parse as %s in %s", tn, written)
		}
		out.Expected = written
	case fBudget:
		msg = fmt.Sprintf("%s: matching '%s' against %s exhausted the check's template budget "+
			"(%d steps, the limit)", field, actual, out.Expected, maxMatchSteps)
	case fScratch:
		msg = fmt.Sprintf("%s%sa set of more than %d items (the limit for the sets a block "+
			"builds) in %s", field, sep, maxSetItems, written)
	case fRecordAbsent:
		rf := &p.recfields[f.aux]
		who := "self"
		if f.side != 0 {
			who = "source"
		}
		msg = fmt.Sprintf("%s.%s.%d.%s is absent", who, cstr(p.str(p.recsets[rf.set])), f.x.i,
			cstr(p.str(rf.name)))
		out.Expected = written
	case fNegative:
		msg = fmt.Sprintf("bits() of a negative number (%s) in %s", cstr(render(&f.x)), written)
		out.Expected = written
	default:
		msg = "no reason"
	}
	again := r.rerun(b, f)
	out.Values = r.reasonValues(b, f.rule, again)
	if f.code == fFalse && again {
		out.Missing = r.subsetMissing(b, f.rule)
	}
	out.Message = withValues(msg, &out)
	return out
}

// withValues is a message with the values involved (docs/language.md,
// section 9): "MESSAGE: missing a,b (x = 1; y = 2)".
func withValues(msg string, why *Reason) string {
	if why.Missing != "" {
		msg += ": missing " + why.Missing
	}
	for j, v := range why.Values {
		if j == 0 {
			msg += " ("
		} else {
			msg += "; "
		}
		msg += v.Name + " = " + v.Text
	}
	if len(why.Values) > 0 {
		msg += ")"
	}
	return msg
}

// ruleCode is the code of rule ri in block b: [start, end) of p.code, its
// RULE first.
func (r *Result) ruleCode(b int, ri uint32) (int, int, bool) {
	p := r.pol.p
	blk := &p.blocks[b]
	for pc := int(blk.entry); pc < int(blk.end) && pc < len(p.code); pc++ {
		if p.code[pc].op != opRULE || uint32(p.code[pc].a)+blk.firstRule != ri {
			continue
		}
		e := pc + 1
		for e < int(blk.end) && e < len(p.code) && p.code[e].op != opRULE && p.code[e].op != opOK {
			e++
		}
		return pc, e, true
	}
	return 0, 0, false
}

// varIn is the variable (of SELF or block b) held in register reg, or -1.
func (r *Result) varIn(b int, reg uint16) int {
	p := r.pol.p
	blocks := []*pblock{&p.blocks[b], &p.blocks[0]}
	if b == 0 {
		blocks = blocks[:1]
	}
	for _, blk := range blocks {
		for v := blk.firstVar; v < blk.firstVar+blk.nvars; v++ {
			if p.vars[v].reg == reg {
				return int(v)
			}
		}
	}
	return -1
}

// rerun runs block b again, so that the registers hold what they held
// when its rule failed (later blocks reuse them), on a template budget of
// its own: true when it fails the same way.
func (r *Result) rerun(b int, f *failRec) bool {
	if r.source == nil || r.target == nil || f.code == fNone {
		return false
	}
	m := machine{pol: r.pol, facts: [2]*Prepared{r.target, r.source}, R: r.regs}
	if b > 0 {
		m.scratch = r.target.selfScratch
	}
	var again failRec
	if m.run(b, &again) {
		return false
	}
	return again.rule == f.rule && again.code == f.code
}

// operands are an instruction's operand roles (opcodes.def) and values.
func operands(in *insn) (string, [3]uint16) {
	roles := "---"
	if int(in.op) < len(opOperands) {
		roles = opOperands[in.op]
	}
	return roles, [3]uint16{in.a, in.b, in.c}
}

// reasonValues are the variables rule ri of block b reads and does not
// bind itself, in the order it reads them: SELF's always (while a
// COMPATIBLE block runs), the block's own when it ran again (blockRegs).
func (r *Result) reasonValues(b int, ri uint32, blockRegs bool) []Binding {
	p := r.pol.p
	start, end, ok := r.ruleCode(b, ri)
	if !ok {
		return nil
	}
	self := &p.blocks[0]
	var vars []int
	for pc := start + 1; pc < end; pc++ {
		in := &p.code[pc]
		roles, ops := operands(in)
		var read []uint16
		for k := 0; k < 3; k++ {
			if roles[k] == 'R' {
				read = append(read, ops[k])
			}
			if roles[k] == 'P' && int(ops[k]) < len(p.tmpls) {
				t := &p.tmpls[ops[k]]
				for j := uint32(0); j < t.n && len(read) < 3+2*maxPlaceholders+1; j++ {
					if tp := &p.tparts[t.first+j]; tp.kind == tpCmp {
						read = append(read, tp.reg)
					}
				}
			}
		}
		for _, reg := range read {
			v := r.varIn(b, reg)
			ofSelf := v >= int(self.firstVar) && v < int(self.firstVar+self.nvars)
			seen := v < 0 || (!blockRegs && !(ofSelf && b > 0))
			for _, x := range vars {
				if seen {
					break
				}
				seen = x == v
			}
			if !seen && len(vars) < 64 {
				vars = append(vars, v)
			}
		}
	}
	// what the rule binds itself (before or after reading it) is not a
	// value it was given
	bound := make([]bool, len(vars))
	for pc := start + 1; pc < end; pc++ {
		in := &p.code[pc]
		roles, ops := operands(in)
		for k := 0; k < 3; k++ {
			if roles[k] == 'V' {
				for j, x := range vars {
					if p.vars[x].reg == ops[k] {
						bound[j] = true
					}
				}
			}
		}
		if (in.op == opMATCH || in.op == opNMATCH) && int(in.b) < len(p.tmpls) {
			t := &p.tmpls[in.b]
			for j := uint32(0); j < t.n; j++ {
				tp := &p.tparts[t.first+j]
				for q, x := range vars {
					if tp.kind == tpDecl && p.vars[x].reg == tp.reg {
						bound[q] = true
					}
				}
			}
		}
	}
	var out []Binding
	for j, x := range vars {
		if bound[j] {
			continue
		}
		v := &p.vars[x]
		val := &r.regs[v.reg]
		bd := Binding{Name: cstr(p.str(v.name)), Type: Type(v.typ), Text: cstr(render(val))}
		if v.typ == tInt || v.typ == tHex {
			bd.Int = val.i
		}
		out = append(out, bd)
	}
	return out
}

// subsetMissing: for a false `where subset(a, b)`, the items of a not in
// b, when the SUBSET is what the where tests and certainly ran (no jump of
// the rule skips to the test).
func (r *Result) subsetMissing(b int, ri uint32) string {
	p := r.pol.p
	start, end, ok := r.ruleCode(b, ri)
	if !ok || end < start+3 {
		return ""
	}
	w, s := &p.code[end-1], &p.code[end-2]
	if w.op != opWHERE || s.op != opSUBSET || s.a != w.a {
		return ""
	}
	for pc := start + 1; pc < end; pc++ {
		in := &p.code[pc]
		if j := opFind(in.op, 'J'); j >= 0 {
			ops := [3]uint16{in.a, in.b, in.c}
			if pc+1+int(ops[j]) >= end-1 {
				return ""
			}
		}
	}
	a, c := &r.regs[s.b], &r.regs[s.c]
	if a.t != tSet || c.t != tSet {
		return ""
	}
	var miss []string
	for _, it := range a.x.set {
		if !setContains(c.x.set, it) {
			miss = append(miss, it)
		}
	}
	return strings.Join(miss, ",")
}

// Explain is every reason as text, one line each, "FILE:LINE: BLOCK: MESSAGE".
func (r *Result) Explain() string {
	var b strings.Builder
	for _, why := range r.Reasons() {
		head := "SELF"
		if why.Block >= 0 {
			head = "block " + strconv.Itoa(why.Block)
			if why.BlockName != "" {
				head += " (" + textEsc(why.BlockName) + ")"
			}
		}
		fmt.Fprintf(&b, "%s:%d: %s: %s\n", textEsc(why.File), why.Line, head, textEsc(why.Message))
	}
	return b.String()
}

// utf8Len is the length of a valid UTF-8 sequence at s[0], 0 when there is
// none (overlong forms, surrogates and code points over U+10FFFF are not).
func utf8Len(s string) int {
	r, n := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError && n <= 1 {
		return 0
	}
	return n
}

// textEsc is s as the library writes text: printable ASCII, tabs and valid
// UTF-8 as they are, any other byte as \xHH.
func textEsc(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		c := s[i]
		if c == '\t' || (c >= 0x20 && c < 0x7f) {
			b.WriteByte(c)
			i++
			continue
		}
		if n := utf8Len(s[i:]); c >= 0x80 && n > 0 {
			b.WriteString(s[i : i+n])
			i += n
			continue
		}
		fmt.Fprintf(&b, "\\x%02X", c)
		i++
	}
	return b.String()
}

// jsonStr writes s as the library does: \" \\ \n \t \r escaped, other
// bytes below 0x20 and 0x7f as \u00XX, valid UTF-8 as it is, any other
// byte as the text \xHH.
func jsonStr(b *strings.Builder, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		i++
		switch c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		case '\r':
			b.WriteString(`\r`)
		default:
			switch n := utf8Len(s[i-1:]); {
			case c < 0x20 || c == 0x7f:
				fmt.Fprintf(b, `\u%04x`, c)
			case c < 0x80:
				b.WriteByte(c)
			case n > 0:
				b.WriteString(s[i-1 : i-1+n])
				i += n - 1
			default:
				fmt.Fprintf(b, `\\x%02X`, c)
			}
		}
	}
	b.WriteByte('"')
}

func jsonOptStr(b *strings.Builder, s string, present bool) {
	if !present {
		b.WriteString("null")
		return
	}
	jsonStr(b, s)
}

// Outcome is everything a check tells, as plain values: what the C
// binding (package devcompat) returns too, so that both render the same.
type Outcome struct {
	Verdict   Verdict
	Policy    string // the policy's name
	Block     int    // the COMPATIBLE block that matched, or -1
	BlockName string // its name, "" when unnamed or none matched
	Bindings  []Binding
	Reasons   []Reason
	Explain   string // the reasons as text, one line each
}

// Outcome copies out everything the result tells.
func (r *Result) Outcome() *Outcome {
	return &Outcome{Verdict: r.verdict, Policy: r.pol.name, Block: r.block,
		BlockName: r.BlockName(), Bindings: r.Bindings(), Reasons: r.Reasons(),
		Explain: r.Explain()}
}

// Compatible is Verdict == Compatible.
func (o *Outcome) Compatible() bool { return o.Verdict == Compatible }

// valueJSON writes a binding's value: an int as a number, anything else
// (a hex included) as its canonical text, as --explain shows it.
func valueJSON(b *strings.Builder, bd *Binding) {
	if bd.Type == TypeInt {
		b.WriteString(strconv.FormatInt(bd.Int, 10))
		return
	}
	jsonStr(b, bd.Text)
}

func (o *Outcome) reasonsJSON(b *strings.Builder) {
	b.WriteByte('[')
	for i, why := range o.Reasons {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(`{"block": `)
		if why.Block < 0 {
			b.WriteString("null")
		} else {
			b.WriteString(strconv.Itoa(why.Block))
		}
		b.WriteString(`, "block_name": `)
		jsonOptStr(b, why.BlockName, why.BlockName != "")
		b.WriteString(`, "file": `)
		jsonStr(b, why.File)
		fmt.Fprintf(b, `, "line": %d, "field": `, why.Line)
		jsonOptStr(b, why.Field, why.Field != "")
		b.WriteString(`, "expected": `)
		jsonStr(b, why.Expected)
		b.WriteString(`, "actual": `)
		jsonOptStr(b, why.Actual, why.HasActual)
		b.WriteString(`, "message": `)
		jsonStr(b, why.Message)
		b.WriteString(`, "values": {`)
		for j, v := range why.Values {
			if j > 0 {
				b.WriteString(", ")
			}
			jsonStr(b, v.Name)
			b.WriteString(": ")
			valueJSON(b, &v)
		}
		b.WriteString(`}, "missing": `)
		if why.Missing == "" {
			b.WriteString("null")
		} else {
			b.WriteByte('[')
			for j, it := range strings.Split(why.Missing, ",") {
				if j > 0 {
					b.WriteString(", ")
				}
				jsonStr(b, it)
			}
			b.WriteByte(']')
		}
		b.WriteByte('}')
	}
	b.WriteByte(']')
}

// JSON is the object the library renders for this check (dc_result_render)
// and `compatc check --json` prints (without its newline).  A target
// mismatch gives the error object, its message naming no target.
func (o *Outcome) JSON() string {
	return o.JSONNamed("")
}

// JSONNamed is JSON with the target named as given in a mismatch message.
func (o *Outcome) JSONNamed(target string) string {
	var b strings.Builder
	if o.Verdict == TargetMismatch {
		b.WriteString(`{"error": "target-mismatch", "message": `)
		jsonStr(&b, o.MismatchMessage(target))
		b.WriteString(`, "reasons": `)
		o.reasonsJSON(&b)
		b.WriteByte('}')
		return b.String()
	}
	fmt.Fprintf(&b, `{"compatible": %t, "policy": `, o.Verdict == Compatible)
	jsonStr(&b, o.Policy)
	if o.Verdict == Compatible {
		fmt.Fprintf(&b, `, "block": %d, "block_name": `, o.Block)
	} else {
		b.WriteString(`, "block": null, "block_name": `)
	}
	jsonOptStr(&b, o.BlockName, o.BlockName != "")
	b.WriteString(`, "bindings": {`)
	for i, bd := range o.Bindings {
		if i > 0 {
			b.WriteString(", ")
		}
		jsonStr(&b, bd.Name)
		b.WriteString(": ")
		valueJSON(&b, &bd)
	}
	b.WriteString(`}, "reasons": `)
	o.reasonsJSON(&b)
	b.WriteByte('}')
	return b.String()
}

// MismatchMessage is the library's sentence for a target mismatch, naming
// the target when target is not "" ("" for another verdict).
func (o *Outcome) MismatchMessage(target string) string {
	if o.Verdict != TargetMismatch || len(o.Reasons) == 0 {
		return ""
	}
	why := o.Reasons[0]
	if target != "" {
		target += " is "
	}
	return fmt.Sprintf("%snot a target of policy %s: %s:%d: %s", target, o.Policy,
		why.File, why.Line, why.Message)
}

// JSON is Outcome().JSON().
func (r *Result) JSON() string { return r.Outcome().JSON() }

// JSONNamed is Outcome().JSONNamed(target).
func (r *Result) JSONNamed(target string) string { return r.Outcome().JSONNamed(target) }
