package cbc

// bench_test.go -- the pure-Go VM on bench/bench.c's pairs: the same rule
// (bench/share.compat), the same 1024 pairs from the same seed.  Run by
// bench/go.sh next to the C VM's figure; never asserted on (a test only
// checks the verdicts against the rule written by hand, as bench.c does).

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// cpuNanos is the CPU time the process has used (the machine running the
// benchmarks may be busy: wall-clock time per op overstates).
func cpuNanos() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// reportCPU adds a cpu-ns/op metric from start (cpuNanos at the timer's start).
func reportCPU(b *testing.B, start int64, per int) {
	b.ReportMetric(float64(cpuNanos()-start)/float64(b.N)/float64(per), "cpu-ns/op")
}

const benchPairs = 1024

type benchDev struct {
	facts map[string]string
	api   string
	pciID uint64
	typ   string
	agg   int64
	major uint64
	minor uint64
}

// benchRNG is bench.c's xorshift64*.
type benchRNG uint64

func (r *benchRNG) n(n uint32) uint32 {
	x := uint64(*r)
	x ^= x >> 12
	x ^= x << 25
	x ^= x >> 27
	*r = benchRNG(x)
	return uint32((x*0x2545f4914f6cdd1d)>>32) % n
}

func makeBenchDev(api, pci, typ string, agg int64, major, minor, patch uint32, short bool) benchDev {
	ver := fmt.Sprintf("%d.%d.%d", major, minor, patch)
	if short {
		ver = fmt.Sprintf("%d.%d", major, minor)
	}
	id, _ := strconv.ParseUint(pci, 16, 64)
	return benchDev{
		facts: map[string]string{"device_api": api, "pci_id": pci, "mdev_type": typ,
			"aggregator": strconv.FormatInt(agg, 10), "software_version": ver},
		api: api, pciID: id, typ: typ, agg: agg, major: uint64(major), minor: uint64(minor),
	}
}

// benchGenerate is bench.c's generate(): most pairs near misses.
func benchGenerate() (sources, targets []benchDev) {
	pcis := []string{"8086591d", "80865963", "80863e92", "8086193b"}
	apis := []string{"vfio-pci", "vfio-ccw"}
	sizes := []int{1, 2, 4, 8}
	r := benchRNG(0x2545f4914f6cdd1d)
	for i := 0; i < benchPairs; i++ {
		n := sizes[r.n(4)]
		tn := n
		if r.n(32) == 0 {
			tn = 3
		}
		agg := 1 + int(r.n(8))
		tmaj, tmin := 1+r.n(2), r.n(6)
		pci := pcis[r.n(4)]
		api := apis[0]
		if r.n(16) == 0 {
			api = apis[1]
		}
		typ := fmt.Sprintf("i915-GVTg_V5_%d", tn)
		patch := r.n(10)
		t := makeBenchDev(api, pci, typ, int64(agg), tmaj, tmin, patch, r.n(4) == 0)
		sapi := api
		if r.n(10) == 0 {
			sapi = apis[0]
			if api == apis[0] {
				sapi = apis[1]
			}
		}
		spci := pci
		if r.n(10) == 0 {
			spci = pcis[r.n(4)]
		}
		var m int
		if r.n(10) != 0 {
			m = sizes[r.n(4)]
		} else if r.n(2) != 0 {
			m = 3
		} else {
			m = 16
		}
		var sagg int
		if r.n(10) < 7 && m*agg%n == 0 && m*agg/n >= 1 {
			sagg = m * agg / n
		} else {
			sagg = 1 + int(r.n(8))
		}
		if r.n(20) == 0 {
			typ = fmt.Sprintf("i915-GVTg_V4_%d", m)
		} else {
			typ = fmt.Sprintf("i915-GVTg_V5_%d", m)
		}
		smaj := tmaj
		if r.n(8) == 0 {
			smaj = 3 - tmaj
		}
		smin := r.n(6)
		spatch := r.n(10)
		s := makeBenchDev(sapi, spci, typ, int64(sagg), smaj, smin, spatch, r.n(4) == 0)
		sources = append(sources, s)
		targets = append(targets, t)
	}
	return
}

func gvtSize(s string) int64 {
	const prefix = "i915-GVTg_V5_"
	if len(s) <= len(prefix) || len(s) > len(prefix)+3 || !strings.HasPrefix(s, prefix) {
		return 0
	}
	n, err := strconv.ParseInt(s[len(prefix):], 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	if n == 1 || n == 2 || n == 4 || n == 8 {
		return n
	}
	return 0
}

// handCheck is bench.c's hand-written rule.
func handCheck(s, t *benchDev) Verdict {
	n := gvtSize(t.typ)
	if t.api == "" || n == 0 || t.agg < 1 || t.agg > 8 {
		return TargetMismatch
	}
	if s.api != t.api || s.pciID != t.pciID {
		return Incompatible
	}
	m := gvtSize(s.typ)
	if m == 0 || m*t.agg%n != 0 || s.agg != m*t.agg/n {
		return Incompatible
	}
	if s.major != t.major || s.minor > t.minor {
		return Incompatible
	}
	return Compatible
}

// benchSetup loads the benchmark's policy ($DEVCOMPAT_BENCH_CBC: bench.sh
// compiles bench/share.compat) and prepares the pairs.
func benchSetup(tb testing.TB) (*Policy, []*Prepared, []*Prepared, []Verdict) {
	path := os.Getenv("DEVCOMPAT_BENCH_CBC")
	if path == "" {
		tb.Skip("DEVCOMPAT_BENCH_CBC is not set (bench/go.sh sets it)")
	}
	pol, err := ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	srcs, tgts := benchGenerate()
	ps, pt := make([]*Prepared, benchPairs), make([]*Prepared, benchPairs)
	want := make([]Verdict, benchPairs)
	for i := range srcs {
		if ps[i], err = pol.Prepare(srcs[i].facts); err != nil {
			tb.Fatal(err)
		}
		if pt[i], err = pol.Prepare(tgts[i].facts); err != nil {
			tb.Fatal(err)
		}
		want[i] = handCheck(&srcs[i], &tgts[i])
	}
	return pol, ps, pt, want
}

func TestBenchPairsAgree(t *testing.T) {
	pol, ps, pt, want := benchSetup(t)
	r := pol.NewResult()
	counts := map[Verdict]int{}
	for i := range ps {
		r.Check(ps[i], pt[i])
		if r.Verdict() != want[i] {
			t.Fatalf("pair %d: %v, the rule by hand says %v", i, r.Verdict(), want[i])
		}
		counts[want[i]]++
	}
	t.Logf("%d pairs: %v", benchPairs, counts)
}

// BenchmarkPreparedCheck: ns/op is per pair (Result.Check on prepared facts).
func BenchmarkPreparedCheck(b *testing.B) {
	pol, ps, pt, want := benchSetup(b)
	r := pol.NewResult()
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuNanos()
	for i := 0; i < b.N; i++ {
		k := i & (benchPairs - 1)
		r.Check(ps[k], pt[k])
		if r.Verdict() != want[k] {
			b.Fatal("verdict differs")
		}
	}
	reportCPU(b, start, 1)
}

// BenchmarkBatch: one source against the 1024 targets; ns/op per target.
func BenchmarkBatch(b *testing.B) {
	pol, ps, pt, _ := benchSetup(b)
	verdicts, blocks := make([]Verdict, benchPairs), make([]int, benchPairs)
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuNanos()
	for i := 0; i < b.N; i += benchPairs {
		pol.CheckBatch(ps[i/benchPairs&(benchPairs-1)], pt, verdicts, blocks)
	}
	reportCPU(b, start, 1)
}

// BenchmarkEndToEnd: both devices' maps prepared, then checked, per pair.
func BenchmarkEndToEnd(b *testing.B) {
	pol, _, _, want := benchSetup(b)
	srcs, tgts := benchGenerate()
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuNanos()
	for i := 0; i < b.N; i++ {
		k := i & (benchPairs - 1)
		r, err := pol.CheckFacts(srcs[k].facts, tgts[k].facts)
		if err != nil || r.Verdict() != want[k] {
			b.Fatal("verdict differs")
		}
	}
	reportCPU(b, start, 1)
}
