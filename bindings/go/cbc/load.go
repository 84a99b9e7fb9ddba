package cbc

// load.go -- reading a .cbc file: its shape, its checksum, its records
// (docs/bytecode.md, "Layout"), in the order and with the messages of
// src/cbc.c, then the verifier (verify.go).

import (
	"fmt"
	"hash/crc32"
	"io"
	"os"
)

const (
	headerSize   = 32
	sectionEntry = 16
	offChecksum  = 12
	formatVer    = 2 // the newest; version 1 has no records
	maxCBC       = 16 << 20
	cbcMagic     = "DCBC\x1a\r\n\x00"
	nSections    = 17 // version 2's; version 1 files have the first 15
)

// Section ids, 1..15, and their names and record sizes.
const (
	secProgram = 1 + iota
	secPool
	secConsts
	secStrs
	secCmps
	secRanges
	secSvsets
	secCtables
	secTparts
	secTmpls
	secSlots
	secVars
	secRules
	secBlocks
	secCode
	secRecsets   // version 2
	secRecfields // version 2
)

// sectionsOf is the number of sections of a format version, 0 for a
// version not read.  A program walking no records is written as version 1.
func sectionsOf(version uint16) uint32 {
	switch version {
	case 1:
		return secCode
	case 2:
		return secRecfields
	}
	return 0
}

var sections = [nSections + 1]struct {
	name string
	size uint32
}{
	{}, {"program", 20}, {"pool", 1}, {"constants", 48}, {"strings", 8},
	{"comparators", 40}, {"ranges", 16}, {"semver-sets", 8}, {"tables", 32},
	{"template-parts", 16}, {"templates", 16}, {"slots", 12}, {"variables", 12},
	{"rules", 24}, {"blocks", 40}, {"code", 8}, {"record-sets", 8}, {"record-fields", 12},
}

// Kinds of constraint tables and template parts, rule sides, comparisons.
const (
	ctInt uint8 = iota
	ctHex
	ctString
	ctSemver
	ctBool
	ctSet
)

const (
	tpLit uint8 = iota
	tpDecl
	tpCmp
)

const sideSource = 0x80
const typeMask = 0x0f

const (
	cmpEQ uint8 = iota
	cmpNE
	cmpLT
	cmpLE
	cmpGT
	cmpGE
)

// Semver comparator operators.
const (
	svLT uint8 = iota
	svLE
	svGT
	svGE
	svEQ
)

type pref struct{ off, len uint32 }

type kconst struct {
	typ                 uint8
	s                   pref
	i                   int64
	major, minor, patch uint64
}

type kcmp struct {
	op                  uint8
	pre                 pref
	major, minor, patch uint64
}

type irange struct{ lo, hi int64 }

type svset struct{ first, n uint32 }

type ctable struct {
	kind     uint8
	small    bool
	first, n uint32
	text     pref
	bitmap   uint64
}

type tpart struct {
	kind, typ uint8
	reg       uint16
	ctable    int32
	lit       pref
}

type tmpl struct {
	first, n uint32
	text     pref
}

type slotinfo struct {
	name  pref
	types uint8
}

type variable struct {
	name pref
	typ  uint8
	reg  uint16
}

type prule struct {
	line      uint32
	slot      int32
	side, op  uint8
	expectReg int32
	expected  pref
}

type pblock struct {
	kind              uint8
	name              pref
	line              uint32
	entry, end        uint32
	firstVar, nvars   uint32
	firstRule, nrules uint32
}

// A record set is a prefix whose facts PREFIX.0.*, PREFIX.1.*, ... a loop
// walks; a record field one fact name under each record (PREFIX.N.FIELD).
type recfield struct {
	set  uint32
	name pref
}

type insn struct {
	op, t   uint8
	a, b, c uint16
}

// program is a .cbc file's tables as the file holds them; link (vm.go)
// derives the values the VM reads.
type program struct {
	name, file pref
	nregs      uint32
	pool       string
	kconsts    []kconst
	strrefs    []pref
	kcmps      []kcmp
	ranges     []irange
	svsets     []svset
	ctables    []ctable
	tparts     []tpart
	tmpls      []tmpl
	slots      []slotinfo
	vars       []variable
	rules      []prule
	blocks     []pblock
	code       []insn
	recsets    []pref
	recfields  []recfield
}

func (p *program) str(r pref) string { return p.pool[r.off : r.off+r.len] }

// Error is why a .cbc file was refused or facts were: Kind tells which
// (ErrBytecode, ErrLimit, ErrFacts, ErrIO), Msg is the whole message,
// naming the file first, as the C library words it.
type Error struct {
	Kind error
	Msg  string
}

func (e *Error) Error() string { return e.Msg }

// Unwrap lets errors.Is(err, cbc.ErrBytecode) and the like test the kind.
func (e *Error) Unwrap() error { return e.Kind }

type kindError string

func (k kindError) Error() string { return string(k) }

// The kinds of Error.
var (
	ErrBytecode error = kindError("invalid compiled policy")
	ErrLimit    error = kindError("limit exceeded")
	ErrFacts    error = kindError("invalid facts")
	ErrIO       error = kindError("cannot read")
)

func errf(kind error, format string, args ...interface{}) error {
	return &Error{kind, fmt.Sprintf(format, args...)}
}

// reader decodes little-endian fields; zeroOK stays true while every
// reserved byte read is zero.
type reader struct {
	d      []byte
	pos    int
	zeroOK bool
}

func (r *reader) u8() uint8 { v := r.d[r.pos]; r.pos++; return v }
func (r *reader) u16() uint16 {
	v := uint16(r.d[r.pos]) | uint16(r.d[r.pos+1])<<8
	r.pos += 2
	return v
}
func (r *reader) u32() uint32 { lo := uint32(r.u16()); return lo | uint32(r.u16())<<16 }
func (r *reader) u64() uint64 { lo := uint64(r.u32()); return lo | uint64(r.u32())<<32 }
func (r *reader) zero(n int) {
	for i := 0; i < n; i++ {
		if r.d[r.pos+i] != 0 {
			r.zeroOK = false
		}
	}
	r.pos += n
}
func (r *reader) pref() pref { o := r.u32(); return pref{o, r.u32()} }

// fileCRC is the checksum of a file: every byte but the checksum field's.
func fileCRC(d []byte) uint32 {
	c := crc32.ChecksumIEEE(d[:offChecksum])
	return crc32.Update(c, crc32.IEEETable, d[offChecksum+4:])
}

type sec struct{ count, off, size uint32 }

// cutSection names the section a truncated file cuts off, with its end.
func cutSection(d []byte, ns uint32) (string, uint64) {
	at := uint64(headerSize + ns*sectionEntry)
	if uint64(len(d)) < at {
		return "", 0
	}
	r := reader{d: d, pos: headerSize, zeroOK: true}
	for i := uint32(1); i <= ns; i++ {
		id, _, off, size := r.u32(), r.u32(), r.u32(), r.u32()
		if id != i || uint64(off) != at {
			return "", 0
		}
		at += uint64(size)
		if at > uint64(len(d)) {
			return sections[i].name, at
		}
	}
	return "", 0
}

// readLayout checks the header and the section table: the file's shape
// and its checksum.
func readLayout(file string, d []byte) ([nSections + 1]sec, error) {
	var s [nSections + 1]sec
	n := len(d)
	if n < len(cbcMagic) || string(d[:len(cbcMagic)]) != cbcMagic {
		return s, errf(ErrBytecode, "%s: not a compiled policy (no .cbc magic)", file)
	}
	if n < headerSize {
		return s, errf(ErrBytecode, "%s: truncated: the header ends at byte %d of %d", file,
			headerSize, n)
	}
	r := reader{d: d, pos: len(cbcMagic), zeroOK: true}
	version, flags := r.u16(), r.u16()
	stored, size, nsec, table := r.u32(), r.u32(), r.u32(), r.u32()
	r.zero(4)
	ns := sectionsOf(version)
	tableEnd := int(headerSize + ns*sectionEntry)
	if ns == 0 {
		return s, errf(ErrBytecode, "%s: format version %d is not supported (this library "+
			"reads versions 1 to %d)", file, version, formatVer)
	}
	if uint64(size) > uint64(n) {
		name, end := cutSection(d, ns)
		if n < tableEnd {
			return s, errf(ErrBytecode, "%s: truncated: the section table ends at byte %d of %d",
				file, tableEnd, n)
		}
		if name != "" {
			return s, errf(ErrBytecode, "%s: truncated: section '%s' ends at byte %d of %d",
				file, name, end, n)
		}
		return s, errf(ErrBytecode, "%s: truncated: the header says %d bytes, the file has %d",
			file, size, n)
	}
	if int(size) < n && size >= headerSize && fileCRC(d[:size]) == stored {
		return s, errf(ErrBytecode, "%s: %d bytes of trailing data after the end of the file "+
			"(byte %d)", file, n-int(size), size)
	}
	if crc := fileCRC(d); crc != stored {
		return s, errf(ErrBytecode, "%s: bad checksum (stored 0x%08x, computed 0x%08x): the "+
			"file is damaged", file, stored, crc)
	}
	if int(size) != n {
		return s, errf(ErrBytecode, "%s: the header says %d bytes, the file has %d", file, size, n)
	}
	if flags != 0 || !r.zeroOK {
		return s, errf(ErrBytecode, "%s: unknown flags in the header", file)
	}
	if nsec != ns || table != headerSize {
		return s, errf(ErrBytecode, "%s: the header announces %d sections at byte %d; version "+
			"%d files have %d at byte %d", file, nsec, table, version, ns, headerSize)
	}
	at := uint64(tableEnd)
	if uint64(n) < at {
		return s, errf(ErrBytecode, "%s: the section table ends at byte %d, past the end of "+
			"the file (%d bytes)", file, at, n)
	}
	for i := uint32(1); i <= ns; i++ {
		id := r.u32()
		s[i].count, s[i].off, s[i].size = r.u32(), r.u32(), r.u32()
		name := sections[i].name
		if id != i {
			return s, errf(ErrBytecode, "%s: section table entry %d has id %d, expected %d "+
				"('%s')", file, i-1, id, i, name)
		}
		if uint64(s[i].off) != at {
			return s, errf(ErrBytecode, "%s: section '%s' starts at byte %d, expected %d",
				file, name, s[i].off, at)
		}
		want := uint64(s[i].count) * uint64(sections[i].size)
		if want != uint64(s[i].size) {
			return s, errf(ErrBytecode, "%s: section '%s' is %d bytes, but %d records of %d "+
				"bytes take %d", file, name, s[i].size, s[i].count, sections[i].size, want)
		}
		at += uint64(s[i].size)
		if at > uint64(n) {
			return s, errf(ErrBytecode, "%s: section '%s' ends at byte %d, past the end of "+
				"the file (%d bytes)", file, name, at, n)
		}
	}
	if at != uint64(n) {
		return s, errf(ErrBytecode, "%s: the sections end at byte %d, the file at byte %d",
			file, at, n)
	}
	return s, nil
}

// readSection decodes one section's records into p.
func readSection(p *program, d []byte, s sec, id int) string {
	r := reader{d: d[s.off : s.off+s.size], zeroOK: true}
	n := int(s.count)
	switch id {
	case secProgram:
		if n != 1 {
			return fmt.Sprintf("section 'program' holds %d records, not 1", n)
		}
		p.name, p.file, p.nregs = r.pref(), r.pref(), r.u32()
	case secPool:
		p.pool = string(r.d)
	case secConsts:
		p.kconsts = make([]kconst, n)
		for i := range p.kconsts {
			k := &p.kconsts[i]
			k.typ = r.u8()
			r.zero(3)
			k.s = r.pref()
			r.zero(4)
			k.i = int64(r.u64())
			k.major, k.minor, k.patch = r.u64(), r.u64(), r.u64()
		}
	case secStrs:
		p.strrefs = make([]pref, n)
		for i := range p.strrefs {
			p.strrefs[i] = r.pref()
		}
	case secCmps:
		p.kcmps = make([]kcmp, n)
		for i := range p.kcmps {
			k := &p.kcmps[i]
			k.op = r.u8()
			r.zero(3)
			k.pre = r.pref()
			r.zero(4)
			k.major, k.minor, k.patch = r.u64(), r.u64(), r.u64()
		}
	case secRanges:
		p.ranges = make([]irange, n)
		for i := range p.ranges {
			p.ranges[i] = irange{int64(r.u64()), int64(r.u64())}
		}
	case secSvsets:
		p.svsets = make([]svset, n)
		for i := range p.svsets {
			p.svsets[i] = svset{r.u32(), r.u32()}
		}
	case secCtables:
		p.ctables = make([]ctable, n)
		for i := range p.ctables {
			c := &p.ctables[i]
			c.kind = r.u8()
			small := r.u8()
			if small > 1 {
				return fmt.Sprintf("table %d: 'small' flag is %d, not 0 or 1", i, small)
			}
			c.small = small == 1
			r.zero(2)
			c.first, c.n = r.u32(), r.u32()
			c.text = r.pref()
			r.zero(4)
			c.bitmap = r.u64()
		}
	case secTparts:
		p.tparts = make([]tpart, n)
		for i := range p.tparts {
			t := &p.tparts[i]
			t.kind, t.typ, t.reg = r.u8(), r.u8(), r.u16()
			t.ctable = int32(r.u32())
			t.lit = r.pref()
		}
	case secTmpls:
		p.tmpls = make([]tmpl, n)
		for i := range p.tmpls {
			p.tmpls[i] = tmpl{r.u32(), r.u32(), r.pref()}
		}
	case secSlots:
		p.slots = make([]slotinfo, n)
		for i := range p.slots {
			p.slots[i].name = r.pref()
			p.slots[i].types = r.u8()
			r.zero(3)
		}
	case secVars:
		p.vars = make([]variable, n)
		for i := range p.vars {
			x := &p.vars[i]
			x.name = r.pref()
			x.typ = r.u8()
			r.zero(1)
			x.reg = r.u16()
		}
	case secRules:
		p.rules = make([]prule, n)
		for i := range p.rules {
			x := &p.rules[i]
			x.line = r.u32()
			x.slot = int32(r.u32())
			x.side, x.op = r.u8(), r.u8()
			r.zero(2)
			x.expectReg = int32(r.u32())
			x.expected = r.pref()
		}
	case secBlocks:
		p.blocks = make([]pblock, n)
		for i := range p.blocks {
			b := &p.blocks[i]
			b.kind = r.u8()
			r.zero(3)
			b.name = r.pref()
			b.line, b.entry, b.end = r.u32(), r.u32(), r.u32()
			b.firstVar, b.nvars, b.firstRule, b.nrules = r.u32(), r.u32(), r.u32(), r.u32()
		}
	case secRecsets:
		p.recsets = make([]pref, n)
		for i := range p.recsets {
			p.recsets[i] = r.pref()
		}
	case secRecfields:
		p.recfields = make([]recfield, n)
		for i := range p.recfields {
			p.recfields[i] = recfield{r.u32(), r.pref()}
		}
	case secCode:
		p.code = make([]insn, n)
		for i := range p.code {
			c := &p.code[i]
			c.op, c.t = r.u8(), r.u8()
			c.a, c.b, c.c = r.u16(), r.u16(), r.u16()
		}
	}
	if !r.zeroOK {
		return fmt.Sprintf("section '%s': reserved bytes are not zero", sections[id].name)
	}
	return ""
}

// Load reads a compiled policy from the bytes of a .cbc file and verifies
// it completely; file names it in errors.  Nothing in the file is trusted:
// a file the C library refuses is refused here, with the same message.
// The policy keeps no reference to data.
func Load(file string, data []byte) (*Policy, error) {
	if file == "" {
		file = "<cbc>"
	}
	if len(data) > maxCBC {
		return nil, errf(ErrLimit, "%s: a compiled policy may hold at most %d bytes; this one "+
			"has %d (limit)", file, maxCBC, len(data))
	}
	s, err := readLayout(file, data)
	if err != nil {
		return nil, err
	}
	p := &program{}
	for i := 1; i <= nSections; i++ {
		if msg := readSection(p, data, s[i], i); msg != "" {
			return nil, errf(ErrBytecode, "%s: %s", file, msg)
		}
	}
	if msg := verify(p); msg != "" {
		return nil, errf(ErrBytecode, "%s: %s", file, msg)
	}
	return newPolicy(p), nil
}

// ReadFile reads and loads a .cbc file.
func ReadFile(path string) (*Policy, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, errf(ErrIO, "%s: %v", path, unwrapPath(err))
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxCBC+1))
	if err != nil {
		return nil, errf(ErrIO, "%s: %v", path, unwrapPath(err))
	}
	return Load(path, data)
}

func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
