package devcompat

/*
#include <stdlib.h>
#include <devcompat.h>
*/
import "C"

import (
	"runtime"
	"sort"
	"unsafe"
)

// Facts are one device's facts: names and values, as the library checked
// and trimmed them (docs/facts.md).
type Facts struct {
	f     *C.dc_facts
	owner interface{} // keeps an Inventory alive for facts it holds
}

func newFacts(f *C.dc_facts) *Facts {
	x := &Facts{f: f}
	runtime.SetFinalizer(x, (*Facts).Close)
	return x
}

// Close releases the facts' C memory (the finalizer does it otherwise).
func (x *Facts) Close() {
	if x.f != nil && x.owner == nil {
		C.dc_facts_free(x.f)
	}
	x.f = nil
	runtime.SetFinalizer(x, nil)
}

func (x *Facts) ptr() *C.dc_facts {
	if x == nil || x.f == nil {
		panic("devcompat: use of closed or nil Facts")
	}
	return x.f
}

// NewFacts makes facts from a map: every name and value checked as the
// library checks them (ErrFacts, ErrLimit), values trimmed.
func NewFacts(m map[string]string) (*Facts, error) {
	var f *C.dc_facts
	if st := C.dc_facts_new(&f, nil); st != C.DC_OK {
		return nil, statusError(st, "facts")
	}
	x := newFacts(f)
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		v := m[k]
		cname := C.CString(k)
		cval := C.CString(v)
		var err C.dc_error
		st := C.dc_facts_add(f, cname, cval, C.size_t(len(v)), &err)
		C.free(unsafe.Pointer(cname))
		C.free(unsafe.Pointer(cval))
		if st != C.DC_OK {
			x.Close()
			return nil, newError(&err, st)
		}
	}
	return x, nil
}

// ParseFactsText parses key=value text (a self-describing device's text
// gives its SELF block); file names it in errors.
func ParseFactsText(file string, text []byte) (*Facts, error) {
	return parseFacts(file, text, false)
}

// ParseFactsYAML parses YAML or JSON facts.
func ParseFactsYAML(file string, text []byte) (*Facts, error) {
	return parseFacts(file, text, true)
}

func parseFacts(file string, text []byte, yaml bool) (*Facts, error) {
	cfile := C.CString(file)
	defer C.free(unsafe.Pointer(cfile))
	ctext := C.CBytes(text)
	defer C.free(ctext)
	var out *C.dc_facts
	var err C.dc_error
	var st C.dc_status
	if yaml {
		st = C.dc_facts_parse_yaml(cfile, (*C.char)(ctext), C.size_t(len(text)), &out, &err)
	} else {
		st = C.dc_facts_parse_text(cfile, (*C.char)(ctext), C.size_t(len(text)), &out, &err)
	}
	if st != C.DC_OK {
		return nil, newError(&err, st)
	}
	return newFacts(out), nil
}

// ReadFacts reads a facts file of any format the library reads.
func ReadFacts(path string) (*Facts, error) {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	var out *C.dc_facts
	var err C.dc_error
	if st := C.dc_facts_read_file(cpath, &out, &err); st != C.DC_OK {
		return nil, newError(&err, st)
	}
	return newFacts(out), nil
}

// ReadSysfs reads a PCI device, mdev device or mdev type directory under a
// sysfs root ("/" for the live system).
func ReadSysfs(root, dir string) (*Facts, error) {
	croot := C.CString(root)
	defer C.free(unsafe.Pointer(croot))
	cdir := C.CString(dir)
	defer C.free(unsafe.Pointer(cdir))
	var out *C.dc_facts
	var err C.dc_error
	if st := C.dc_facts_read_sysfs(croot, cdir, &out, &err); st != C.DC_OK {
		return nil, newError(&err, st)
	}
	return newFacts(out), nil
}

// Len is the number of facts.
func (x *Facts) Len() int {
	defer runtime.KeepAlive(x)
	return int(C.dc_facts_count(x.ptr()))
}

// Get is the value of a fact, and whether it is there.
func (x *Facts) Get(name string) (string, bool) {
	defer runtime.KeepAlive(x)
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	v := C.dc_facts_lookup(x.ptr(), cname)
	if v == nil {
		return "", false
	}
	return C.GoString(v), true
}

// Map is every fact as a map.
func (x *Facts) Map() map[string]string {
	defer runtime.KeepAlive(x)
	f := x.ptr()
	n := int(C.dc_facts_count(f))
	m := make(map[string]string, n)
	for i := 0; i < n; i++ {
		m[C.GoString(C.dc_facts_name(f, C.size_t(i)))] = C.GoString(C.dc_facts_value(f, C.size_t(i)))
	}
	return m
}

// Device is one device of an inventory.
type Device struct {
	ID    string
	Facts *Facts // owned by the Inventory: valid while it is
}

// Inventory is many devices, each with its id: a YAML/JSON list, a
// directory of facts files or of sysfs devices, an importer's output
// (OpenInventory).
type Inventory struct {
	inv     *C.dc_inventory
	Devices []Device
}

// ReadInventory reads an inventory file (a YAML/JSON list of mappings each
// with a unique id) or a directory of facts files (OpenInventory takes
// every other source).
func ReadInventory(path string) (*Inventory, error) {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	var out *C.dc_inventory
	var err C.dc_error
	if st := C.dc_inventory_read(cpath, &out, &err); st != C.DC_OK {
		return nil, newError(&err, st)
	}
	return newInventory(out), nil
}

// newInventory wraps a C inventory, its devices' facts owned by it.
func newInventory(out *C.dc_inventory) *Inventory {
	inv := &Inventory{inv: out}
	n := int(C.dc_inventory_count(out))
	for i := 0; i < n; i++ {
		f := &Facts{f: (*C.dc_facts)(unsafe.Pointer(C.dc_inventory_facts(out, C.size_t(i)))),
			owner: inv}
		inv.Devices = append(inv.Devices, Device{ID: C.GoString(C.dc_inventory_id(out, C.size_t(i))),
			Facts: f})
	}
	runtime.SetFinalizer(inv, (*Inventory).Close)
	return inv
}

// Close releases the inventory and the facts of its devices.
func (inv *Inventory) Close() {
	if inv.inv != nil {
		for _, d := range inv.Devices {
			d.Facts.f = nil
		}
		C.dc_inventory_free(inv.inv)
		inv.inv = nil
	}
	runtime.SetFinalizer(inv, nil)
}

// Get is the facts of the device with that id, and whether there is one.
func (inv *Inventory) Get(id string) (*Facts, bool) {
	for _, d := range inv.Devices {
		if d.ID == id {
			return d.Facts, true
		}
	}
	return nil, false
}
