package cbc

// semver.go -- SemVer 2.0.0 versions as src/semver.c reads, orders and
// writes them.  Ranges are compiled to comparator tables by the compiler;
// here they are only tested (vm.go).

import (
	"fmt"
	"strconv"
)

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isIdentChar(c byte) bool {
	return isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-'
}

// scanNum: "0" | [1-9][0-9]*, fitting in a uint64; the length read, 0 when
// there is none.
func scanNum(s string) (uint64, int) {
	var v uint64
	i := 0
	for i < len(s) && isDigit(s[i]) {
		d := uint64(s[i] - '0')
		if v > (1<<64-1)/10 || v*10 > 1<<64-1-d {
			return 0, 0
		}
		v = v*10 + d
		i++
	}
	if i == 0 || (i > 1 && s[0] == '0') {
		return 0, 0
	}
	return v, i
}

// scanIDs: id ('.' id)*, id = [0-9A-Za-z-]+; with numericRule an all-digit
// id has no leading zero.  The length read, 0 when malformed.
func scanIDs(s string, numericRule bool) int {
	i := 0
	for {
		start := i
		all := true
		for i < len(s) && isIdentChar(s[i]) {
			if !isDigit(s[i]) {
				all = false
			}
			i++
		}
		if i == start {
			return 0
		}
		if numericRule && all && i-start > 1 && s[start] == '0' {
			return 0
		}
		if i < len(s) && s[i] == '.' {
			i++
			continue
		}
		return i
	}
}

// parseSemver: major.minor[.patch][-pre][+build]; a missing patch is 0.
func parseSemver(s string) (value, bool) {
	var major, minor, patch uint64
	var pre string
	var k int
	if major, k = scanNum(s); k == 0 {
		return value{}, false
	}
	i := k
	if i >= len(s) || s[i] != '.' {
		return value{}, false
	}
	i++
	if minor, k = scanNum(s[i:]); k == 0 {
		return value{}, false
	}
	i += k
	if i < len(s) && s[i] == '.' {
		i++
		if patch, k = scanNum(s[i:]); k == 0 {
			return value{}, false
		}
		i += k
	}
	if i < len(s) && s[i] == '-' {
		i++
		if k = scanIDs(s[i:], true); k == 0 {
			return value{}, false
		}
		pre = s[i : i+k]
		i += k
	}
	if i < len(s) && s[i] == '+' {
		i++
		if k = scanIDs(s[i:], false); k == 0 {
			return value{}, false
		}
		i += k
	}
	if i != len(s) {
		return value{}, false
	}
	return semverValue(major, minor, patch, pre), true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// cmpIdent orders pre-release identifiers: numeric ones numerically (by
// length first), below alphanumeric ones, which compare in ASCII order.
func cmpIdent(a, b string) int {
	an, bn := allDigits(a), allDigits(b)
	if an != bn {
		if an {
			return -1
		}
		return 1
	}
	if an && len(a) != len(b) {
		if len(a) < len(b) {
			return -1
		}
		return 1
	}
	n := len(a)
	if len(b) < n {
		n = len(b)
	}
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return cmpU64(uint64(len(a)), uint64(len(b)))
}

func cmpPre(a, b string) int {
	if len(a) == 0 || len(b) == 0 {
		switch {
		case len(a) == len(b):
			return 0
		case len(a) == 0:
			return 1
		}
		return -1
	}
	i, j := 0, 0
	for {
		ie, je := i, j
		for ie < len(a) && a[ie] != '.' {
			ie++
		}
		for je < len(b) && b[je] != '.' {
			je++
		}
		if c := cmpIdent(a[i:ie], b[j:je]); c != 0 {
			return c
		}
		aend, bend := ie >= len(a), je >= len(b)
		if aend || bend {
			switch {
			case aend == bend:
				return 0
			case aend:
				return -1
			}
			return 1
		}
		i, j = ie+1, je+1
	}
}

// semverCmp is SemVer 2.0.0 precedence (build metadata is never kept).
func semverCmp(a, b *value) int {
	x, y := a.x, b.x
	if c := cmpU64(x.major, y.major); c != 0 {
		return c
	}
	if c := cmpU64(x.minor, y.minor); c != 0 {
		return c
	}
	if c := cmpU64(x.patch, y.patch); c != 0 {
		return c
	}
	return cmpPre(a.s, b.s)
}

func renderSemver(v *value) string {
	s := strconv.FormatUint(v.x.major, 10) + "." + strconv.FormatUint(v.x.minor, 10) + "." +
		strconv.FormatUint(v.x.patch, 10)
	if v.s != "" {
		s += "-" + v.s
	}
	return s
}

// byteText is one byte as a message shows it.
func byteText(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return "'" + string(c) + "'"
	}
	return fmt.Sprintf("\\x%02x", c)
}

func cut24(s string) string {
	if len(s) > 24 {
		return s[:24]
	}
	return s
}

// whyNum explains a bad number of major.minor.patch at s[*i], "" when fine.
func whyNum(s string, i *int, what string) string {
	start := *i
	for *i < len(s) && isDigit(s[*i]) {
		*i++
	}
	n := *i - start
	if n == 0 {
		if start >= len(s) {
			return "the " + what + " number is missing"
		}
		return byteText(s[start]) + " where the " + what + " number should be"
	}
	if n > 1 && s[start] == '0' {
		return "leading zero in '" + cut24(s[start:*i]) + "'"
	}
	if _, k := scanNum(s[start:*i]); k == 0 {
		return "the " + what + " number is larger than 2^64-1"
	}
	return ""
}

func whyIDs(s string, i *int, pre bool) string {
	what := "build"
	if pre {
		what = "pre-release"
	}
	for {
		start := *i
		digits := true
		for *i < len(s) && isIdentChar(s[*i]) {
			digits = digits && isDigit(s[*i])
			*i++
		}
		if *i == start {
			return "empty " + what + " identifier"
		}
		if pre && digits && *i-start > 1 && s[start] == '0' {
			return "leading zero in '" + cut24(s[start:*i]) + "'"
		}
		if *i < len(s) && s[*i] == '.' {
			*i++
			continue
		}
		return ""
	}
}

// semverWhy says why a text is not a semver (src/semver_why.c); "" when it
// is one.  It only explains: parseSemver decides.
func semverWhy(s string) string {
	if s == "" {
		return "it is empty"
	}
	if s[0] == 'v' || s[0] == 'V' {
		return fmt.Sprintf("no '%c' prefix: a semver starts with its major number", s[0])
	}
	nums := [3]string{"major", "minor", "patch"}
	m, i := "", 0
	for k := 0; k < 3 && m == ""; k++ {
		if k > 0 {
			if i >= len(s) || s[i] != '.' {
				if k == 2 {
					break
				}
				if i >= len(s) {
					return "major.minor at least: the minor number is missing"
				}
				return byteText(s[i]) + " after the major number"
			}
			i++
		}
		m = whyNum(s, &i, nums[k])
	}
	if m == "" && i < len(s) && s[i] == '.' {
		return "more than three numbers: a semver is major.minor[.patch]"
	}
	if m == "" && i < len(s) && s[i] == '-' {
		i++
		m = whyIDs(s, &i, true)
	}
	if m == "" && i < len(s) && s[i] == '+' {
		i++
		m = whyIDs(s, &i, false)
	}
	if m == "" && i < len(s) {
		m = fmt.Sprintf("unexpected %s at offset %d", byteText(s[i]), i)
	}
	return m
}
