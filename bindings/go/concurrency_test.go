package devcompat

// concurrency_test.go -- one policy, one set of prepared devices, checked
// from many goroutines at once by the C library and the Go VM (run with
// -race in CI): every goroutine gets what a lone check gets.

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"devcompat/cbc"
)

func TestConcurrentChecks(t *testing.T) {
	path := filepath.Join(srcRoot, "policies", "gvt-share.compat")
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := loadPair(t, path, text)
	var facts []*Facts
	var cp []*Prepared
	var gp []*cbc.Prepared
	for _, f := range exampleFacts(path) {
		x, err := ReadFacts(f)
		if err != nil {
			continue
		}
		c, err := p.c.Prepare(x)
		if err != nil {
			t.Fatal(err)
		}
		g, _ := p.g.Prepare(x.Map())
		facts, cp, gp = append(facts, x), append(cp, c), append(gp, g)
	}
	want := map[[2]int]string{}
	for i := range cp {
		for j := range cp {
			r, _ := p.c.Check(cp[i], cp[j])
			want[[2]int{i, j}] = r.JSON()
		}
	}
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			res := p.g.NewResult() // one Result per goroutine
			for round := 0; round < 20; round++ {
				for i := range cp {
					for j := range cp {
						k := [2]int{i, j}
						var got string
						switch (w + round) % 3 {
						case 0:
							r, err := p.c.Check(cp[i], cp[j])
							if err != nil {
								errs <- err.Error()
								return
							}
							got = r.JSON()
						case 1:
							res.Check(gp[i], gp[j])
							got = res.JSON()
						default:
							r, err := p.c.CheckFacts(facts[i], facts[j])
							if err != nil {
								errs <- err.Error()
								return
							}
							got = r.JSON()
						}
						if got != want[k] {
							errs <- fmt.Sprintf("goroutine %d, pair %v: %s, alone %s", w, k, got, want[k])
							return
						}
					}
				}
				if _, _, err := p.c.CheckBatch(cp[0], cp); err != nil {
					errs <- err.Error()
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// TestClose: Close releases at once, twice is harmless, use after Close
// panics rather than reading freed memory.
func TestClose(t *testing.T) {
	pol, _, err := CompilePolicy("x.compat", []byte("SELF:\n    a = {x:int}\nCOMPATIBLE:\n    a = {x}\n"))
	if err != nil {
		t.Fatal(err)
	}
	f, _ := NewFacts(map[string]string{"a": "1"})
	d, err := pol.Prepare(f)
	if err != nil {
		t.Fatal(err)
	}
	if r, err := pol.Check(d, d); err != nil || r.Verdict != Compatible {
		t.Fatalf("%v %v", r, err)
	}
	d.Close()
	d.Close()
	f.Close()
	func() {
		defer func() {
			if recover() == nil {
				t.Error("Check of closed prepared facts did not panic")
			}
		}()
		_, _ = pol.Check(d, d)
	}()
	pol.Close()
	func() {
		defer func() {
			if recover() == nil {
				t.Error("Name of a closed policy did not panic")
			}
		}()
		_ = pol.Name()
	}()
}
