package devcompat

/*
#include <stdlib.h>
#include <devcompat.h>
*/
import "C"

import (
	"runtime"
	"unsafe"
)

// Policy is a compiled policy (from source or from a .cbc file).
type Policy struct {
	p   *C.dc_policy
	set *PolicySet // the set owning the policy (kept alive by it), or nil
}

func newPolicy(p *C.dc_policy) *Policy {
	pol := &Policy{p: p}
	runtime.SetFinalizer(pol, (*Policy).Close)
	return pol
}

// Close releases the policy's C memory (the finalizer does it otherwise).
// Facts prepared for it must not be used afterwards.  A policy of a
// PolicySet belongs to the set: its Close does nothing (the set's does it).
func (pol *Policy) Close() {
	if pol.set != nil {
		return
	}
	if pol.p != nil {
		C.dc_policy_free(pol.p)
		pol.p = nil
	}
	runtime.SetFinalizer(pol, nil)
}

func (pol *Policy) ptr() *C.dc_policy {
	if pol == nil || pol.p == nil {
		panic("devcompat: use of a closed or nil Policy")
	}
	return pol.p
}

func diagnostics(d *C.dc_diags) []Diagnostic {
	if d == nil {
		return nil
	}
	n := int(C.dc_diags_count(d))
	out := make([]Diagnostic, 0, n)
	for i := 0; i < n; i++ {
		g := C.dc_diag{size: C.sizeof_dc_diag}
		if C.dc_diags_get(d, C.size_t(i), &g) != C.DC_OK {
			continue
		}
		x := Diagnostic{File: C.GoString(g.file), Line: int(g.line), Col: int(g.col),
			EndCol: int(g.end_col), Severity: Severity(g.severity), Message: C.GoString(g.message)}
		if g.source_line != nil {
			x.SourceLine = C.GoString(g.source_line)
		}
		out = append(out, x)
	}
	return out
}

// CompilePolicy compiles policy source text; file names it in diagnostics
// and reasons.  A policy with errors gives an *Error of status ErrPolicy
// whose Diagnostics list them; warnings of a policy that compiles are
// returned with it.
func CompilePolicy(file string, text []byte) (*Policy, []Diagnostic, error) {
	cfile := C.CString(file)
	defer C.free(unsafe.Pointer(cfile))
	ctext := C.CBytes(text)
	defer C.free(ctext)
	var out *C.dc_policy
	var diags *C.dc_diags
	var err C.dc_error
	st := C.dc_policy_compile(cfile, (*C.char)(ctext), C.size_t(len(text)), &out, &diags, &err)
	ds := diagnostics(diags)
	C.dc_diags_free(diags)
	if st != C.DC_OK {
		e := newError(&err, st).(*Error)
		e.Diagnostics = ds
		return nil, ds, e
	}
	return newPolicy(out), ds, nil
}

// LoadPolicy loads a compiled policy from the bytes of a .cbc file and
// verifies it completely (ErrBytecode when anything is wrong).
func LoadPolicy(file string, data []byte) (*Policy, error) {
	cfile := C.CString(file)
	defer C.free(unsafe.Pointer(cfile))
	cdata := C.CBytes(data)
	defer C.free(cdata)
	var out *C.dc_policy
	var err C.dc_error
	st := C.dc_policy_load(cfile, cdata, C.size_t(len(data)), &out, &err)
	if st != C.DC_OK {
		return nil, newError(&err, st)
	}
	return newPolicy(out), nil
}

// ReadPolicy reads a policy file: a .cbc file (told by its magic) is
// loaded and verified, anything else compiled as source.
func ReadPolicy(path string) (*Policy, error) {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	var out *C.dc_policy
	var diags *C.dc_diags
	var err C.dc_error
	st := C.dc_policy_read_file(cpath, &out, &diags, &err)
	ds := diagnostics(diags)
	C.dc_diags_free(diags)
	if st != C.DC_OK {
		e := newError(&err, st).(*Error)
		e.Diagnostics = ds
		return nil, e
	}
	return newPolicy(out), nil
}

// Save is the policy as the bytes of a .cbc file (which devcompat/cbc
// loads without cgo).
func (pol *Policy) Save() ([]byte, error) {
	p := pol.ptr()
	var data unsafe.Pointer
	var n C.size_t
	var err C.dc_error
	st := C.dc_policy_save(p, &data, &n, &err)
	runtime.KeepAlive(pol)
	if st != C.DC_OK {
		return nil, newError(&err, st)
	}
	defer C.dc_buffer_free(p, data)
	return C.GoBytes(data, C.int(n)), nil
}

// Name is the policy's name (its POLICY block's, or its file's).
func (pol *Policy) Name() string {
	defer runtime.KeepAlive(pol)
	return C.GoString(C.dc_policy_name(pol.ptr()))
}

// File is the file the policy was compiled from.
func (pol *Policy) File() string {
	defer runtime.KeepAlive(pol)
	return C.GoString(C.dc_policy_file(pol.ptr()))
}

// Blocks is the number of COMPATIBLE blocks.
func (pol *Policy) Blocks() int {
	defer runtime.KeepAlive(pol)
	return int(C.dc_policy_block_count(pol.ptr()))
}

// BlockName is COMPATIBLE block i's name, "" when unnamed.
func (pol *Policy) BlockName(i int) string {
	defer runtime.KeepAlive(pol)
	if i < 0 {
		return ""
	}
	return goStr(C.dc_policy_block_name(pol.ptr(), C.size_t(i)))
}

func goStr(s *C.char) string {
	if s == nil {
		return ""
	}
	return C.GoString(s)
}
