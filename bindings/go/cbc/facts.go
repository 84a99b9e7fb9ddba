package cbc

// facts.go -- the facts of a device given as a map (docs/facts.md): the
// names and values the C library's dc_facts_add accepts, trimmed as it
// trims them.

import (
	"fmt"
	"sort"
	"strings"
)

const (
	maxName  = 255
	maxValue = 4096
	maxFacts = 1024
)

func isNameStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isNameChar(c byte) bool { return isNameStart(c) || isDigit(c) }

// show is at most 48 bytes of s, printable, for a message.
func show(s string) string {
	var b strings.Builder
	for i := 0; i < len(s) && i < 48; i++ {
		c := s[i]
		if c >= 0x20 && c < 0x7f {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "\\x%02x", c)
		}
	}
	if len(s) > 48 {
		b.WriteString("...")
	}
	return b.String()
}

// recordIndexLen is the length of a record index at s: 1 to 4 digits, no
// leading zero, followed by '.' or the end; 0 when there is none.
func recordIndexLen(s string) int {
	n := 0
	for n < len(s) && isDigit(s[n]) {
		n++
	}
	if n == 0 || n > 4 || (n > 1 && s[0] == '0') || (n < len(s) && s[n] != '.') {
		return 0
	}
	return n
}

// nameOK: segment ('.' segment)*, segment [A-Za-z_][A-Za-z0-9_]*, or after
// the first a record index followed by another segment (sla.0.cir); at
// most 255 bytes.
func nameOK(s string) bool {
	if s == "" || len(s) > maxName || !isNameStart(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if isNameChar(s[i]) {
			continue
		}
		if s[i] != '.' || i+1 == len(s) {
			return false
		}
		if !isNameStart(s[i+1]) {
			k := recordIndexLen(s[i+1:])
			if k == 0 || i+1+k == len(s) {
				return false
			}
			i += k
			continue
		}
		i++
	}
	return true
}

// checkName says why a fact name is not valid (docs/facts.md), as the C
// library words it; nil when it is.
func checkName(name string) error {
	if nameOK(name) {
		return nil
	}
	if name == "" {
		return errf(ErrFacts, "empty fact name")
	}
	if len(name) > maxName {
		return errf(ErrLimit, "fact name '%s' is longer than %d bytes (the limit)", show(name),
			maxName)
	}
	start := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '.':
			if start {
				return errf(ErrFacts, "invalid fact name '%s': empty segment", show(name))
			}
			start = true
		case start && isNameStart(c), !start && isNameChar(c):
			start = false
		case start && isDigit(c) && i > 0:
			return errf(ErrFacts, "invalid fact name '%s': a segment must start with a letter "+
				"or '_', or be a record index followed by a field (sla.0.cir; no leading zeros)",
				show(name))
		case start && isDigit(c):
			return errf(ErrFacts, "invalid fact name '%s': a segment must start with a letter "+
				"or '_'", show(name))
		case c >= 0x21 && c < 0x7f:
			return errf(ErrFacts, "invalid fact name '%s': '%c' is not allowed (letters, "+
				"digits, '_' and '.' are)", show(name), c)
		default:
			return errf(ErrFacts, "invalid fact name '%s': byte 0x%02x is not allowed "+
				"(letters, digits, '_' and '.' are)", show(name), c)
		}
	}
	if start {
		return errf(ErrFacts, "invalid fact name '%s': empty segment", show(name))
	}
	return nil
}

// trimValue drops leading and trailing blanks, tabs and newlines.
func trimValue(v string) string {
	return strings.Trim(v, " \t\n\r")
}

func checkValue(name, v string) error {
	if len(v) > maxValue {
		return errf(ErrLimit, "fact '%s': value is %d bytes, longer than %d bytes (the limit)",
			show(name), len(v), maxValue)
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if (c >= 0x20 && c < 0x7f) || c == '\t' || c == '\n' {
			continue
		}
		what := fmt.Sprintf("control character 0x%02x", c)
		if c == 0 {
			what = "NUL byte"
		} else if c >= 0x80 {
			what = fmt.Sprintf("non-ASCII byte 0x%02x", c)
		}
		return errf(ErrFacts, "fact '%s': %s in value", show(name), what)
	}
	return nil
}

// CheckFacts tells whether a map holds valid facts: names of segments of
// letters, digits and '_' joined by '.', values of printable ASCII, tabs
// and newlines (after trimming), within the limits.  The error (an *Error
// of kind ErrFacts or ErrLimit) names the first bad fact in name order.
func CheckFacts(facts map[string]string) error {
	if len(facts) > maxFacts {
		return errf(ErrLimit, "more than %d facts (the limit per device)", maxFacts)
	}
	names := make([]string, 0, len(facts))
	for k := range facts {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if err := checkName(k); err != nil {
			return err
		}
		if err := checkValue(k, trimValue(facts[k])); err != nil {
			return err
		}
	}
	return nil
}
