package devcompat

// cel.go -- a policy specialised to one source as a Kubernetes DRA device
// selector (docs/kubernetes.md).

/*
#include <stdlib.h>
#include <devcompat.h>
*/
import "C"

import (
	"runtime"
	"unsafe"
)

// DefaultCELDomain is the attribute domain of facts without a dot.
const DefaultCELDomain = C.DC_CEL_DEFAULT_DOMAIN

// CELAttribute is a DRA attribute a selector reads.
type CELAttribute struct {
	Fact   string // the policy's fact ("fw.psid")
	Domain string // the attribute's domain ("fw"; the driver's for a fact without a dot)
	Name   string // its name in the domain ("psid")
	Type   string // the DRA type its value must have: "int", "bool", "string", "version"
}

// CELSelector is a CEL expression over one device's attributes, true
// exactly when the policy finds the source compatible with a target whose
// facts are that device's attributes.
type CELSelector struct {
	Expression string
	Attributes []CELAttribute // in name order
}

// CELSelector specialises the policy to source as a DRA device selector in
// domain ("" for DefaultCELDomain).  ErrUnsupported (naming the file and
// line) when a rule cannot be expressed exactly, ErrLimit when the
// selector would be longer than Kubernetes allows, ErrFacts when the
// source's facts do not fit the policy.
func (pol *Policy) CELSelector(source *Facts, domain string) (*CELSelector, error) {
	var cdomain *C.char
	if domain != "" {
		cdomain = C.CString(domain)
		defer C.free(unsafe.Pointer(cdomain))
	}
	var out *C.dc_cel
	var err C.dc_error
	st := C.dc_cel_new(pol.ptr(), source.ptr(), cdomain, &out, &err)
	runtime.KeepAlive(pol)
	runtime.KeepAlive(source)
	if st != C.DC_OK {
		return nil, newError(&err, st)
	}
	defer C.dc_cel_free(out)
	sel := &CELSelector{Expression: C.GoString(C.dc_cel_expression(out))}
	n := int(C.dc_cel_attribute_count(out))
	for i := 0; i < n; i++ {
		a := C.dc_cel_attribute{size: C.sizeof_dc_cel_attribute}
		if C.dc_cel_attribute_get(out, C.size_t(i), &a) == C.DC_OK {
			sel.Attributes = append(sel.Attributes, CELAttribute{goStr(a.fact), goStr(a.domain),
				goStr(a.name), goStr(a._type)})
		}
	}
	return sel, nil
}
