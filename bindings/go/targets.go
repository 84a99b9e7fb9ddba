package devcompat

/*
#include <devcompat.h>
*/
import "C"

import "runtime"

// OpenFact is a target fact a SELF variable without a finite domain
// decides: never guessed, reported with what it must satisfy.
type OpenFact struct {
	Fact       string
	Constraint string // SELF's rules about it, as written; "" when only a block reads it
	Residue    string // what the matching block still requires of it; "" for nothing
}

// Target is one target that would accept the source.
type Target struct {
	Block     int    // the COMPATIBLE block that accepts the source
	BlockName string // "" when unnamed
	Facts     map[string]string
	Open      []OpenFact
	// Decided is true when the target is proven to accept the source: it
	// has no open fact, or values satisfying every residue were found and
	// checked.  False: the solver could not decide; read the residues.
	Decided bool
}

// TargetSearch is everything Policy.FindTargets found.
type TargetSearch struct {
	Targets []Target
	Limited bool // more combinations than the limit: some were not tried
	Tried   int  // combinations tried (values no block accepts dropped first)
}

// Targets answers "which target would accept this source?" (`compatc
// targets`): every combination of the finite domains of SELF's variables,
// up to limit (0: 1024) tried, whose target facts accept source.  limited
// is true when there were more combinations than limit.  FindTargets also
// tells how many were tried.
func (pol *Policy) Targets(source *Facts, limit int) (targets []Target, limited bool, err error) {
	s, err := pol.FindTargets(source, limit)
	if err != nil {
		return nil, false, err
	}
	return s.Targets, s.Limited, nil
}

// FindTargets is Targets with the count of combinations tried.
func (pol *Policy) FindTargets(source *Facts, limit int) (*TargetSearch, error) {
	if limit < 0 {
		limit = 0
	}
	var out *C.dc_targets
	var cerr C.dc_error
	st := C.dc_targets_find(pol.ptr(), source.ptr(), C.size_t(limit), &out, &cerr)
	runtime.KeepAlive(source)
	if st != C.DC_OK {
		return nil, newError(&cerr, st)
	}
	defer C.dc_targets_free(out)
	defer runtime.KeepAlive(pol)
	s := &TargetSearch{Limited: C.dc_targets_limited(out) != 0,
		Tried: int(C.dc_targets_tried_count(out))}
	n := int(C.dc_targets_count(out))
	for i := 0; i < n; i++ {
		ci := C.size_t(i)
		t := Target{Block: int(C.dc_targets_block(out, ci)),
			BlockName: goStr(C.dc_targets_block_name(out, ci)),
			Facts:     (&Facts{f: (*C.dc_facts)(C.dc_targets_facts(out, ci)), owner: out}).Map(),
			Decided:   C.dc_targets_decided(out, ci) != 0}
		for j := 0; j < int(C.dc_targets_open_count(out, ci)); j++ {
			o := C.dc_target_open{size: C.sizeof_dc_target_open}
			if C.dc_targets_open_get(out, ci, C.size_t(j), &o) == C.DC_OK {
				t.Open = append(t.Open, OpenFact{goStr(o.fact), goStr(o.constraint), goStr(o.residue)})
			}
		}
		s.Targets = append(s.Targets, t)
	}
	return s, nil
}
