package devcompat

/*
#include <stdlib.h>
#include <devcompat.h>
*/
import "C"

import (
	"runtime"
	"unsafe"

	"devcompat/cbc"
)

// Prepared is a device's facts prepared for one policy: a check of
// prepared facts does no hashing, parsing or allocation in the library.
type Prepared struct {
	d   *C.dc_prepared
	pol *Policy // kept alive: the prepared facts point into it
}

// Prepare prepares facts for the policy.
func (pol *Policy) Prepare(f *Facts) (*Prepared, error) {
	var out *C.dc_prepared
	var err C.dc_error
	st := C.dc_prepare(pol.ptr(), f.ptr(), &out, &err)
	runtime.KeepAlive(f)
	if st != C.DC_OK {
		return nil, newError(&err, st)
	}
	d := &Prepared{d: out, pol: pol}
	runtime.SetFinalizer(d, (*Prepared).Close)
	return d, nil
}

// Close releases the prepared facts (the finalizer does it otherwise).
func (d *Prepared) Close() {
	if d.d != nil {
		C.dc_prepared_free(d.d)
		d.d = nil
	}
	runtime.SetFinalizer(d, nil)
}

// Policy is the policy the facts were prepared for.
func (d *Prepared) Policy() *Policy { return d.pol }

func (d *Prepared) ptr(pol *Policy) *C.dc_prepared {
	if d == nil || d.d == nil {
		panic("devcompat: use of closed or nil Prepared")
	}
	if d.pol != pol {
		panic("devcompat: facts prepared for another policy")
	}
	return d.d
}

// The outcome of a check is the pure-Go package's: both packages give the
// same values (and diff_test.go holds them to it).
type (
	Verdict = cbc.Verdict
	Type    = cbc.Type
	Binding = cbc.Binding
	Reason  = cbc.Reason
)

// Result is everything a check tells, copied out of the library: the same
// Outcome the pure-Go VM gives, and the library's own JSON rendering.
type Result struct {
	cbc.Outcome
	json string
}

// JSON is the object the library renders for the check (dc_result_render;
// what `compatc check --json` prints, a mismatch's message naming no target).
func (r *Result) JSON() string { return r.json }

// The verdicts and types (dc_verdict, dc_type).
const (
	Compatible     = cbc.Compatible
	Incompatible   = cbc.Incompatible
	TargetMismatch = cbc.TargetMismatch
	TypeInt        = cbc.TypeInt
	TypeHex        = cbc.TypeHex
	TypeString     = cbc.TypeString
	TypeSemver     = cbc.TypeSemver
	TypeBool       = cbc.TypeBool
	TypeSet        = cbc.TypeSet
)

func goResult(pol *Policy, r *C.dc_result) *Result {
	res := &Result{Outcome: cbc.Outcome{Verdict: Verdict(C.dc_result_verdict(r)),
		Block: int(C.dc_result_block(r)), BlockName: goStr(C.dc_result_block_name(r)),
		Policy: pol.Name()}}
	var json *C.char
	if C.dc_result_render(r, C.DC_FORMAT_JSON, 0, nil, &json) == C.DC_OK {
		res.json = goStr(json)
	}
	n := int(C.dc_result_binding_count(r))
	for i := 0; i < n; i++ {
		b := C.dc_binding{size: C.sizeof_dc_binding}
		if C.dc_result_binding_get(r, C.size_t(i), &b) != C.DC_OK {
			continue
		}
		res.Bindings = append(res.Bindings, Binding{Name: C.GoString(b.name), Type: Type(b._type),
			Int: int64(b.int_value), Text: goStr(b.text)})
	}
	n = int(C.dc_result_reason_count(r))
	for i := 0; i < n; i++ {
		w := C.dc_reason{size: C.sizeof_dc_reason}
		if C.dc_result_reason_get(r, C.size_t(i), &w) != C.DC_OK {
			continue
		}
		why := Reason{Block: int(w.block), BlockName: goStr(w.block_name),
			File: goStr(w.file), Line: int(w.line), Field: goStr(w.field),
			Expected: goStr(w.expected), Actual: goStr(w.actual), HasActual: w.actual != nil,
			Message: goStr(w.message), Missing: goStr(w.missing)}
		if w.nvalues > 0 {
			vals := unsafe.Slice(w.values, int(w.nvalues))
			for k := range vals {
				v := &vals[k]
				why.Values = append(why.Values, Binding{Name: goStr(v.name), Type: Type(v._type),
					Int: int64(v.int_value), Text: goStr(v.text)})
			}
		}
		res.Reasons = append(res.Reasons, why)
	}
	var explain *C.char
	if C.dc_result_explain(r, &explain) == C.DC_OK {
		res.Explain = goStr(explain)
	}
	return res
}

// Check answers "may source migrate to target?" (both prepared for pol).
func (pol *Policy) Check(source, target *Prepared) (*Result, error) {
	p := pol.ptr()
	var r *C.dc_result
	if st := C.dc_result_new(p, &r, nil); st != C.DC_OK {
		return nil, statusError(st, "check")
	}
	defer C.dc_result_free(r)
	st := C.dc_check(p, source.ptr(pol), target.ptr(pol), r)
	if st != C.DC_OK {
		return nil, statusError(st, "check")
	}
	res := goResult(pol, r)
	runtime.KeepAlive(source)
	runtime.KeepAlive(target)
	runtime.KeepAlive(pol)
	return res, nil
}

// CheckFacts prepares both devices' facts and checks the pair.
func (pol *Policy) CheckFacts(source, target *Facts) (*Result, error) {
	p := pol.ptr()
	var r *C.dc_result
	if st := C.dc_result_new(p, &r, nil); st != C.DC_OK {
		return nil, statusError(st, "check")
	}
	defer C.dc_result_free(r)
	var err C.dc_error
	st := C.dc_check_facts(p, source.ptr(), target.ptr(), r, &err)
	if st != C.DC_OK {
		return nil, newError(&err, st)
	}
	res := goResult(pol, r)
	runtime.KeepAlive(source)
	runtime.KeepAlive(target)
	runtime.KeepAlive(pol)
	return res, nil
}

// cTargets is a C array of the targets' pointers; the returned func frees it.
func cTargets(pol *Policy, targets []*Prepared) (**C.dc_prepared, func()) {
	if len(targets) == 0 {
		return nil, func() {}
	}
	size := C.size_t(len(targets)) * C.size_t(unsafe.Sizeof((*C.dc_prepared)(nil)))
	arr := (**C.dc_prepared)(C.malloc(size))
	view := unsafe.Slice(arr, len(targets))
	for i, t := range targets {
		view[i] = t.ptr(pol)
	}
	return arr, func() { C.free(unsafe.Pointer(arr)) }
}

// CheckBatch checks one source against many prepared targets: each
// target's verdict and matching block (-1 when none).
func (pol *Policy) CheckBatch(source *Prepared, targets []*Prepared) ([]Verdict, []int, error) {
	p := pol.ptr()
	arr, free := cTargets(pol, targets)
	defer free()
	n := len(targets)
	verdicts := make([]C.dc_verdict, n+1)
	blocks := make([]C.int32_t, n+1)
	st := C.dc_check_batch(p, source.ptr(pol), arr, C.size_t(n), &verdicts[0], &blocks[0])
	runtime.KeepAlive(targets)
	runtime.KeepAlive(source)
	runtime.KeepAlive(pol)
	if st != C.DC_OK {
		return nil, nil, statusError(st, "check batch")
	}
	vs, bs := make([]Verdict, n), make([]int, n)
	for i := 0; i < n; i++ {
		vs[i], bs[i] = Verdict(verdicts[i]), int(blocks[i])
	}
	return vs, bs, nil
}

// Fleet is many targets packed for fast checks of sources against all of
// them (dc_fleet): what a check reads of each target, in one array.
type Fleet struct {
	f       *C.dc_fleet
	pol     *Policy
	targets []*Prepared // kept alive: records may point into them
}

// NewFleet packs prepared targets for pol.
func (pol *Policy) NewFleet(targets []*Prepared) (*Fleet, error) {
	arr, free := cTargets(pol, targets)
	defer free()
	var out *C.dc_fleet
	var err C.dc_error
	st := C.dc_fleet_new(pol.ptr(), arr, C.size_t(len(targets)), &out, &err)
	runtime.KeepAlive(targets)
	if st != C.DC_OK {
		return nil, newError(&err, st)
	}
	fl := &Fleet{f: out, pol: pol, targets: append([]*Prepared(nil), targets...)}
	runtime.SetFinalizer(fl, (*Fleet).Close)
	return fl, nil
}

// Close releases the fleet.
func (fl *Fleet) Close() {
	if fl.f != nil {
		C.dc_fleet_free(fl.f)
		fl.f = nil
	}
	runtime.SetFinalizer(fl, nil)
}

// Len is the number of targets.
func (fl *Fleet) Len() int { return len(fl.targets) }

// CheckFleet checks source against every target of the fleet, in order.
func (pol *Policy) CheckFleet(source *Prepared, fl *Fleet) ([]Verdict, []int, error) {
	if fl == nil || fl.f == nil {
		panic("devcompat: use of closed or nil Fleet")
	}
	n := len(fl.targets)
	verdicts := make([]C.dc_verdict, n+1)
	blocks := make([]C.int32_t, n+1)
	st := C.dc_check_fleet(pol.ptr(), source.ptr(pol), fl.f, &verdicts[0], &blocks[0])
	runtime.KeepAlive(fl)
	runtime.KeepAlive(source)
	runtime.KeepAlive(pol)
	if st != C.DC_OK {
		return nil, nil, statusError(st, "check fleet")
	}
	vs, bs := make([]Verdict, n), make([]int, n)
	for i := 0; i < n; i++ {
		vs[i], bs[i] = Verdict(verdicts[i]), int(blocks[i])
	}
	return vs, bs, nil
}
