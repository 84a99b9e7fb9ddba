package devcompat

// policyset.go -- a directory of policies, each target judged by the one
// whose SELF it satisfies (docs/embedding.md, "Policy sets").

/*
#include <stdlib.h>
#include <devcompat.h>
*/
import "C"

import (
	"runtime"
	"unsafe"
)

// PolicySet is every *.compat and *.cbc file of a directory, in name order
// (`compatc --policy-dir`).  A file that cannot be read, compiled or
// verified does not fail the set: it is a broken entry, never chosen, whose
// Err says why.
type PolicySet struct {
	s       *C.dc_policyset
	Entries []PolicyEntry
}

// PolicyEntry is one file of a PolicySet.
type PolicyEntry struct {
	Path        string       // "DIR/NAME"
	Policy      *Policy      // nil when broken; owned by the set
	Err         error        // nil when usable; an *Error (status, message) when broken
	Diagnostics []Diagnostic // its compilation's (warnings when usable); nil for a .cbc
}

// ReadPolicySet reads every policy file of dir.  It fails only when the
// directory cannot be listed (ErrIO); broken files are entries (Broken).
func ReadPolicySet(dir string) (*PolicySet, error) {
	cdir := C.CString(dir)
	defer C.free(unsafe.Pointer(cdir))
	var out *C.dc_policyset
	var err C.dc_error
	if st := C.dc_policyset_read_dir(cdir, &out, &err); st != C.DC_OK {
		return nil, newError(&err, st)
	}
	set := &PolicySet{s: out}
	n := int(C.dc_policyset_count(out))
	set.Entries = make([]PolicyEntry, n)
	for i := range set.Entries {
		ci := C.size_t(i)
		e := &set.Entries[i]
		e.Path = C.GoString(C.dc_policyset_path(out, ci))
		e.Diagnostics = diagnostics(C.dc_policyset_diags(out, ci))
		if p := C.dc_policyset_policy(out, ci); p != nil {
			e.Policy = &Policy{p: (*C.dc_policy)(unsafe.Pointer(p)), set: set}
		} else {
			st := C.dc_policyset_status(out, ci)
			e.Err = &Error{Status: Status(st), Message: goStr(C.dc_policyset_message(out, ci)),
				Diagnostics: e.Diagnostics}
		}
	}
	runtime.SetFinalizer(set, (*PolicySet).Close)
	return set, nil
}

// Close releases the set and its policies (the finalizer does it
// otherwise); facts prepared for them must not be used afterwards.
func (set *PolicySet) Close() {
	if set.s != nil {
		for _, e := range set.Entries {
			if e.Policy != nil {
				e.Policy.p = nil
			}
		}
		C.dc_policyset_free(set.s)
		set.s = nil
	}
	runtime.SetFinalizer(set, nil)
}

func (set *PolicySet) ptr() *C.dc_policyset {
	if set == nil || set.s == nil {
		panic("devcompat: use of a closed or nil PolicySet")
	}
	return set.s
}

// Policies are the usable policies, in name order.
func (set *PolicySet) Policies() []*Policy {
	var out []*Policy
	for _, e := range set.Entries {
		if e.Policy != nil {
			out = append(out, e.Policy)
		}
	}
	return out
}

// Broken are the entries that could not be read, compiled or verified.
func (set *PolicySet) Broken() []PolicyEntry {
	var out []PolicyEntry
	for _, e := range set.Entries {
		if e.Policy == nil {
			out = append(out, e)
		}
	}
	return out
}

// Select is the policy whose SELF the target satisfies.  When none does,
// an *Error of status ErrNoPolicy whose message names the broken files
// (one might have been the target's); when several do, ErrAmbiguousPolicy
// naming them.
func (set *PolicySet) Select(target *Facts) (*Policy, error) {
	var i C.size_t
	var err C.dc_error
	st := C.dc_policyset_select(set.ptr(), target.ptr(), &i, &err)
	runtime.KeepAlive(set)
	runtime.KeepAlive(target)
	if st != C.DC_OK {
		return nil, newError(&err, st)
	}
	return set.Entries[int(i)].Policy, nil
}

// CheckFacts checks a pair with the policy that describes the target
// (Select's errors when none or several do).
func (set *PolicySet) CheckFacts(source, target *Facts) (*Result, error) {
	pol, err := set.Select(target)
	if err != nil {
		return nil, err
	}
	return pol.CheckFacts(source, target)
}
