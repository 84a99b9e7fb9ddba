package cbc

// policy.go -- a loaded policy, facts prepared for it, and checks
// (docs/language.md, "Evaluation"; docs/go.md).

import (
	"sort"
	"strings"
)

type comparator struct {
	op uint8
	v  value
}

// Policy is a verified compiled policy.  It is immutable: any number of
// goroutines may prepare facts and check pairs with it at once.
type Policy struct {
	p          *program
	name, file string
	consts     []value
	strs       []string
	cmps       []comparator
	slotNames  []string
	slotIndex  map[string]int
	blockNames []string // per COMPATIBLE block, "" when unnamed
}

// cstr is s up to its first NUL: what the C library hands out as a C
// string (a crafted file's strings may hold NULs; names never do).
func cstr(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

func newPolicy(p *program) *Policy {
	pol := &Policy{p: p, name: cstr(p.str(p.name)), file: cstr(p.str(p.file))}
	pol.consts = make([]value, len(p.kconsts))
	for i, k := range p.kconsts {
		v := value{t: k.typ}
		switch k.typ {
		case tInt, tHex:
			v.i = k.i
		case tBool:
			v.i = b2i(k.i != 0)
		case tString:
			v.s = p.str(k.s)
		case tSemver:
			v.major, v.minor, v.patch, v.s = k.major, k.minor, k.patch, p.str(k.s)
		}
		pol.consts[i] = v
	}
	pol.strs = make([]string, len(p.strrefs))
	for i, r := range p.strrefs {
		pol.strs[i] = p.str(r)
	}
	pol.cmps = make([]comparator, len(p.kcmps))
	for i, k := range p.kcmps {
		pol.cmps[i] = comparator{k.op, value{t: tSemver, major: k.major, minor: k.minor,
			patch: k.patch, s: p.str(k.pre)}}
	}
	pol.slotNames = make([]string, len(p.slots))
	pol.slotIndex = make(map[string]int, len(p.slots))
	for i, s := range p.slots {
		pol.slotNames[i] = p.str(s.name)
		if _, dup := pol.slotIndex[pol.slotNames[i]]; !dup {
			pol.slotIndex[pol.slotNames[i]] = i
		}
	}
	pol.blockNames = make([]string, len(p.blocks)-1)
	for i := range pol.blockNames {
		pol.blockNames[i] = p.str(p.blocks[i+1].name)
	}
	return pol
}

// Name is the policy's name (its POLICY block's, or its file's).
func (pol *Policy) Name() string { return pol.name }

// File is the source file the policy was compiled from, as reasons name it.
func (pol *Policy) File() string { return pol.file }

// Blocks is the number of COMPATIBLE blocks.
func (pol *Policy) Blocks() int { return len(pol.blockNames) }

// BlockName is the name of COMPATIBLE block i, "" when it has none.
func (pol *Policy) BlockName(i int) string {
	if i < 0 || i >= len(pol.blockNames) {
		return ""
	}
	return pol.blockNames[i]
}

// Fields are the names of the facts the policy reads, sorted.
func (pol *Policy) Fields() []string {
	names := append([]string(nil), pol.slotNames...)
	sort.Strings(names)
	return names
}

// ---------------------------------------------------------------- prepared

// pfact is one fact as the policy reads it: its text, and its value as each
// type (bit 1<<type in ok when that type parsed; a string always does).
type pfact struct {
	present bool
	ok      uint8
	raw     string
	vals    []value
}

func (f *pfact) as(t uint8) (value, bool) {
	if f.ok&(1<<t) == 0 {
		return value{}, false
	}
	if t == tString {
		return value{t: tString, s: f.raw}, true
	}
	for i := range f.vals {
		if f.vals[i].t == t {
			return f.vals[i], true
		}
	}
	return value{}, false
}

// Prepared is a device's facts prepared for one policy: names resolved,
// values parsed to every type the policy reads them as, and the policy's
// SELF block run on them (as a target).  Immutable once made: share it
// between goroutines freely.
type Prepared struct {
	pol   *Policy
	slots []pfact
	// SELF's outcome on these facts as a target
	selfHolds   bool
	selfFail    failRec
	selfRegs    []value // SELF's variables, in order
	selfScratch int
}

// Prepare checks facts (SPEC's names and values: docs/facts.md) and
// prepares them for the policy.  Values are trimmed of leading and trailing
// blanks and newlines, as every reader of the C library trims them.
func (pol *Policy) Prepare(facts map[string]string) (*Prepared, error) {
	if err := CheckFacts(facts); err != nil {
		return nil, err
	}
	p := pol.p
	d := &Prepared{pol: pol, slots: make([]pfact, len(p.slots))}
	for s := range p.slots {
		raw, ok := facts[pol.slotNames[s]]
		if !ok {
			continue
		}
		raw = trimValue(raw)
		x := &d.slots[s]
		x.present, x.raw, x.ok = true, raw, 1<<tString
		types := p.slots[s].types &^ (1 << tString) & (1<<tCount - 2)
		for t := uint8(tInt); t < tCount; t++ {
			if types&(1<<t) == 0 {
				continue
			}
			var v value
			if t == tSet {
				items, _ := parseSet(raw, -1)
				v = value{t: tSet, set: items}
			} else if v, ok = parseValue(t, raw); !ok {
				continue
			}
			x.ok |= 1 << t
			x.vals = append(x.vals, v)
		}
	}
	d.runSelf()
	return d, nil
}

// runSelf runs SELF on these facts as a target, once: it reads the target
// alone (the verifier makes sure), so every check copies its outcome.
func (d *Prepared) runSelf() {
	pol := d.pol
	p := pol.p
	R := make([]value, maxInt(int(p.nregs), 1))
	m := machine{pol: pol, facts: [2]*Prepared{d, d}, R: R}
	d.selfHolds = m.run(0, &d.selfFail)
	d.selfScratch = m.scratch
	self := &p.blocks[0]
	d.selfRegs = make([]value, self.nvars)
	for k := range d.selfRegs {
		d.selfRegs[k] = R[p.vars[self.firstVar+uint32(k)].reg]
	}
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}

// Policy is the policy these facts were prepared for.
func (d *Prepared) Policy() *Policy { return d.pol }

// ---------------------------------------------------------------- checks

// Verdict is the outcome of a check.
type Verdict int

// The verdicts, numbered as the C library's dc_verdict.
const (
	Compatible Verdict = iota
	Incompatible
	TargetMismatch // the policy's SELF does not describe the target
)

func (v Verdict) String() string {
	switch v {
	case Compatible:
		return "compatible"
	case Incompatible:
		return "incompatible"
	case TargetMismatch:
		return "target-mismatch"
	}
	return "unknown"
}

// Check answers "may source migrate to target?" under the policy.  Both
// must have been prepared for it (else it panics: a programming error).
func (pol *Policy) Check(source, target *Prepared) *Result {
	r := pol.NewResult()
	r.Check(source, target)
	return r
}

// CheckFacts prepares both devices' facts and checks the pair.
func (pol *Policy) CheckFacts(source, target map[string]string) (*Result, error) {
	s, err := pol.Prepare(source)
	if err != nil {
		return nil, err
	}
	t, err := pol.Prepare(target)
	if err != nil {
		return nil, err
	}
	return pol.Check(s, t), nil
}

// NewResult makes a result to check into, again and again (Result.Check):
// a check into it allocates nothing beyond the sets its rules build.
func (pol *Policy) NewResult() *Result {
	p := pol.p
	return &Result{pol: pol, regs: make([]value, maxInt(int(p.nregs), 1)),
		fails: make([]failRec, len(p.blocks)), verdict: Incompatible, block: -1}
}

// Check runs a check into r, replacing what it held.  A Result is not safe
// for concurrent use; give each goroutine its own.
func (r *Result) Check(source, target *Prepared) {
	pol := r.pol
	if source.pol != pol || target.pol != pol {
		panic("cbc: facts prepared for another policy")
	}
	r.source, r.target = source, target
	r.verdict, r.block = r.run(source, target, true)
}

// run is the evaluation itself; keepFail copies SELF's failure record.
func (r *Result) run(source, target *Prepared, keepFail bool) (Verdict, int) {
	pol := r.pol
	p := pol.p
	if !target.selfHolds {
		if keepFail {
			r.fails[0] = target.selfFail
		}
		return TargetMismatch, -1
	}
	self := &p.blocks[0]
	for k := range target.selfRegs {
		r.regs[p.vars[self.firstVar+uint32(k)].reg] = target.selfRegs[k]
	}
	m := machine{pol: pol, facts: [2]*Prepared{target, source}, R: r.regs}
	for b := 1; b < len(p.blocks); b++ {
		m.scratch = target.selfScratch
		if m.run(b, &r.fails[b]) {
			return Compatible, b - 1
		}
	}
	return Incompatible, -1
}

// CheckBatch checks one source against many targets, writing each verdict
// (and, when blocks is not nil, the COMPATIBLE block that matched or -1).
// verdicts and blocks hold at least len(targets) entries.
func (pol *Policy) CheckBatch(source *Prepared, targets []*Prepared, verdicts []Verdict,
	blocks []int) {
	r := pol.NewResult()
	for i, t := range targets {
		if source.pol != pol || t.pol != pol {
			panic("cbc: facts prepared for another policy")
		}
		v, b := r.run(source, t, false)
		verdicts[i] = v
		if blocks != nil {
			blocks[i] = b
		}
	}
}
