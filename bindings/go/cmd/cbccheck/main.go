// Command cbccheck checks a source device against a target under a
// compiled policy, in pure Go (package devcompat/cbc: it builds with
// CGO_ENABLED=0, as a controller in a distroless image is built).
//
// Usage: cbccheck POLICY.cbc SOURCE.json TARGET.json
//
// The devices are flat JSON objects of strings (`compatc facts
// --format=json` prints them).  It prints the object `compatc check
// --json` prints and exits as compatc does: 0 compatible, 1 incompatible,
// 2 an error or a target the policy does not describe.
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"devcompat/cbc"
)

func readFacts(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m map[string]string
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return m, nil
}

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: cbccheck POLICY.cbc SOURCE.json TARGET.json")
		os.Exit(2)
	}
	pol, err := cbc.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "cbccheck:", err)
		os.Exit(2)
	}
	var facts [2]map[string]string
	for i := range facts {
		if facts[i], err = readFacts(os.Args[2+i]); err != nil {
			fmt.Fprintln(os.Stderr, "cbccheck:", err)
			os.Exit(2)
		}
	}
	res, err := pol.CheckFacts(facts[0], facts[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "cbccheck:", err)
		os.Exit(2)
	}
	fmt.Println(res.JSONNamed(os.Args[3]))
	switch res.Verdict() {
	case cbc.Compatible:
		os.Exit(0)
	case cbc.Incompatible:
		os.Exit(1)
	}
	fmt.Fprintln(os.Stderr, "cbccheck: target-mismatch:", res.Outcome().MismatchMessage(os.Args[3]))
	os.Exit(2)
}
