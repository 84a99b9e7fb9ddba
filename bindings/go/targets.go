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
}

// Targets answers "which target would accept this source?" (`compatc
// targets`): every combination of the finite domains of SELF's variables,
// up to limit (0: 1024) tried, whose target facts accept source.  limited
// is true when there were more combinations than limit.
func (pol *Policy) Targets(source *Facts, limit int) (targets []Target, limited bool, err error) {
	if limit < 0 {
		limit = 0
	}
	var out *C.dc_targets
	var cerr C.dc_error
	st := C.dc_targets_find(pol.ptr(), source.ptr(), C.size_t(limit), &out, &cerr)
	runtime.KeepAlive(source)
	if st != C.DC_OK {
		return nil, false, newError(&cerr, st)
	}
	defer C.dc_targets_free(out)
	defer runtime.KeepAlive(pol)
	n := int(C.dc_targets_count(out))
	for i := 0; i < n; i++ {
		t := Target{Block: int(C.dc_targets_block(out, C.size_t(i))),
			BlockName: goStr(C.dc_targets_block_name(out, C.size_t(i))),
			Facts:     (&Facts{f: (*C.dc_facts)(C.dc_targets_facts(out, C.size_t(i))), owner: out}).Map()}
		for j := 0; j < int(C.dc_targets_open_count(out, C.size_t(i))); j++ {
			o := C.dc_target_open{size: C.sizeof_dc_target_open}
			if C.dc_targets_open_get(out, C.size_t(i), C.size_t(j), &o) == C.DC_OK {
				t.Open = append(t.Open, OpenFact{goStr(o.fact), goStr(o.constraint), goStr(o.residue)})
			}
		}
		targets = append(targets, t)
	}
	return targets, C.dc_targets_limited(out) != 0, nil
}
