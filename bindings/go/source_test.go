package devcompat_test

// source_test.go -- facts from every source through the binding: the same
// facts and inventories as `compatc facts --format=json` prints for the
// same argument (docs/facts.md), the importers' text parsed directly, and
// their errors.

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"devcompat"
)

const importers = "../../tests/data/importers"

// compatcBin is $DEVCOMPAT_COMPATC or the build tree's compatc.
func compatcBin(t *testing.T) string {
	if p := os.Getenv("DEVCOMPAT_COMPATC"); p != "" {
		return p
	}
	files, _ := filepath.Glob("../../build*/compatc")
	for _, f := range files {
		if abs, err := filepath.Abs(f); err == nil {
			return abs
		}
	}
	t.Skip("no compatc: set DEVCOMPAT_COMPATC or build in ../../build")
	return ""
}

// compatcFacts is what `compatc facts --format=json ARGS...` prints, parsed.
func compatcFacts(t *testing.T, args ...string) interface{} {
	t.Helper()
	out, err := exec.Command(compatcBin(t), append([]string{"facts", "--format=json"},
		args...)...).Output()
	if err != nil {
		t.Fatalf("compatc facts %v: %v", args, err)
	}
	var v interface{}
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("compatc facts %v: %v", args, err)
	}
	return v
}

// asJSON is facts or an inventory as compatc prints them, parsed.
func asJSON(t *testing.T, f *devcompat.Facts, inv *devcompat.Inventory) interface{} {
	t.Helper()
	var text string
	if f != nil {
		text = f.JSON()
	} else {
		var items []string
		for _, d := range inv.Devices {
			id, _ := json.Marshal(d.ID)
			items = append(items, `{"id": `+string(id)+`, "facts": `+d.Facts.JSON()+`}`)
		}
		text = "[" + strings.Join(items, ",") + "]"
	}
	var v interface{}
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		t.Fatalf("%s: %v", text, err)
	}
	return v
}

// mdevctlList is what `mdevctl list -d --dumpjson` prints for two devices.
// byID sorts an inventory's JSON list by id.
func byID(v interface{}) {
	list, _ := v.([]interface{})
	id := func(i int) string { s, _ := list[i].(map[string]interface{})["id"].(string); return s }
	sort.Slice(list, func(i, j int) bool { return id(i) < id(j) })
}

const mdevctlList = `[{"0000:00:02.0": [{"83b8f4f2-509f-382f-3c1e-e6bfe0fa1001": {
  "mdev_type": "i915-GVTg_V5_4", "start": "manual",
  "attrs": [{"assign_adapter": "5"}, {"assign_adapter": "6"}]}},
  {"5c0a7d7e-0000-4000-8000-00000000000a": {"mdev_type": "i915-GVTg_V5_8", "start": "auto"}}]}]
`

// fakeSysfs is a GVT-g parent with one mdev type under root, as the kernel
// shows them; it returns the parent's and the type's directories.
func fakeSysfs(t *testing.T, root string) (string, string) {
	parent := "/sys/devices/pci0000:00/0000:00:02.0"
	typ := parent + "/mdev_supported_types/i915-GVTg_V5_4"
	if err := os.MkdirAll(root+typ, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{"vendor": "0x8086", "device": "0x591d", "revision": "0x02",
		"class": "0x030000", "subsystem_vendor": "0x8086", "subsystem_device": "0x2212"}
	for name, v := range files {
		if err := os.WriteFile(root+parent+"/"+name, []byte(v+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, v := range map[string]string{"device_api": "vfio-pci", "available_instances": "2",
		"name": "GVTg_V5_4"} {
		if err := os.WriteFile(root+typ+"/"+name, []byte(v+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return parent, typ
}

// Every prefix compatc takes, one device and many: the same facts as
// compatc's, through OpenFacts, OpenInventory and Open.
func TestOpenEveryPrefix(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/list.json", []byte(mdevctlList), 0o644); err != nil {
		t.Fatal(err)
	}
	node, err := os.ReadFile(importers + "/node.xml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir+"/node.xml", node, 0o644); err != nil {
		t.Fatal(err)
	}
	_, typ := fakeSysfs(t, dir)
	ones := []string{
		"libvirt:" + importers + "/node.xml#pci_0000_00_02_0",
		"libvirt:" + importers + "/node.xml#pci_0000_00_02_0/i915-GVTg_V5_4",
		"mdevctl:" + dir + "/list.json#83b8f4f2-509f-382f-3c1e-e6bfe0fa1001",
		"lspci:" + importers + "/vf.lspci#0000:3b:00.3",
		"devlink:" + importers + "/devlink.json#pci/0000:3b:00.0",
		"dra:" + importers + "/slice.yaml#node-1/gpu-0",
		"../../tests/data/facts/simple.yaml",
	}
	many := []string{
		"libvirt:" + importers + "/node.xml",
		"mdevctl:" + dir + "/list.json",
		"lspci:" + importers + "/vf.lspci",
		"devlink:" + importers + "/devlink.json",
		"dra:" + importers + "/slice.yaml",
		"../../tests/data/facts/inventory.yaml",
		"../../tests/data/facts/inventory.d",
	}
	if devcompat.HaveLibvirt() {
		ones = append(ones, "libvirt+test://"+dir+"/node.xml:pci_0000_3b_00_3")
		many = append(many, "libvirt+test://"+dir+"/node.xml")
	}
	for _, arg := range ones {
		f, err := devcompat.OpenFacts(arg, "")
		if err != nil {
			t.Fatalf("OpenFacts(%s): %v", arg, err)
		}
		if got, want := asJSON(t, f, nil), compatcFacts(t, arg); !reflect.DeepEqual(got, want) {
			t.Errorf("OpenFacts(%s) = %v, compatc %v", arg, got, want)
		}
		g, inv, err := devcompat.Open(arg, "")
		if err != nil || inv != nil || !reflect.DeepEqual(g.Map(), f.Map()) {
			t.Errorf("Open(%s): %v, inventory %v", arg, err, inv)
		}
	}
	for _, arg := range many {
		inv, err := devcompat.OpenInventory(arg, "")
		if err != nil {
			t.Fatalf("OpenInventory(%s): %v", arg, err)
		}
		if len(inv.Devices) < 2 {
			t.Errorf("OpenInventory(%s): %d devices", arg, len(inv.Devices))
		}
		got, want := asJSON(t, nil, inv), compatcFacts(t, arg)
		if strings.HasPrefix(arg, "libvirt+") { // in the order libvirt lists them
			byID(got)
			byID(want)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("OpenInventory(%s) = %v, compatc %v", arg, got, want)
		}
		f, other, err := devcompat.Open(arg, "")
		if err != nil || f != nil || len(other.Devices) != len(inv.Devices) {
			t.Errorf("Open(%s): %v, facts %v", arg, err, f)
		}
	}
	// sysfs: below a root, and a plain directory read as it is
	f, err := devcompat.OpenFacts("sysfs:"+typ, dir)
	if err != nil {
		t.Fatal(err)
	}
	want := compatcFacts(t, "--sysfs-root", dir, "sysfs:"+typ)
	if got := asJSON(t, f, nil); !reflect.DeepEqual(got, want) {
		t.Errorf("sysfs: %v, compatc %v", got, want)
	}
	if v, _ := f.Get("mdev_type"); v != "i915-GVTg_V5_4" {
		t.Errorf("sysfs: mdev_type %q", v)
	}
	if g, err := devcompat.OpenFacts(dir+typ, ""); err != nil || !reflect.DeepEqual(g.Map(), f.Map()) {
		t.Errorf("a sysfs directory: %v", err)
	}
}

// The importers' text parsed directly gives what reading the file gives.
func TestParseSource(t *testing.T) {
	cases := []struct {
		src  devcompat.Source
		name string
		file string
		id   string
	}{
		{devcompat.SourceLibvirt, "libvirt", importers + "/node.xml", "pci_0000_3b_00_3"},
		{devcompat.SourceLspci, "lspci", importers + "/vf.lspci", "0000:3b:00.3"},
		{devcompat.SourceDevlink, "devlink", importers + "/devlink.json", "pci/0000:3b:00.0"},
		{devcompat.SourceDRA, "dra", importers + "/slice.yaml", "node-1/gpu-0"},
	}
	for _, c := range cases {
		if c.src.String() != c.name {
			t.Errorf("Source %d is %q, not %q", c.src, c.src, c.name)
		}
		text, err := os.ReadFile(c.file)
		if err != nil {
			t.Fatal(err)
		}
		inv, err := devcompat.ParseSourceInventory(c.src, c.file, text)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		read, err := devcompat.OpenInventory(c.name+":"+c.file, "")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(asJSON(t, nil, inv), asJSON(t, nil, read)) {
			t.Errorf("%s: parsed and read differ", c.name)
		}
		f, err := devcompat.ParseSource(c.src, c.file, text, c.id)
		if err != nil {
			t.Fatalf("%s#%s: %v", c.name, c.id, err)
		}
		if g, ok := inv.Get(c.id); !ok || !reflect.DeepEqual(f.Map(), g.Map()) {
			t.Errorf("%s#%s: not the inventory's device", c.name, c.id)
		}
	}
	f, err := devcompat.ParseSource(devcompat.SourceMdevctl, "list.json", []byte(mdevctlList),
		"83b8f4f2-509f-382f-3c1e-e6bfe0fa1001")
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := f.Get("attr.assign_adapter"); v != "5,6" {
		t.Errorf("mdevctl: attr.assign_adapter = %q", v)
	}
	if devcompat.SourceAuto.String() != "" || devcompat.Source(42).String() != "Source(42)" {
		t.Errorf("names: %q %q", devcompat.SourceAuto, devcompat.Source(42))
	}
}

// Bad input: an error naming the file, of the status errors.Is tests.
func TestSourceErrors(t *testing.T) {
	dir := t.TempDir()
	bad := dir + "/bad.xml"
	if err := os.WriteFile(bad, []byte("<device><capability type='pci'>"), 0o644); err != nil {
		t.Fatal(err)
	}
	lspci, err := os.ReadFile(importers + "/vf.lspci")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		what   string
		err    func() error
		status devcompat.Status
		has    string
	}{
		{"broken XML", func() error { _, err := devcompat.OpenFacts("libvirt:"+bad, ""); return err },
			devcompat.ErrFacts, "bad.xml"},
		{"missing file", func() error { _, err := devcompat.OpenInventory("lspci:"+dir+"/none", ""); return err },
			devcompat.ErrIO, "none"},
		{"several devices, no id", func() error {
			_, err := devcompat.ParseSource(devcompat.SourceLspci, "vf.lspci", lspci, "")
			return err
		}, devcompat.ErrFacts, "vf.lspci"},
		{"no such id", func() error {
			_, err := devcompat.ParseSource(devcompat.SourceLspci, "vf.lspci", lspci, "0000:99:00.0")
			return err
		}, devcompat.ErrFacts, "0000:99:00.0"},
		{"unknown source", func() error {
			_, err := devcompat.ParseSourceInventory(devcompat.Source(42), "x", []byte("x"))
			return err
		}, devcompat.ErrInvalid, ""},
		{"unknown prefix", func() error { _, err := devcompat.OpenFacts("nope:"+bad, ""); return err },
			devcompat.ErrIO, "nope:"},
	}
	for _, c := range cases {
		err := c.err()
		var e *devcompat.Error
		if !errors.As(err, &e) || !errors.Is(err, c.status) || !strings.Contains(e.Message, c.has) {
			t.Errorf("%s: %v (%#v), want %v naming %q", c.what, err, err, c.status, c.has)
		}
	}
}

// A live libvirt connection: libvirt's test driver on a node file.
func TestReadLibvirt(t *testing.T) {
	if !devcompat.HaveLibvirt() {
		_, err := devcompat.ReadLibvirt("test:///default", "computer")
		if !errors.Is(err, devcompat.ErrInvalid) {
			t.Fatalf("without libvirt: %v", err)
		}
		t.Skip("the library was built without libvirt")
	}
	node, err := os.ReadFile(importers + "/node.xml")
	if err != nil {
		t.Fatal(err)
	}
	uri := "test://" + t.TempDir() + "/node.xml"
	if err := os.WriteFile(strings.TrimPrefix(uri, "test://"), node, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := devcompat.ReadLibvirt(uri, "pci_0000_3b_00_3")
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := f.Get("pf.address"); v != "0000:3b:00.0" {
		t.Errorf("the VF's PF: %q", v)
	}
	inv, err := devcompat.ReadLibvirtInventory(uri)
	if err != nil {
		t.Fatal(err)
	}
	if g, ok := inv.Get("pci_0000_3b_00_3"); !ok || !reflect.DeepEqual(g.Map(), f.Map()) {
		t.Errorf("the inventory's VF differs")
	}
	if _, ok := inv.Get("computer"); ok {
		t.Errorf("the host is not a device")
	}
	if _, err := devcompat.ReadLibvirt(uri, "pci_nothing"); !errors.Is(err, devcompat.ErrIO) {
		t.Errorf("a missing node device: %v", err)
	}
}
