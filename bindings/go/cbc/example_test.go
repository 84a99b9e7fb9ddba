package cbc_test

import (
	"errors"
	"fmt"

	"devcompat/cbc"
)

// A controller built with CGO_ENABLED=0 loads a compiled policy and checks
// a source against a target.
func Example() {
	pol, err := cbc.ReadFile("testdata/versioning.cbc")
	if err != nil {
		fmt.Println(err)
		return
	}
	source := map[string]string{"pci_id": "8086591d", "software_version": "2.0.1"}
	target := map[string]string{"pci_id": "8086591D", "software_version": "2.1.0"}
	res, err := pol.CheckFacts(source, target)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Verdict(), res.BlockName())
	for _, b := range res.Bindings() {
		fmt.Printf("%s = %s (%s)\n", b.Name, b.Text, b.Type)
	}
	// the other way round: a newer minor cannot move to an older one
	res, _ = pol.CheckFacts(target, source)
	fmt.Println(res.Verdict())
	for _, why := range res.Reasons() {
		fmt.Printf("line %d: %s\n", why.Line, why.Message)
	}
	// Output:
	// compatible same_major
	// pid = 8086591d (hex)
	// tv = 2.1.0 (semver)
	// sv = 2.0.1 (semver)
	// incompatible
	// line 13: condition is false: major(sv) == major(tv) && minor(sv) <= minor(tv) (sv = 2.1.0; tv = 2.0.1)
}

// Prepared facts are checked without parsing again; a Result is reused.
func ExamplePolicy_Prepare() {
	pol, _ := cbc.ReadFile("testdata/versioning.cbc")
	target, _ := pol.Prepare(map[string]string{"pci_id": "10de1eb8", "software_version": "3.2"})
	res := pol.NewResult()
	for _, v := range []string{"3.0.9", "3.2.1", "3.3.0", "4.0.0"} {
		source, _ := pol.Prepare(map[string]string{"pci_id": "10de1eb8", "software_version": v})
		res.Check(source, target)
		fmt.Println(v, res.Verdict())
	}
	// Output:
	// 3.0.9 compatible
	// 3.2.1 compatible
	// 3.3.0 incompatible
	// 4.0.0 incompatible
}

// A target the policy does not describe is not "incompatible": its SELF
// block failed, and the reason says why.  The JSON is compatc's.
func ExampleResult_JSON() {
	pol, _ := cbc.ReadFile("testdata/versioning.cbc")
	res, _ := pol.CheckFacts(map[string]string{"pci_id": "1", "software_version": "1.0"},
		map[string]string{"pci_id": "1", "software_version": "v1"})
	fmt.Println(res.JSONNamed("node-b"))
	// Output:
	// {"error": "target-mismatch", "message": "node-b is not a target of policy example-versioning: versioning.compat:9: software_version 'v1' is not a valid semver: no 'v' prefix: a semver starts with its major number", "reasons": [{"block": null, "block_name": null, "file": "versioning.compat", "line": 9, "field": "software_version", "expected": "{tv:semver}", "actual": "v1", "message": "software_version 'v1' is not a valid semver: no 'v' prefix: a semver starts with its major number", "values": {}, "missing": null}]}
}

// A damaged or crafted file is refused, never trusted: the error names the
// file and what is wrong, and errors.Is tells the kind.
func ExampleLoad() {
	data := []byte("DCBC\x1a\r\n\x00 not really")
	_, err := cbc.Load("bad.cbc", data)
	fmt.Println(err)
	fmt.Println(errors.Is(err, cbc.ErrBytecode))
	// Output:
	// bad.cbc: truncated: the header ends at byte 32 of 19
	// true
}
