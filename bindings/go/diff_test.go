package devcompat

// diff_test.go -- the pure-Go VM (devcompat/cbc) against the C library, on
// every input there is: every shipped policy's cases and example facts,
// every fuzz/corpus input of the check harness, randomly generated facts
// for the shipped policies, and the .cbc corpus and mutations of it for the
// loaders' decisions.  A policy is compiled by the C library, saved as
// .cbc, and loaded by both; everything a result holds is compared.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"devcompat/cbc"
)

const srcRoot = "../.."

// pair is a policy as both sides hold it.
type pair struct {
	c *Policy
	g *cbc.Policy
}

func loadPair(t testing.TB, file string, text []byte) (pair, bool) {
	cp, _, err := CompilePolicy(file, text)
	if err != nil {
		return pair{}, false
	}
	data, err := cp.Save()
	if err != nil {
		t.Fatalf("%s: save: %v", file, err)
	}
	gp, err := cbc.Load(file, data)
	if err != nil {
		t.Fatalf("%s: the C library's own .cbc does not load in Go: %v", file, err)
	}
	if gp.Name() != cp.Name() || gp.File() != cp.File() || gp.Blocks() != cp.Blocks() {
		t.Fatalf("%s: policy differs: Go %q %q %d, C %q %q %d", file, gp.Name(), gp.File(),
			gp.Blocks(), cp.Name(), cp.File(), cp.Blocks())
	}
	return pair{cp, gp}, true
}

// sameResult compares everything a result holds; "" when equal.
func sameResult(c *Result, g *cbc.Result) string {
	o := g.Outcome()
	if reflect.DeepEqual(&c.Outcome, o) && c.JSON() == o.JSON() {
		return ""
	}
	return fmt.Sprintf("  C  %+v\n  Go %+v\n  C  %s\n  Go %s", c.Outcome, *o, c.JSON(), o.JSON())
}

// differ checks source -> target both ways (C from facts, Go from their
// maps) and prepared, in a batch; it reports any difference.
func differ(t testing.TB, label string, p pair, s, tg *Facts) int {
	n := 0
	for _, dir := range [][2]*Facts{{s, tg}, {tg, s}} {
		cr, err := p.c.CheckFacts(dir[0], dir[1])
		if err != nil {
			t.Fatalf("%s: C check: %v", label, err)
		}
		gr, err := p.g.CheckFacts(dir[0].Map(), dir[1].Map())
		if err != nil {
			t.Fatalf("%s: Go refuses facts the C library took: %v", label, err)
		}
		if d := sameResult(cr, gr); d != "" {
			t.Errorf("%s (policy %s):\n%s", label, p.c.File(), d)
		}
		n++
	}
	// prepared, one source against both as targets, in a batch
	cs, err1 := p.c.Prepare(s)
	ct, err2 := p.c.Prepare(tg)
	if err1 != nil || err2 != nil {
		t.Fatalf("%s: prepare: %v %v", label, err1, err2)
	}
	gs, _ := p.g.Prepare(s.Map())
	gt, _ := p.g.Prepare(tg.Map())
	cv, cb, err := p.c.CheckBatch(cs, []*Prepared{ct, cs})
	if err != nil {
		t.Fatalf("%s: batch: %v", label, err)
	}
	gv, gb := make([]cbc.Verdict, 2), make([]int, 2)
	p.g.CheckBatch(gs, []*cbc.Prepared{gt, gs}, gv, gb)
	for i := range cv {
		if int(cv[i]) != int(gv[i]) || cb[i] != gb[i] {
			t.Errorf("%s: batch %d: C %v %d Go %v %d", label, i, cv[i], cb[i], gv[i], gb[i])
		}
	}
	return n
}

// ------------------------------------------------------------ shipped policies

type policyFile struct {
	path  string // .compat or a self-describing .txt
	cases string // its .cases.yaml, or ""
}

func shippedPolicies(t testing.TB) []policyFile {
	var out []policyFile
	for _, pat := range []string{"policies/*.compat", "policies/*/*.compat",
		"policies/self-describing/*.txt"} {
		m, _ := filepath.Glob(filepath.Join(srcRoot, pat))
		for _, f := range m {
			base := strings.TrimSuffix(strings.TrimSuffix(f, ".compat"), ".txt")
			c := base + ".cases.yaml"
			if _, err := os.Stat(c); err != nil {
				c = ""
			}
			out = append(out, policyFile{f, c})
		}
	}
	if len(out) == 0 {
		t.Fatal("no shipped policies")
	}
	return out
}

// caseDevices cuts each case's source and target out of a cases file (a
// flow mapping, possibly over several lines, or a block mapping under the
// key), for the C library's YAML reader to read as it reads them.
func caseDevices(text string) (sources, targets []string) {
	lines := strings.Split(text, "\n")
	for i := 0; i < len(lines); i++ {
		trimmed := strings.TrimLeft(lines[i], " -")
		var key string
		switch {
		case strings.HasPrefix(trimmed, "source:"):
			key = "source:"
		case strings.HasPrefix(trimmed, "target:"):
			key = "target:"
		default:
			continue
		}
		indent := len(lines[i]) - len(strings.TrimLeft(lines[i], " -"))
		rest := strings.TrimSpace(strings.TrimPrefix(trimmed, key))
		var dev string
		if strings.HasPrefix(rest, "{") {
			dev = rest
			for depth(dev) > 0 && i+1 < len(lines) {
				i++
				dev += "\n" + lines[i]
			}
		} else if rest == "" || strings.HasPrefix(rest, "#") {
			var block []string
			for i+1 < len(lines) {
				l := lines[i+1]
				if strings.TrimSpace(l) != "" && len(l)-len(strings.TrimLeft(l, " ")) <= indent {
					break
				}
				block = append(block, l)
				i++
			}
			dev = dedent(block)
		} else {
			continue // a file name or something else: not a mapping here
		}
		if key == "source:" {
			sources = append(sources, dev)
		} else {
			targets = append(targets, dev)
		}
	}
	return
}

// depth is the nesting of braces and brackets left open, outside quotes.
func depth(s string) int {
	d := 0
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == '\\' && quote == '"' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '{' || c == '[':
			d++
		case c == '}' || c == ']':
			d--
		}
	}
	return d
}

func dedent(lines []string) string {
	min := -1
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		n := len(l) - len(strings.TrimLeft(l, " "))
		if min < 0 || n < min {
			min = n
		}
	}
	var b strings.Builder
	for _, l := range lines {
		if len(l) >= min && min > 0 {
			l = l[min:]
		}
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.String()
}

// exampleFacts are the example devices next to a policy (NAME-*.kv|yaml|json).
func exampleFacts(path string) []string {
	base := strings.TrimSuffix(strings.TrimSuffix(path, ".compat"), ".txt")
	var out []string
	for _, ext := range []string{"kv", "yaml", "json", "txt"} {
		m, _ := filepath.Glob(base + "-*." + ext)
		out = append(out, m...)
	}
	if strings.HasSuffix(path, ".txt") {
		m, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "*.txt"))
		out = append(out, m...)
	}
	return out
}

func TestDiffShippedPolicies(t *testing.T) {
	total := 0
	for _, pf := range shippedPolicies(t) {
		text, err := os.ReadFile(pf.path)
		if err != nil {
			t.Fatal(err)
		}
		p, ok := loadPair(t, pf.path, text)
		if !ok {
			t.Fatalf("%s: a shipped policy does not compile", pf.path)
		}
		var devices []*Facts
		if pf.cases != "" {
			data, err := os.ReadFile(pf.cases)
			if err != nil {
				t.Fatal(err)
			}
			srcs, tgts := caseDevices(string(data))
			if len(srcs) == 0 || len(srcs) != len(tgts) {
				t.Fatalf("%s: %d sources, %d targets read", pf.cases, len(srcs), len(tgts))
			}
			for i := range srcs {
				s, err1 := ParseFactsYAML(pf.cases, []byte(srcs[i]))
				tg, err2 := ParseFactsYAML(pf.cases, []byte(tgts[i]))
				if err1 != nil || err2 != nil {
					// a case may hold facts the library refuses (expect: error)
					continue
				}
				total += differ(t, fmt.Sprintf("%s case %d", pf.cases, i), p, s, tg)
				devices = append(devices, s, tg)
			}
		}
		for _, f := range exampleFacts(pf.path) {
			if x, err := ReadFacts(f); err == nil {
				devices = append(devices, x)
			}
		}
		// every device against every other
		for i := range devices {
			for j := i; j < len(devices); j++ {
				total += differ(t, fmt.Sprintf("%s devices %d, %d", pf.path, i, j), p,
					devices[i], devices[j])
			}
		}
	}
	t.Logf("%d checks compared", total)
}

// ------------------------------------------------------------ fuzz corpus

// fixedDevices are the fuzz harnesses' own devices (fuzz/eval.h).
var fixedDevices = []string{
	"device_type=pci\ndevice_id=8086591d\nmdev_type=i915-GVTg_V5_2\naggregator=1\n" +
		"pv_mode=\"none+ppgtt+context\"\ninterface_version=3\n",
	"device_type=pci\ndevice_id=8086591d\nmdev_type=i915-GVTg_V5_4\naggregator=2\n" +
		"interface_version=1\n",
	"software_version=2.1.1\ndevice_api=vfio-pci\ntype=nvidia-35\npci_id=10de1eb8\n" +
		"name=\"GRID T4-2B\"\ndescription=\"num_heads=4, frl_config=45\\nframebuffer=2048M\"\n" +
		"available_instances=8\nfeatures=a,b,c\nenabled=yes\nx=1\ny=2\nz=-3\ns=\"\"\n",
	"device_api=vfio-ccw\nsubchannel_type=0x3\nchpid_type=0x1a\nsoftware_version=1.0.0-rc.1+b7\n" +
		"aggregator=8\nmdev_type=i915-GVTg_V5_8\nremote_url=\"http://x/y\"\n",
}

func fixedFacts(t testing.TB) []*Facts {
	var out []*Facts
	for _, text := range fixedDevices {
		f, err := ParseFactsText("fixed", []byte(text))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, f)
	}
	return out
}

// parseDevice reads a device part of a check input as fuzz_check.c does.
func parseDevice(text string) *Facts {
	s := strings.TrimLeft(text, " \n")
	var f *Facts
	var err error
	if strings.HasPrefix(s, "{") || strings.HasPrefix(s, "---") {
		f, err = ParseFactsYAML("dev.yaml", []byte(text))
	} else {
		f, err = ParseFactsText("dev.kv", []byte(text))
	}
	if err != nil {
		return nil
	}
	return f
}

func TestDiffFuzzCheckCorpus(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(srcRoot, "fuzz/corpus/fuzz_check/*"))
	if len(files) == 0 {
		t.Fatal("no fuzz_check corpus")
	}
	fixed := fixedFacts(t)
	policies, checks := 0, 0
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		parts := strings.SplitN(string(data), "\n%%\n", 3)
		for len(parts) < 3 {
			parts = append(parts, "")
		}
		p, ok := loadPair(t, "fuzz.compat", []byte(parts[0]))
		if !ok {
			continue
		}
		policies++
		devices := append([]*Facts(nil), fixed...)
		for _, part := range parts[1:] {
			if f := parseDevice(part); f != nil {
				devices = append(devices, f)
			}
		}
		for i := range devices {
			for j := i; j < len(devices); j++ {
				checks += differ(t, fmt.Sprintf("%s %d,%d", filepath.Base(file), i, j), p,
					devices[i], devices[j])
			}
		}
	}
	t.Logf("%d corpus inputs, %d policies compiled, %d checks compared", len(files), policies,
		checks)
	if policies == 0 {
		t.Fatal("no corpus policy compiled")
	}
}

// ------------------------------------------------------------ random facts

// vocabulary: for each fact a policy reads, values seen in its examples and
// cases and variations of them.
func variations(v string, r *rand.Rand) []string {
	out := []string{v, "", " " + v + " ", strings.ToUpper(v)}
	if n, err := strconv.ParseInt(v, 0, 64); err == nil {
		out = append(out, strconv.FormatInt(n+1, 10), strconv.FormatInt(n-1, 10),
			strconv.FormatInt(n*2, 10), "0x"+strconv.FormatInt(n, 16),
			strconv.FormatInt(r.Int63n(1<<20)-1<<19, 10), "9223372036854775807",
			"-9223372036854775808", "18446744073709551615")
	}
	if strings.Count(v, ".") >= 1 {
		parts := strings.Split(v, ".")
		for i := range parts {
			q := append([]string(nil), parts...)
			if n, err := strconv.Atoi(q[i]); err == nil {
				q[i] = strconv.Itoa(n + 1)
				out = append(out, strings.Join(q, "."))
				q[i] = strconv.Itoa(n - 1)
				out = append(out, strings.Join(q, "."))
			}
		}
		out = append(out, v+"-rc.1", v+"+build", v+".0")
	}
	if i := strings.LastIndexAny(v, "0123456789"); i >= 0 {
		out = append(out, v[:i]+strconv.Itoa(r.Intn(20))+v[i+1:])
	}
	if strings.ContainsAny(v, ", ") {
		items := strings.FieldsFunc(v, func(c rune) bool { return c == ',' || c == ' ' })
		r.Shuffle(len(items), func(i, j int) { items[i], items[j] = items[j], items[i] })
		if len(items) > 1 {
			out = append(out, strings.Join(items[1:], ","))
		}
		out = append(out, strings.Join(items, " ")+",extra")
	}
	return out
}

func TestDiffRandomFacts(t *testing.T) {
	r := rand.New(rand.NewSource(17))
	perPolicy := 400
	if testing.Short() {
		perPolicy = 50
	}
	total := 0
	generic := []string{"0", "1", "-1", "yes", "off", "true", "1.2.3", "0x10", "ff", "a,b",
		"", "x", "2", "8", "1.0", "99999999999999999999", "none+ppgtt"}
	for _, pf := range shippedPolicies(t) {
		text, _ := os.ReadFile(pf.path)
		p, ok := loadPair(t, pf.path, text)
		if !ok {
			t.Fatalf("%s does not compile", pf.path)
		}
		seen := map[string][]string{}
		var devices []map[string]string
		add := func(f *Facts) {
			m := f.Map()
			devices = append(devices, m)
			for k, v := range m {
				seen[k] = append(seen[k], v)
			}
		}
		if pf.cases != "" {
			data, _ := os.ReadFile(pf.cases)
			srcs, tgts := caseDevices(string(data))
			for _, d := range append(srcs, tgts...) {
				if f, err := ParseFactsYAML("case", []byte(d)); err == nil {
					add(f)
				}
			}
		}
		for _, f := range exampleFacts(pf.path) {
			if x, err := ReadFacts(f); err == nil {
				add(x)
			}
		}
		fields := p.g.Fields()
		pick := func(name string) (string, bool) {
			if r.Intn(12) == 0 {
				return "", false
			}
			vals := seen[name]
			if len(vals) == 0 || r.Intn(6) == 0 {
				return generic[r.Intn(len(generic))], true
			}
			v := vals[r.Intn(len(vals))]
			vs := variations(v, r)
			if r.Intn(2) == 0 {
				return v, true
			}
			return vs[r.Intn(len(vs))], true
		}
		gen := func() map[string]string {
			var base map[string]string
			if len(devices) > 0 {
				base = devices[r.Intn(len(devices))]
			}
			m := map[string]string{}
			for k, v := range base {
				m[k] = v
			}
			for _, f := range fields {
				if r.Intn(3) != 0 {
					continue
				}
				if v, ok := pick(f); ok {
					m[f] = v
				} else {
					delete(m, f)
				}
			}
			return m
		}
		for i := 0; i < perPolicy; i++ {
			sm, tm := gen(), gen()
			s, err1 := NewFacts(sm)
			tg, err2 := NewFacts(tm)
			_, gerr1 := p.g.Prepare(sm)
			_, gerr2 := p.g.Prepare(tm)
			if (err1 == nil) != (gerr1 == nil) || (err2 == nil) != (gerr2 == nil) {
				t.Fatalf("facts accepted differently: %v %v / %v %v (%v %v)", err1, gerr1, err2,
					gerr2, sm, tm)
			}
			if err1 != nil || err2 != nil {
				continue
			}
			total += differ(t, fmt.Sprintf("%s random %d %v -> %v", pf.path, i, sm, tm), p, s, tg)
		}
	}
	t.Logf("%d checks compared", total)
}

// ------------------------------------------------------------ loaders

func fixCRC(d []byte) {
	if len(d) < 16 {
		return
	}
	c := crc32.ChecksumIEEE(d[:12])
	c = crc32.Update(c, crc32.IEEETable, d[16:])
	binary.LittleEndian.PutUint32(d[12:], c)
}

// sameLoad loads data with both loaders: the same decision, the same
// message (the C library's is cut to 1023 bytes), and when both accept,
// the same results on the fixed devices.
func sameLoad(t testing.TB, label string, data []byte, fixed []*Facts) bool {
	cp, cerr := LoadPolicy("f.cbc", data)
	gp, gerr := cbc.Load("f.cbc", data)
	if (cerr == nil) != (gerr == nil) {
		t.Errorf("%s: C says %v, Go says %v", label, cerr, gerr)
		return false
	}
	if cerr != nil {
		cm, gm := cerr.Error(), gerr.Error()
		if len(gm) > 1023 {
			gm = gm[:1023]
		}
		var ce *Error
		kindOK := errors.As(cerr, &ce) &&
			((ce.Status == ErrBytecode && errors.Is(gerr, cbc.ErrBytecode)) ||
				(ce.Status == ErrLimit && errors.Is(gerr, cbc.ErrLimit)))
		if cm != gm || !kindOK {
			t.Errorf("%s: refused differently:\n  C  %s\n  Go %s", label, cm, gm)
			return false
		}
		return true
	}
	p := pair{cp, gp}
	for i := range fixed {
		for j := range fixed {
			cr, err := cp.CheckFacts(fixed[i], fixed[j])
			if err != nil {
				t.Fatalf("%s: %v", label, err)
			}
			gr, _ := p.g.CheckFacts(fixed[i].Map(), fixed[j].Map())
			if d := sameResult(cr, gr); d != "" {
				t.Errorf("%s: devices %d -> %d:\n%s", label, i, j, d)
				return false
			}
		}
	}
	return true
}

func TestDiffCbcCorpus(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(srcRoot, "fuzz/corpus/fuzz_cbc/*"))
	if len(files) == 0 {
		t.Fatal("no fuzz_cbc corpus")
	}
	fixed := fixedFacts(t)
	accepted := 0
	for _, f := range files {
		data, _ := os.ReadFile(f)
		for _, fix := range []bool{false, true} {
			d := append([]byte(nil), data...)
			if fix {
				fixCRC(d)
			}
			if sameLoad(t, fmt.Sprintf("%s (crc fixed %v)", filepath.Base(f), fix), d, fixed) {
				if _, err := cbc.Load("x", d); err == nil {
					accepted++
				}
			}
		}
	}
	t.Logf("%d files, %d loads accepted by both", len(files), accepted)
}

// TestDiffCbcMutations: shipped policies' .cbc files, mutated (bytes
// changed, fields set to edge values, truncated), checksum recomputed.
func TestDiffCbcMutations(t *testing.T) {
	fixed := fixedFacts(t)
	r := rand.New(rand.NewSource(1717))
	n := 3000
	if testing.Short() {
		n = 300
	}
	var bases [][]byte
	for _, pf := range shippedPolicies(t) {
		text, _ := os.ReadFile(pf.path)
		p, ok := loadPair(t, pf.path, text)
		if !ok {
			continue
		}
		data, _ := p.c.Save()
		bases = append(bases, data)
	}
	stats := map[bool]int{}
	for i := 0; i < n; i++ {
		d := append([]byte(nil), bases[r.Intn(len(bases))]...)
		for k := 1 + r.Intn(3); k > 0; k-- {
			at := 16 + r.Intn(len(d)-16)
			switch r.Intn(5) {
			case 0:
				d[at] ^= 1 << uint(r.Intn(8))
			case 1:
				d[at] = byte(r.Intn(256))
			case 2:
				d[at] = []byte{0, 1, 0xff, 0x7f, 0x80, 2, 16}[r.Intn(7)]
			case 3:
				if at+2 <= len(d) {
					binary.LittleEndian.PutUint16(d[at:], uint16(r.Intn(70)))
				}
			default:
				d[at]++
			}
		}
		if r.Intn(20) == 0 {
			d = d[:16+r.Intn(len(d)-16)]
		}
		fixCRC(d)
		_, err := cbc.Load("x", d)
		stats[err == nil]++
		sameLoad(t, fmt.Sprintf("mutation %d", i), d, fixed)
	}
	t.Logf("%d mutations: %d accepted, %d refused (same decisions and messages)", n,
		stats[true], stats[false])
}

// FuzzDiff: a check input as fuzz_check.c reads it (a policy, a source, a
// target, split by lines "%%"), through both VMs: the C library compiles
// the policy, both load its .cbc, and every pair of the devices and the
// harness's fixed ones must give the same results in both.
func FuzzDiff(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(srcRoot, "fuzz/corpus/fuzz_check/*"))
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	fixed := fixedFacts(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		parts := strings.SplitN(string(data), "\n%%\n", 3)
		for len(parts) < 3 {
			parts = append(parts, "")
		}
		p, ok := loadPair(t, "fuzz.compat", []byte(parts[0]))
		if !ok {
			return
		}
		devices := append([]*Facts(nil), fixed...)
		for _, part := range parts[1:] {
			if x := parseDevice(part); x != nil {
				devices = append(devices, x)
			}
		}
		for i := range devices {
			for j := i; j < len(devices); j++ {
				differ(t, fmt.Sprintf("devices %d, %d", i, j), p, devices[i], devices[j])
			}
		}
	})
}

// FuzzDiffLoad: any bytes (and the same with the checksum recomputed)
// through both loaders: the same decision and message, the same results.
func FuzzDiffLoad(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(srcRoot, "fuzz/corpus/fuzz_cbc/*"))
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	fixed := fixedFacts(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		sameLoad(t, "input", data, fixed)
		d := append([]byte(nil), data...)
		fixCRC(d)
		sameLoad(t, "input, checksum recomputed", d, fixed)
	})
}

// edgePolicies exercise what the shipped policies rarely reach: checked
// arithmetic, exact division, conversions, sets and their item budget,
// bits(), template backtracking and its step bound, bool parsing, semver
// ranges with pre-releases, operands absent.
var edgePolicies = []string{
	`SELF:
    a = {x:int}
COMPATIBLE:
    a = {y:int}
    where x * y > 0 && x / y >= 1 && x % y == 0 && y - x < 100 && -x < x + y
COMPATIBLE:
    b = {z:hex}
    where z + 0x10 > 0x20 && max(z, 5) == z && min(-3, z) < 0
COMPATIBLE:
    c = {w:int:-5..5,100..}
    where int(source.d) + 9223372036854775000 > 0
`,
	`SELF:
    v = {tv:semver:>=1.2.3-rc.1 <2.0.0 || ~3.1 || 4.x}
COMPATIBLE:
    v = {sv:semver:^1.0.0-alpha || >=3.0.0-beta.2 <3.1.0}
    where major(sv) == major(tv) && patch(sv) <= patch(tv) && sv <= tv
COMPATIBLE:
    v = {sv:semver}
    where sv == tv
`,
	`SELF:
    caps = {c:set:a,b,c,d,e}
    mask = {m:hex}
COMPATIBLE:
    caps = {s:set}
    where subset(s, c) && contains(s, "a") && len(s) >= 1
    where subset(bits(hex(source.mask)), bits(m))
COMPATIBLE:
    flag = {f:bool:true}
    where bits(int(source.n)) == set("0,1")
COMPATIBLE:
    list = {l:set}
    where len(set(source.many)) > 2
`,
	`SELF:
    t = x{a:int}y{b:hex}z{s:string}
COMPATIBLE:
    t = x{a}y{b}z{s}
    u = {p:string}-{q:int:1..9}-{r:string}-{k:semver}
COMPATIBLE:
    t != x{a}y{b}z{s}
    u = {p:string}.{q:string}.{r:string}.{k:string}.{m:string}.{n:string}
    where has(source.u) && !has(self.zz)
`,
	`SELF:
    k = {n:int}
COMPATIBLE:
    m = {n * 3 / 2}
    o = ""
    q != ""
    r != abc
    s = "quoted"
COMPATIBLE:
    m = {n * 1000000000000 * 1000000000}
COMPATIBLE:
    m < {n}
    m >= 0x10
`,
}

// recordPolicies walk records (all/any, nested, both sides).
var recordPolicies = []string{
	`SELF:
    kind = t
    where any(self.q, t, t.id == "a")
COMPATIBLE:
    where all(source.q, a, all(source.q, b, a.n == b.n || a.id != b.id))
    where !any(source.q, x, x.id == "z") || all(source.q, y, has(y.n))
COMPATIBLE:
    where all(source.q, s, any(self.q, t, t.id == s.id && int(t.n) >= int(s.n)))
COMPATIBLE:
    where any(source.q, s, int(s.n) / 2 > 0)
`,
}

var recordDevices = []map[string]string{
	{"kind": "t", "q.0.id": "a", "q.0.n": "1", "q.1.id": "b", "q.1.n": "2"},
	{"kind": "t", "q.0.id": "a", "q.1.id": "c"},
	{"kind": "t", "q.0.id": "b", "q.0.n": "3", "q.1.id": "a", "q.1.n": "9"},
	{"kind": "t", "q.0.id": "z", "q.0.n": "x"},
	{"kind": "t"},
	{"kind": "t", "q.0.id": "a", "q.0.n": "5", "q.1.id": "a", "q.1.n": "5", "q.2.id": "a",
		"q.2.n": "3"},
}

var edgeDevices = []map[string]string{
	{"a": "6", "b": "0x30", "c": "100", "d": "7", "k": "4", "m": "6", "q": "x", "r": "abd",
		"s": "quoted", "v": "1.5.0", "caps": "a,b", "mask": "0x0f", "flag": "yes", "n": "3",
		"t": "x12yffzhello", "u": "a-1-b-1.2.3", "list": "x y z", "many": "1 2 3 4"},
	{"a": "-9223372036854775808", "b": "ffffffffffffffff", "c": "-6", "d": "9223372036854775807",
		"k": "9223372036854775807", "m": "-1", "o": "", "q": "", "v": "3.1.9-rc.1",
		"caps": "a b a c", "mask": "0x8000000000000001", "flag": "off", "n": "-1",
		"t": "x1y2z3", "u": "a.b.c.d.e.f", "list": "", "many": strings.Repeat("x,", 1500)},
	{"a": "3", "b": "8", "c": "101", "d": "1", "k": "2", "m": "3", "o": "nonempty",
		"v": "2.0.0-0", "caps": "a,z", "mask": "0x3", "flag": "TRUE", "n": "0x3",
		"t": strings.Repeat("xy", 300), "u": strings.Repeat("-", 60) + "1-2-3",
		"many": "a,,b  c"},
	{"a": "0", "v": "4.0.0", "caps": "", "mask": "x", "t": "x0y0z",
		"u": strings.Repeat("a.", 40) + "z", "k": "-3", "m": "-9"},
	{"a": "2", "v": "1.2.3-rc.1", "k": "1", "m": "1", "n": "-5", "mask": "ff"},
	{"v": "1.2.3-rc.0", "k": "0", "m": "0", "caps": "e d c b a", "mask": "0"},
}

func TestDiffEdgeCases(t *testing.T) {
	n := diffEdge(t, edgePolicies, edgeDevices)
	n += diffEdge(t, recordPolicies, recordDevices)
	t.Logf("%d checks compared", n)
}

func diffEdge(t *testing.T, policies []string, maps []map[string]string) int {
	var devices []*Facts
	for _, m := range maps {
		f, err := NewFacts(m)
		if err != nil {
			t.Fatal(err)
		}
		devices = append(devices, f)
	}
	n := 0
	for i, text := range policies {
		p, ok := loadPair(t, fmt.Sprintf("edge%d.compat", i), []byte(text))
		if !ok {
			_, _, err := CompilePolicy("edge.compat", []byte(text))
			t.Fatalf("edge policy %d does not compile: %v", i, err)
		}
		for a := range devices {
			for b := a; b < len(devices); b++ {
				n += differ(t, fmt.Sprintf("edge policy %d, devices %d, %d", i, a, b), p,
					devices[a], devices[b])
			}
		}
	}
	return n
}

// TestDiffBudgetPerCheck: the template step budget is one per check, in a
// batch and a fleet as in a single check: many targets whose COMPATIBLE
// template backtracks a lot (each check well within the budget, all of
// them together far over it) get the same verdicts from the C library's
// single checks, batch and fleet, and from the Go VM.
func TestDiffBudgetPerCheck(t *testing.T) {
	text := `SELF:
    x = {x:string}
COMPATIBLE:
    u = {x}.{p:string}.{q:string}.{r:int}!
`
	p, ok := loadPair(t, "budget.compat", []byte(text))
	if !ok {
		t.Fatal("budget.compat does not compile")
	}
	src, err := NewFacts(map[string]string{"u": "a" + strings.Repeat(".", 150) + "z!"})
	if err != nil {
		t.Fatal(err)
	}
	tf, _ := NewFacts(map[string]string{"x": "a"})
	cs, _ := p.c.Prepare(src)
	var targets []*Prepared
	var gtargets []*cbc.Prepared
	gs, _ := p.g.Prepare(src.Map())
	for i := 0; i < 32; i++ {
		ct, _ := p.c.Prepare(tf)
		targets = append(targets, ct)
		gt, _ := p.g.Prepare(tf.Map())
		gtargets = append(gtargets, gt)
	}
	single, _ := p.c.Check(cs, targets[0])
	if len(single.Reasons) != 1 || !strings.Contains(single.Reasons[0].Message, "does not match") {
		t.Fatalf("one check should fail to match within its budget: %+v", single.Reasons)
	}
	gv, gb := make([]cbc.Verdict, len(gtargets)), make([]int, len(gtargets))
	p.g.CheckBatch(gs, gtargets, gv, gb)
	bv, bb, err := p.c.CheckBatch(cs, targets)
	if err != nil {
		t.Fatal(err)
	}
	fl, err := p.c.NewFleet(targets)
	if err != nil {
		t.Fatal(err)
	}
	fv, fb, err := p.c.CheckFleet(cs, fl)
	if err != nil {
		t.Fatal(err)
	}
	for i := range targets {
		if bv[i] != single.Verdict || fv[i] != single.Verdict || gv[i] != single.Verdict ||
			bb[i] != fb[i] || gb[i] != bb[i] {
			t.Fatalf("target %d: single %v, batch %v %d, fleet %v %d, Go %v %d", i,
				single.Verdict, bv[i], bb[i], fv[i], fb[i], gv[i], gb[i])
		}
	}
	t.Logf("%d targets, each %v (%s)", len(targets), single.Verdict, single.Explain)
}

// TestDiffFacts: the names and values both sides accept, and the message
// when they refuse one.
func TestDiffFacts(t *testing.T) {
	long := strings.Repeat("a", 256)
	names := []string{"a", "a.b", "_x.y_1", "sla.0.cir", "sla.10.x.2.y", "a.0", "a.01.b",
		"a.12345.b", "0a", "a..b", "a.", ".a", "a-b", "a b", "a\x01", "é", long, long[:255],
		"a.0.1.b", "a.b.0", "", "x.9999.y"}
	values := []string{"", "  x  ", "a\tb", "a\nb", "a\rb", "\x00", "\x7f", "é",
		strings.Repeat("v", 4096), strings.Repeat("v", 4097), " \n\t v \r\n"}
	try := func(m map[string]string) {
		_, cerr := NewFacts(m)
		gerr := cbc.CheckFacts(m)
		if (cerr == nil) != (gerr == nil) {
			t.Errorf("%q: C %v, Go %v", m, cerr, gerr)
			return
		}
		if cerr != nil && cerr.Error() != gerr.Error() {
			t.Errorf("%q:\n  C  %v\n  Go %v", m, cerr, gerr)
		}
		var ce *Error
		if cerr != nil && errors.As(cerr, &ce) {
			if (ce.Status == ErrLimit) != errors.Is(gerr, cbc.ErrLimit) {
				t.Errorf("%q: C status %v, Go %v", m, ce.Status, gerr)
			}
		}
	}
	for _, n := range names {
		try(map[string]string{n: "1"})
	}
	for _, v := range values {
		try(map[string]string{"k": v})
	}
	many := map[string]string{}
	for i := 0; i < 1025; i++ {
		many[fmt.Sprintf("f%d", i)] = "x"
	}
	_, cerr := NewFacts(many)
	if gerr := cbc.CheckFacts(many); (cerr == nil) != (gerr == nil) {
		t.Errorf("1025 facts: C %v, Go %v", cerr, gerr)
	}
}
