package devcompat

// source.go -- facts and inventories from every source the library reads
// (docs/facts.md): arguments as compatc takes them (OpenFacts,
// OpenInventory, Open), text in an importer's format (ParseSource,
// ParseSourceInventory) and live libvirt connections.

/*
#include <stdlib.h>
#include <devcompat.h>
*/
import "C"

import (
	"fmt"
	"runtime"
	"unsafe"
)

// Source is a format the library imports (dc_source).
type Source int

// The sources: SourceAuto is a facts file (key=value, YAML or JSON, told by
// its content); the others are what management software already prints.
const (
	SourceAuto    Source = iota // key=value, YAML or JSON facts
	SourceLibvirt               // libvirt node device XML (virsh nodedev-dumpxml)
	SourceMdevctl               // mdevctl types|list --dumpjson, or one device's JSON
	SourceLspci                 // lspci -vmm -nn -D [-k]
	SourceDevlink               // devlink -j dev info / port function show
	SourceDRA                   // a Kubernetes resource.k8s.io/v1 ResourceSlice
)

// String is the source's prefix as compatc takes it ("libvirt", "lspci";
// "" for SourceAuto), or "Source(N)" for a value the library does not know.
func (s Source) String() string {
	if s >= 0 {
		if n := C.dc_source_name(C.dc_source(s)); n != nil {
			return C.GoString(n)
		}
	}
	return fmt.Sprintf("Source(%d)", int(s))
}

// cArgs are the C strings of an argument and a sysfs root ("" is NULL:
// "/"); the returned func frees them.
func cArgs(arg, sysfsRoot string) (*C.char, *C.char, func()) {
	carg := C.CString(arg)
	var croot *C.char
	if sysfsRoot != "" {
		croot = C.CString(sysfsRoot)
	}
	return carg, croot, func() {
		C.free(unsafe.Pointer(carg))
		C.free(unsafe.Pointer(croot))
	}
}

// OpenFacts reads one device's facts from an argument as compatc takes one
// (docs/facts.md, "Facts arguments"):
//
//	libvirt:FILE mdevctl:FILE lspci:FILE devlink:FILE dra:FILE
//	                      an importer's output ("-": standard input);
//	                      FILE#ID picks one device of many
//	libvirt+URI:NODEDEV   a live libvirt connection's node device
//	sysfs:DIR             a device or mdev type directory under sysfsRoot
//	DIR                   a sysfs directory, read as it is
//	FILE                  a facts file, its format told by its content
//
// sysfsRoot ("" for "/") roots sysfs: arguments.  Errors name the file and
// what is wrong (ErrFacts, ErrIO, ErrLimit; ErrInvalid for a libvirt+URI
// argument when the library was built without libvirt).
func OpenFacts(arg, sysfsRoot string) (*Facts, error) {
	carg, croot, free := cArgs(arg, sysfsRoot)
	defer free()
	var out *C.dc_facts
	var err C.dc_error
	if st := C.dc_facts_open(carg, croot, &out, &err); st != C.DC_OK {
		return nil, newError(&err, st)
	}
	return newFacts(out), nil
}

// OpenInventory reads many devices from an argument: the prefixes of
// OpenFacts (an importer's every device; "libvirt+URI" alone is every node
// device of the connection), a YAML/JSON inventory, a directory of facts
// files, or a directory of sysfs devices (each entry, id = its name).
func OpenInventory(arg, sysfsRoot string) (*Inventory, error) {
	carg, croot, free := cArgs(arg, sysfsRoot)
	defer free()
	var out *C.dc_inventory
	var err C.dc_error
	if st := C.dc_inventory_open(carg, croot, &out, &err); st != C.DC_OK {
		return nil, newError(&err, st)
	}
	return newInventory(out), nil
}

// Open reads an argument as what it holds, as `compatc facts` does: an
// inventory for an importer's output without #ID, a directory of devices
// or a YAML/JSON list; one device's facts otherwise.  Exactly one of the
// two results is not nil when err is nil.
func Open(arg, sysfsRoot string) (*Facts, *Inventory, error) {
	carg, croot, free := cArgs(arg, sysfsRoot)
	defer free()
	var f *C.dc_facts
	var inv *C.dc_inventory
	var err C.dc_error
	if st := C.dc_source_open(carg, croot, &f, &inv, &err); st != C.DC_OK {
		return nil, nil, newError(&err, st)
	}
	if inv != nil {
		return nil, newInventory(inv), nil
	}
	return newFacts(f), nil, nil
}

// ParseSource reads one device from text in a source's format; file names
// the text in errors.  The text's only device (a GPU's libvirt XML is the
// GPU, whatever mdev types it lists), or with id not "" the device of that
// id (an inventory's ids: ParseSourceInventory).
func ParseSource(src Source, file string, text []byte, id string) (*Facts, error) {
	cfile := C.CString(file)
	defer C.free(unsafe.Pointer(cfile))
	ctext := C.CBytes(text)
	defer C.free(ctext)
	var cid *C.char
	if id != "" {
		cid = C.CString(id)
		defer C.free(unsafe.Pointer(cid))
	}
	var out *C.dc_facts
	var err C.dc_error
	st := C.dc_facts_parse_source(C.dc_source(src), cfile, (*C.char)(ctext), C.size_t(len(text)),
		cid, &out, &err)
	if st != C.DC_OK {
		return nil, newError(&err, st)
	}
	return newFacts(out), nil
}

// ParseSourceInventory reads every device of text in a source's format, in
// its order, with the source's ids (libvirt: DEVICE and DEVICE/TYPE per
// mdev type; mdevctl: PARENT/TYPE or the UUID; lspci: the slot; devlink:
// the handle; DRA: POOL/DEVICE).
func ParseSourceInventory(src Source, file string, text []byte) (*Inventory, error) {
	cfile := C.CString(file)
	defer C.free(unsafe.Pointer(cfile))
	ctext := C.CBytes(text)
	defer C.free(ctext)
	var out *C.dc_inventory
	var err C.dc_error
	st := C.dc_inventory_parse_source(C.dc_source(src), cfile, (*C.char)(ctext),
		C.size_t(len(text)), &out, &err)
	if st != C.DC_OK {
		return nil, newError(&err, st)
	}
	return newInventory(out), nil
}

// HaveLibvirt reports whether the library was built with libvirt's API
// (ReadLibvirt, ReadLibvirtInventory and libvirt+URI arguments).
func HaveLibvirt() bool { return C.dc_have_libvirt() != 0 }

// ReadLibvirt reads a node device ("pci_0000_3b_00_2") of a live libvirt
// connection (uri as virsh -c takes it: "qemu:///system",
// "test:///path/node.xml").  ErrIO when the connection fails or the device
// does not exist; ErrInvalid without libvirt (HaveLibvirt).
func ReadLibvirt(uri, nodedev string) (*Facts, error) {
	curi := C.CString(uri)
	defer C.free(unsafe.Pointer(curi))
	cdev := C.CString(nodedev)
	defer C.free(unsafe.Pointer(cdev))
	var out *C.dc_facts
	var err C.dc_error
	if st := C.dc_facts_read_libvirt(curi, cdev, &out, &err); st != C.DC_OK {
		return nil, newError(&err, st)
	}
	return newFacts(out), nil
}

// ReadLibvirtInventory reads every node device of a live libvirt
// connection that is a PCI function, an mdev or an mdev-capable parent.
func ReadLibvirtInventory(uri string) (*Inventory, error) {
	curi := C.CString(uri)
	defer C.free(unsafe.Pointer(curi))
	var out *C.dc_inventory
	var err C.dc_error
	if st := C.dc_inventory_read_libvirt(curi, &out, &err); st != C.DC_OK {
		return nil, newError(&err, st)
	}
	return newInventory(out), nil
}

// format is a dc_*_format function's text, sized by a first call.
func format(f func(buf *C.char, cap C.size_t) C.size_t) string {
	n := f(nil, 0)
	buf := (*C.char)(C.malloc(n + 1))
	defer C.free(unsafe.Pointer(buf))
	f(buf, n+1)
	return C.GoStringN(buf, C.int(n))
}

// Text is the facts as `compatc facts` prints them: name=value lines,
// sorted, quoted and escaped where needed (they read back as the same
// facts).
func (x *Facts) Text() string {
	defer runtime.KeepAlive(x)
	f := x.ptr()
	return format(func(buf *C.char, cap C.size_t) C.size_t {
		return C.dc_facts_format(f, C.DC_FORMAT_TEXT, buf, cap)
	})
}

// JSON is the facts as one flat JSON object (`compatc facts
// --format=json`), without the newline.
func (x *Facts) JSON() string {
	defer runtime.KeepAlive(x)
	f := x.ptr()
	s := format(func(buf *C.char, cap C.size_t) C.size_t {
		return C.dc_facts_format(f, C.DC_FORMAT_JSON, buf, cap)
	})
	if len(s) > 0 && s[len(s)-1] == '\n' {
		s = s[:len(s)-1]
	}
	return s
}
