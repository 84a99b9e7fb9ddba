package cbc

// policy.go -- a loaded policy, facts prepared for it, and checks
// (docs/language.md, "Evaluation"; docs/go.md).

import (
	"math/bits"
	"sort"
	"strconv"
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
	blockNames []string  // per COMPATIBLE block, "" when unnamed
	selfRegs   []uint16  // SELF's variables' registers, in order
	selfFirst  bool      // they are registers 0, 1, ...: one copy moves them
	code       []linsn   // the linked code (link.go)
	blockCode  [][]linsn // each block's
	// per template: matched when facts are prepared (its parts literals
	// and declarations that are not sets, matched on one slot only)
	prematch  []bool
	tmplSlot  []int32    // the slot the last MATCH of each template reads, or -1
	tmplAlike []int32    // an earlier template whose pre-match serves, or -1
	tmplDecls [][]uint16 // the registers each template's declarations bind
	prepBinds int        // the values pre-matched templates may bind
	selfAlone bool       // the C library runs SELF when facts are prepared
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
			v = semverValue(k.major, k.minor, k.patch, p.str(k.s))
		}
		pol.consts[i] = v
	}
	pol.strs = make([]string, len(p.strrefs))
	for i, r := range p.strrefs {
		pol.strs[i] = p.str(r)
	}
	pol.cmps = make([]comparator, len(p.kcmps))
	for i, k := range p.kcmps {
		pol.cmps[i] = comparator{k.op, semverValue(k.major, k.minor, k.patch, p.str(k.pre))}
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
	self := &p.blocks[0]
	for k := uint32(0); k < self.nvars; k++ {
		pol.selfRegs = append(pol.selfRegs, p.vars[self.firstVar+k].reg)
	}
	pol.selfFirst = true
	for k, reg := range pol.selfRegs {
		pol.selfFirst = pol.selfFirst && int(reg) == k
	}
	pol.planPrematch()
	pol.link()
	return pol
}

// planPrematch decides, as the C library does (src/prepare.c), which
// templates are matched when facts are prepared: those whose parts are
// literals and declarations that are not sets, on the slot the last
// MATCH of them reads; a template alike an earlier one on the same slot
// takes that one's outcome without matching (and without spending the
// device's template budget).  Whether SELF runs when facts are prepared
// decides whether its templates' steps count in a check's budget.
func (pol *Policy) planPrematch() {
	p := pol.p
	n := len(p.tmpls)
	pol.prematch = make([]bool, n)
	pol.tmplSlot = make([]int32, n)
	pol.tmplAlike = make([]int32, n)
	pol.tmplDecls = make([][]uint16, n)
	for i := range pol.tmplSlot {
		pol.tmplSlot[i], pol.tmplAlike[i] = -1, -1
	}
	for _, in := range p.code {
		if in.op == opMATCH || in.op == opNMATCH {
			pol.tmplSlot[in.b] = int32(in.a)
		}
	}
	for k, t := range p.tmpls {
		for _, tp := range p.tparts[t.first : t.first+t.n] {
			if tp.kind == tpDecl {
				pol.tmplDecls[k] = append(pol.tmplDecls[k], tp.reg)
			}
		}
		if !pol.prematchable(k) || pol.tmplSlot[k] < 0 {
			continue
		}
		pol.prematch[k] = true
		pol.prepBinds += len(pol.tmplDecls[k])
		for e := 0; e < k && e < 0xffff; e++ {
			if pol.prematch[e] && pol.tmplAlike[e] < 0 && pol.tmplSlot[e] == pol.tmplSlot[k] &&
				pol.tmplsAlike(e, k) {
				pol.tmplAlike[k] = int32(e)
				break
			}
		}
	}
	pol.selfAlone = pol.planSelfAlone()
}

// prematchable: a template of literals and declarations that are not sets.
func (pol *Policy) prematchable(k int) bool {
	t := &pol.p.tmpls[k]
	for _, tp := range pol.p.tparts[t.first : t.first+t.n] {
		if tp.kind == tpCmp || (tp.kind == tpDecl && tp.typ == tSet) {
			return false
		}
	}
	return true
}

// planSelfAlone: does the C library run SELF when facts are prepared (it
// builds no set and matches only templates matched beforehand)?
func (pol *Policy) planSelfAlone() bool {
	p := pol.p
	b := &p.blocks[0]
	for _, in := range p.code[b.entry:b.end] {
		if opFind(in.op, 'S') >= 0 && in.t&sideSource != 0 {
			return false
		}
		wt := byte('-')
		if w := opFind(in.op, 'W'); w >= 0 {
			wt = opTypes[in.op][w]
		}
		if wt == 'e' || (wt == 't' && in.t&typeMask == tSet && in.op != opFIELDT) {
			return false
		}
		if (in.op == opMATCH || in.op == opNMATCH) && !pol.prematchable(int(in.b)) {
			return false
		}
	}
	return true
}

// ctablesAlike: do constraint tables x and y hold the same values?
func (pol *Policy) ctablesAlike(x, y int32) bool {
	p := pol.p
	if x == y {
		return true
	}
	if x < 0 || y < 0 {
		return false
	}
	a, b := &p.ctables[x], &p.ctables[y]
	if a.kind != b.kind || a.n != b.n || a.small != b.small || a.bitmap != b.bitmap ||
		p.str(a.text) != p.str(b.text) {
		return false
	}
	for i := uint32(0); i < a.n; i++ {
		switch a.kind {
		case ctInt, ctHex:
			if p.ranges[a.first+i] != p.ranges[b.first+i] {
				return false
			}
		case ctString, ctSet:
			if pol.strs[a.first+i] != pol.strs[b.first+i] {
				return false
			}
		case ctSemver:
			u, w := p.svsets[a.first+i], p.svsets[b.first+i]
			if u.n != w.n {
				return false
			}
			for k := uint32(0); k < u.n; k++ {
				c, d := &pol.cmps[u.first+k], &pol.cmps[w.first+k]
				if c.op != d.op || c.v.x.major != d.v.x.major || c.v.x.minor != d.v.x.minor ||
					c.v.x.patch != d.v.x.patch || c.v.s != d.v.s {
					return false
				}
			}
		}
	}
	return a.kind != ctBool || a.first == b.first
}

// declsApart: does template k bind each register from one declaration?
func (pol *Policy) declsApart(k int) bool {
	seen := map[uint16]bool{}
	for _, r := range pol.tmplDecls[k] {
		if seen[r] {
			return false
		}
		seen[r] = true
	}
	return true
}

// tmplsAlike: do templates a and b match any text alike?
func (pol *Policy) tmplsAlike(a, b int) bool {
	p := pol.p
	ta, tb := &p.tmpls[a], &p.tmpls[b]
	if ta.n != tb.n || !pol.declsApart(a) || !pol.declsApart(b) {
		return false
	}
	for j := uint32(0); j < ta.n; j++ {
		x, y := &p.tparts[ta.first+j], &p.tparts[tb.first+j]
		if x.kind != y.kind || x.typ != y.typ || p.str(x.lit) != p.str(y.lit) ||
			!pol.ctablesAlike(x.ctable, y.ctable) {
			return false
		}
	}
	return true
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

// pfact is one fact as the policy reads it: its text, and (bit 1<<type in
// ok) the types it parsed as, a string always; its values, one per type
// but string in type order, are the device's vals[vi:].
type pfact struct {
	raw     string
	present bool
	ok      uint8
	vi      uint32
}

const pmLive = -128 // a template not matched beforehand: match when checking

// pmatch is a template's outcome on a device's fact, matched when the
// facts were prepared: 1 matched, 0 not, -1 over the step budget; when it
// matched, the values its declarations bound (registers pol.tmplDecls[k])
// are the device's vals[vi:].
type pmatch struct {
	result int8
	vi     uint32
}

// Prepared is a device's facts prepared for one policy: names resolved,
// values parsed to every type the policy reads them as, templates that
// depend on their fact alone matched, and the policy's SELF block run on
// them (as a target).  Immutable once made: share it between goroutines
// freely.  What a check reads of it lies in few, contiguous arrays.
type Prepared struct {
	pol   *Policy
	slots []pfact
	// SELF's variables' values (when it held), then the facts' values,
	// then the pre-matched templates' bindings
	vals []value
	pm   []pmatch // per template
	ext  []vext   // the semver numbers and set items of vals
	// the records all/any walk: per record set its number of records, per
	// record field the text of each record's fact
	recN     []uint32
	recField [][]recval
	// SELF's outcome on these facts as a target
	selfHolds   bool
	selfScratch int
	selfSteps   int // of the check's template budget
	selfFail    *failRec
}

// get is fact f's value as type t, false when it did not parse as t.
func (d *Prepared) get(f *pfact, t uint8) (value, bool) {
	if f.ok&(1<<t) == 0 {
		return value{}, false
	}
	if t == tString {
		return value{t: tString, s: f.raw}, true
	}
	below := f.ok & (1<<t - 1) &^ (1 << tString)
	return d.vals[f.vi+uint32(bits.OnesCount8(below))], true
}

// Prepare checks facts (names and values as docs/facts.md says) and
// prepares them for the policy.  Values are trimmed of leading and trailing
// blanks and newlines, as every reader of the C library trims them.
func (pol *Policy) Prepare(facts map[string]string) (*Prepared, error) {
	if err := CheckFacts(facts); err != nil {
		return nil, err
	}
	p := pol.p
	d := &Prepared{pol: pol, slots: make([]pfact, len(p.slots))}
	// room first: nothing moves once written (vals point into ext)
	nvals, next := len(pol.selfRegs)+pol.prepBinds, 0
	for s := range p.slots {
		if _, ok := facts[pol.slotNames[s]]; ok {
			types := p.slots[s].types &^ (1 << tString) & (1<<tCount - 2)
			nvals += bits.OnesCount8(types)
			next += bits.OnesCount8(types & (1<<tSemver | 1<<tSet))
		}
	}
	d.vals = make([]value, len(pol.selfRegs), nvals)
	d.ext = make([]vext, 0, next)
	// the values' text in one string: a check reads a device's few lines
	size := 0
	for s := range p.slots {
		size += len(trimValue(facts[pol.slotNames[s]]))
	}
	var b strings.Builder
	b.Grow(size)
	for s := range p.slots {
		b.WriteString(trimValue(facts[pol.slotNames[s]]))
	}
	text := b.String()
	for s := range p.slots {
		raw, ok := facts[pol.slotNames[s]]
		if !ok {
			continue
		}
		raw, text = text[:len(trimValue(raw))], text[len(trimValue(raw)):]
		x := &d.slots[s]
		x.present, x.raw, x.ok, x.vi = true, raw, 1<<tString, uint32(len(d.vals))
		types := p.slots[s].types &^ (1 << tString) & (1<<tCount - 2)
		for t := uint8(tInt); t < tCount; t++ {
			if types&(1<<t) == 0 {
				continue
			}
			var v value
			if t == tSet {
				items, ok := parseSet(raw, maxSetItems)
				if !ok {
					continue
				}
				v = setValue(items)
			} else if v, ok = parseValue(t, raw); !ok {
				continue
			}
			if v.x != nil {
				d.ext = append(d.ext, *v.x)
				v.x = &d.ext[len(d.ext)-1]
			}
			x.ok |= 1 << t
			d.vals = append(d.vals, v)
		}
	}
	if err := d.prepareRecords(facts); err != nil {
		return nil, err
	}
	d.prematch()
	d.runSelf()
	return d, nil
}

// recval is a record's field: its text, when the device has it.
type recval struct {
	s       string
	present bool
}

// prepareRecords finds the records of each record set (docs/facts.md,
// "Records"): the facts SET.N.FIELD, N consecutive from 0 (a gap is a facts
// error), and keeps the text of the fields the policy reads.
func (d *Prepared) prepareRecords(facts map[string]string) error {
	p := d.pol.p
	if len(p.recsets) == 0 {
		return nil
	}
	d.recN = make([]uint32, len(p.recsets))
	type found struct {
		rec   int
		field string
		value string
	}
	per := make([][]found, len(p.recsets))
	for s, r := range p.recsets {
		set := p.str(r)
		prefix := set + "."
		most := -1
		seen := map[int]bool{}
		for name, value := range facts {
			if len(name) <= len(prefix) || name[:len(prefix)] != prefix {
				continue
			}
			rest := name[len(prefix):]
			k := recordIndexLen(rest)
			if k == 0 || k == len(rest) {
				continue
			}
			n, _ := strconv.Atoi(rest[:k])
			seen[n] = true
			if n > most {
				most = n
			}
			per[s] = append(per[s], found{n, rest[k+1:], value})
		}
		for n := 0; n <= most; n++ {
			if !seen[n] {
				return errf(ErrFacts, "records '%s': record %d is missing (records 0..%d have "+
					"facts; records are numbered from 0 without a gap)", set, n, most)
			}
		}
		d.recN[s] = uint32(most + 1)
	}
	d.recField = make([][]recval, len(p.recfields))
	for f, rf := range p.recfields {
		d.recField[f] = make([]recval, d.recN[rf.set])
		field := p.str(rf.name)
		for _, x := range per[rf.set] {
			if x.field == field {
				d.recField[f][x.rec] = recval{trimValue(x.value), true}
			}
		}
	}
	return nil
}

// prematch matches the templates the plan says can be, once, on one
// template budget for the device: checks copy the outcome and the
// registers it wrote.
func (d *Prepared) prematch() {
	pol := d.pol
	p := pol.p
	d.pm = make([]pmatch, len(p.tmpls))
	R := make([]value, maxInt(int(p.nregs), 1))
	m := machine{pol: pol, R: R}
	for k, t := range p.tmpls {
		pm := &d.pm[k]
		pm.result = pmLive
		if !pol.prematch[k] || !d.slots[pol.tmplSlot[k]].present {
			continue
		}
		pm.vi = uint32(len(d.vals))
		if e := pol.tmplAlike[k]; e >= 0 {
			// its outcome, its values (in this template's registers)
			src := d.pm[e]
			pm.result = src.result
			if src.result == 1 {
				d.vals = append(d.vals, d.vals[src.vi:src.vi+uint32(len(pol.tmplDecls[e]))]...)
			}
			continue
		}
		pm.result = int8(m.tmatch(p.tparts[t.first:t.first+t.n], 0, d.slots[pol.tmplSlot[k]].raw, 0))
		if pm.result == 1 {
			for _, reg := range pol.tmplDecls[k] {
				d.vals = append(d.vals, R[reg])
			}
		}
	}
}

// runSelf runs SELF on these facts as a target, once: it reads the target
// alone (the verifier makes sure), so every check copies its outcome.
func (d *Prepared) runSelf() {
	pol := d.pol
	p := pol.p
	R := make([]value, maxInt(int(p.nregs), 1))
	m := machine{pol: pol, facts: [2]*Prepared{d, d}, R: R}
	f := &failRec{}
	d.selfHolds = m.run(0, f)
	d.selfScratch = m.scratch
	d.selfSteps = m.steps
	if !d.selfHolds {
		d.selfFail = f
		return
	}
	for k, reg := range pol.selfRegs {
		d.vals[k] = R[reg]
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
			r.fails[0] = *target.selfFail
		}
		return TargetMismatch, -1
	}
	if n := len(pol.selfRegs); pol.selfFirst {
		regs, vals := r.regs[:n], target.vals[:n]
		for k := range regs {
			regs[k] = vals[k]
		}
	} else {
		for k, reg := range pol.selfRegs {
			r.regs[reg] = target.vals[k]
		}
	}
	m := machine{pol: pol, facts: [2]*Prepared{target, source}, R: r.regs}
	if !pol.selfAlone {
		m.steps = target.selfSteps // SELF ran as part of the check
	}
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
