package devcompat_test

import (
	"errors"
	"fmt"

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
