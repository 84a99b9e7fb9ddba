package devcompat_test

// cel_test.go -- CELSelector gives what `compatc to-cel --json` prints for
// every shipped policy and each of its example sources, and its error
// where compatc refuses.

import (
	"encoding/json"
	"errors"
	"os/exec"
	"reflect"
	"strings"
	"testing"

	"devcompat"
)

func TestCELSelectorAsCompatc(t *testing.T) {
	compatc := compatcBin(t)
	selectors, refused := 0, 0
	eachShippedSource(t, func(file string, pol *devcompat.Policy, s string) {
		for _, domain := range []string{"", "gpu.example.com"} {
			args := []string{"to-cel", "--policy", file, s, "--json"}
			if domain != "" {
				args = append(args, "--domain", domain)
			}
			cmd := exec.Command(compatc, args...)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			out, cerr := cmd.Output()
			sel, err := pol.CELSelector(readFacts(t, s), domain)
			if cerr != nil {
				var e *devcompat.Error
				if !errors.As(err, &e) || !strings.Contains(stderr.String(), e.Message) {
					t.Errorf("%s %s: compatc says %q, CELSelector %v", file, s, stderr.String(), err)
				}
				refused++
				continue
			}
			if err != nil {
				t.Fatalf("%s %s: %v", file, s, err)
			}
			var want struct {
				Domain     string `json:"domain"`
				Selector   string `json:"selector"`
				Attributes map[string]struct {
					Domain, Name, Type string
				} `json:"attributes"`
			}
			if err := json.Unmarshal(out, &want); err != nil {
				t.Fatal(err)
			}
			got := map[string][3]string{}
			for _, a := range sel.Attributes {
				got[a.Fact] = [3]string{a.Domain, a.Name, a.Type}
			}
			wattr := map[string][3]string{}
			for f, a := range want.Attributes {
				wattr[f] = [3]string{a.Domain, a.Name, a.Type}
			}
			if sel.Expression != want.Selector || !reflect.DeepEqual(got, wattr) {
				t.Errorf("%s %s %q: %+v\ncompatc %+v", file, s, domain, sel, want)
			}
			selectors++
		}
	})
	if selectors == 0 || refused == 0 {
		t.Fatalf("%d selectors, %d refused: both kinds wanted", selectors, refused)
	}
	pol, _ := devcompat.ReadPolicy("../../policies/gvt-share.compat")
	_, err := pol.CELSelector(readFacts(t, "../../policies/gvt-share-src-half.kv"), "")
	if !errors.Is(err, devcompat.ErrUnsupported) || !strings.Contains(err.Error(), "gvt-share.compat:") {
		t.Errorf("a template over the target: %v", err)
	}
}
