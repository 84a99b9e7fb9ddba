package devcompat_test

import (
	"errors"
	"fmt"
	"strings"

	"devcompat"
)

const policyText = `POLICY:
    name = example-versioning
SELF:
    pci_id = {pid:hex}
    software_version = {tv:semver}
COMPATIBLE same_major:
    pci_id = {pid}
    software_version = {sv:semver}
    where major(sv) == major(tv) && minor(sv) <= minor(tv)
`

// A node agent compiles (or reads) a policy, reads both devices' facts
// and checks the pair.
func Example() {
	pol, _, err := devcompat.CompilePolicy("versioning.compat", []byte(policyText))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer pol.Close()
	source, _ := devcompat.ParseFactsText("source.kv",
		[]byte("pci_id=8086591d\nsoftware_version=2.0.1\n"))
	target, _ := devcompat.NewFacts(map[string]string{"pci_id": "8086591D",
		"software_version": "2.1.0"})
	res, err := pol.CheckFacts(source, target)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Verdict, res.BlockName)
	fmt.Println(res.JSON())
	// Output:
	// compatible same_major
	// {"compatible": true, "policy": "example-versioning", "block": 0, "block_name": "same_major", "bindings": {"pid": "8086591d", "tv": "2.1.0", "sv": "2.0.1"}, "reasons": []}
}

// Errors are *devcompat.Error values whose status errors.Is tests; a
// policy that does not compile carries its diagnostics.
func ExampleCompilePolicy_errors() {
	_, _, err := devcompat.CompilePolicy("bad.compat", []byte("SELF:\n    x = {n:int:5..3}\n"))
	fmt.Println(errors.Is(err, devcompat.ErrPolicy))
	var e *devcompat.Error
	if errors.As(err, &e) {
		d := e.Diagnostics[0] // "bad.compat:2:16: error: empty constraint: ..."
		fmt.Println(d.File, d.Line, d.Severity)
	}
	_, err = devcompat.NewFacts(map[string]string{"9lives": "x"})
	fmt.Println(errors.Is(err, devcompat.ErrFacts), err)
	// Output:
	// true
	// bad.compat 2 error
	// true invalid fact name '9lives': a segment must start with a letter or '_'
}

// One source against many prepared targets: the C library's batch.
func ExamplePolicy_CheckBatch() {
	pol, _, _ := devcompat.CompilePolicy("versioning.compat", []byte(policyText))
	prepare := func(version string) *devcompat.Prepared {
		f, _ := devcompat.NewFacts(map[string]string{"pci_id": "10de1eb8",
			"software_version": version})
		p, _ := pol.Prepare(f)
		return p
	}
	source := prepare("3.1.4")
	targets := []*devcompat.Prepared{prepare("3.0"), prepare("3.1"), prepare("3.9.9"),
		prepare("4.0.0"), prepare("three")}
	verdicts, blocks, _ := pol.CheckBatch(source, targets)
	fmt.Println(verdicts, blocks)
	// Output:
	// [incompatible compatible compatible incompatible target-mismatch] [-1 0 0 -1 -1]
}

// Which target would accept this source?  The vGPU types of a GPU a
// source's share fits, derived values computed.
func ExamplePolicy_Targets() {
	pol, _, _ := devcompat.CompilePolicy("share.compat", []byte(`SELF:
    mdev_type = i915-GVTg_V5_{n:int:1,2,4,8}
    aggregator = {agg:int:1..2}
COMPATIBLE:
    mdev_type = i915-GVTg_V5_{m:int:1,2,4,8}
    aggregator = {m * agg / n}
`))
	source, _ := devcompat.NewFacts(map[string]string{"mdev_type": "i915-GVTg_V5_2",
		"aggregator": "1"})
	targets, _, _ := pol.Targets(source, 0)
	for _, t := range targets {
		fmt.Println(t.Facts["mdev_type"], t.Facts["aggregator"])
	}
	// Output:
	// i915-GVTg_V5_2 1
	// i915-GVTg_V5_4 2
}

// A node agent reads a device where management software already lists it
// (here `lspci -vmm -nn -D -k`'s output; libvirt:, mdevctl:, devlink:,
// dra:, sysfs: and libvirt+URI: work alike).
func ExampleOpenFacts() {
	vf, err := devcompat.OpenFacts("lspci:../../tests/data/importers/vf.lspci#0000:3b:00.3", "")
	if err != nil {
		fmt.Println(err)
		return
	}
	id, _ := vf.Get("pci_id")
	driver, _ := vf.Get("driver")
	fmt.Println(id, driver)
	inv, _ := devcompat.OpenInventory("lspci:../../tests/data/importers/vf.lspci", "")
	for _, d := range inv.Devices {
		fmt.Println(d.ID)
	}
	_, err = devcompat.OpenFacts("lspci:../../tests/data/importers/vf.lspci", "")
	fmt.Println(errors.Is(err, devcompat.ErrFacts))
	// Output:
	// 15b3101e mlx5_vfio_pci
	// 0000:3b:00.0
	// 0000:3b:00.3
	// true
}

// The installed policies, each target judged by the one whose SELF it
// satisfies (compatc check --policy-dir).
func ExampleReadPolicySet() {
	set, err := devcompat.ReadPolicySet("../../policies")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer set.Close()
	fmt.Println(len(set.Broken()), "broken")
	source, _ := devcompat.ReadFacts("../../policies/gvt-share-src-half.kv")
	target, _ := devcompat.ReadFacts("../../policies/gvt-share-target.kv")
	pol, _ := set.Select(target)
	res, _ := set.CheckFacts(source, target)
	fmt.Println(pol.Name(), res.Verdict, res.BlockName)
	vap, _ := devcompat.NewFacts(map[string]string{"device_api": "vfio-ap"})
	_, err = set.Select(vap)
	fmt.Println(errors.Is(err, devcompat.ErrNoPolicy))
	// Output:
	// 0 broken
	// i915-gvt-share compatible same_share
	// true
}

// A DRA driver's selector: which devices of a ResourceSlice may take this
// source's state.
func ExamplePolicy_CELSelector() {
	pol, _ := devcompat.ReadPolicy("../../policies/pds-vf.compat")
	source, _ := devcompat.ReadFacts("../../policies/pds-vf-src-ok.kv")
	sel, err := pol.CELSelector(source, "")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(strings.Contains(sel.Expression, `device.attributes["devcompat.io"].pci_id`))
	for _, a := range sel.Attributes {
		fmt.Println(a.Fact, a.Domain, a.Name, a.Type)
	}
	// Output:
	// true
	// device_api devcompat.io device_api string
	// driver devcompat.io driver string
	// fw.version fw version string
	// pci_id devcompat.io pci_id string
}
