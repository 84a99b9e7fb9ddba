package cbc

// value.go -- the six types of the language (docs/language.md, "Types"):
// parsing fact text, comparing, rendering, exactly as src/value.c and
// src/semver.c do, byte for byte.

import (
	"sort"
	"strconv"
	"strings"
)

// Types, numbered as in a .cbc file (docs/bytecode.md).
const (
	tNone uint8 = iota
	tInt
	tHex
	tString
	tSemver
	tBool
	tSet
	tCount
)

var typeNames = [tCount]string{"", "int", "hex", "string", "semver", "bool", "set"}

// typeName is the name of a type, or "" for none.
func typeName(t uint8) string {
	if t < tCount {
		return typeNames[t]
	}
	return ""
}

// value is a register, a constant or a parsed fact.  i holds an int, a hex
// (its uint64 bits) or a bool (0, 1); s a string or a semver's pre-release;
// x a semver's numbers or a set's items (sorted by byte order, without
// duplicates): registers stay small, the rare types pay a pointer.
type value struct {
	t uint8
	i int64
	s string
	x *vext
}

type vext struct {
	major, minor, patch uint64
	set                 []string
}

func semverValue(major, minor, patch uint64, pre string) value {
	return value{t: tSemver, s: pre, x: &vext{major: major, minor: minor, patch: patch}}
}

func setValue(items []string) value { return value{t: tSet, x: &vext{set: items}} }

func hexDigit(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return 16
}

func hasHexPrefix(s string) bool {
	return len(s) >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')
}

// scanHex: one or more hex digits, at most 64 significant bits.
func scanHex(s string) (uint64, bool) {
	if len(s) == 0 {
		return 0, false
	}
	var v uint64
	for i := 0; i < len(s); i++ {
		d := hexDigit(s[i])
		if d > 15 || v>>60 != 0 {
			return 0, false
		}
		v = v<<4 | uint64(d)
	}
	return v, true
}

// scanDec: one or more decimal digits fitting in a uint64.
func scanDec(s string) (uint64, bool) {
	if len(s) == 0 {
		return 0, false
	}
	var v uint64
	for i := 0; i < len(s); i++ {
		d := uint64(s[i]) - '0'
		if d > 9 {
			return 0, false
		}
		if v > (1<<64-1)/10 {
			return 0, false
		}
		v *= 10
		if v > 1<<64-1-d {
			return 0, false
		}
		v += d
	}
	return v, true
}

// parseInt: '-'? ('0x' hex-digits | dec-digits), int64.
func parseInt(s string) (int64, bool) {
	neg := false
	if len(s) > 0 && s[0] == '-' {
		neg = true
		s = s[1:]
	}
	var mag uint64
	var ok bool
	if hasHexPrefix(s) {
		mag, ok = scanHex(s[2:])
	} else {
		mag, ok = scanDec(s)
	}
	if !ok {
		return 0, false
	}
	if neg {
		if mag > 1<<63 {
			return 0, false
		}
		return -int64(mag), true // -(1<<63) wraps to MinInt64, as wanted
	}
	if mag > 1<<63-1 {
		return 0, false
	}
	return int64(mag), true
}

// parseHex: ('0x')? hex-digits, at most 64 bits.
func parseHex(s string) (uint64, bool) {
	if hasHexPrefix(s) {
		s = s[2:]
	}
	return scanHex(s)
}

func parseBool(s string) (bool, bool) {
	if len(s) > 5 {
		return false, false
	}
	var low [5]byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		low[i] = c
	}
	switch string(low[:len(s)]) {
	case "1", "y", "yes", "true", "on":
		return true, true
	case "0", "n", "no", "false", "off":
		return false, true
	}
	return false, false
}

func isSetSep(c byte) bool {
	return c == ',' || c == ' ' || c == '\t' || c == '\n'
}

// setCount is the number of items of a set's text before duplicates go.
func setCount(s string) int {
	n := 0
	for i := 0; i < len(s); {
		for i < len(s) && isSetSep(s[i]) {
			i++
		}
		if i == len(s) {
			break
		}
		for i < len(s) && !isSetSep(s[i]) {
			i++
		}
		n++
	}
	return n
}

// parseSet splits a set's text into its items, sorted, without duplicates;
// false when it holds more than limit items (counted before duplicates
// go), limit < 0 meaning none.
func parseSet(s string, limit int) ([]string, bool) {
	if limit >= 0 && setCount(s) > limit {
		return nil, false
	}
	var items []string
	for i := 0; i < len(s); {
		for i < len(s) && isSetSep(s[i]) {
			i++
		}
		if i == len(s) {
			break
		}
		start := i
		for i < len(s) && !isSetSep(s[i]) {
			i++
		}
		items = append(items, s[start:i])
	}
	if len(items) > 1 {
		sort.Strings(items)
		k := 1
		for j := 1; j < len(items); j++ {
			if items[j] != items[k-1] {
				items[k] = items[j]
				k++
			}
		}
		items = items[:k]
	}
	return items, true
}

// bitNames are the indices 0..63 as text, bitOrder the indices in the byte
// order of that text (a set's order): 0 1 10 11 ... 19 2 20 ...
var bitNames, bitOrder = func() ([64]string, [64]uint8) {
	var names [64]string
	for i := range names {
		names[i] = strconv.Itoa(i)
	}
	sorted := append([]string(nil), names[:]...)
	sort.Strings(sorted)
	var order [64]uint8
	for k, s := range sorted {
		n, _ := strconv.Atoi(s)
		order[k] = uint8(n)
	}
	return names, order
}()

// bitsSet is the set of the indices of u's 1 bits (n of them), as bits()
// gives it.
func bitsSet(u uint64, n int) []string {
	items := make([]string, 0, n)
	for _, k := range bitOrder {
		if u>>k&1 != 0 {
			items = append(items, bitNames[k])
		}
	}
	return items
}

func setContains(set []string, s string) bool {
	i := sort.SearchStrings(set, s)
	return i < len(set) && set[i] == s
}

// setSubset: every item of a is in b (both sorted).
func setSubset(a, b []string) bool {
	j := 0
	for _, x := range a {
		for j < len(b) && b[j] < x {
			j++
		}
		if j == len(b) || b[j] != x {
			return false
		}
		j++
	}
	return true
}

func setEqual(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// parseValue parses a whole text as type t (not a set: see parseSet).
func parseValue(t uint8, s string) (value, bool) {
	switch t {
	case tInt:
		i, ok := parseInt(s)
		return value{t: tInt, i: i}, ok
	case tHex:
		u, ok := parseHex(s)
		return value{t: tHex, i: int64(u)}, ok
	case tBool:
		b, ok := parseBool(s)
		return value{t: tBool, i: b2i(b)}, ok
	case tSemver:
		return parseSemver(s)
	case tString:
		return value{t: tString, s: s}, true
	}
	return value{}, false
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func cmpU64(a, b uint64) int {
	if a < b {
		return -1
	}
	if a > b {
		return 1
	}
	return 0
}

func cmpI64(a, b int64) int {
	if a < b {
		return -1
	}
	if a > b {
		return 1
	}
	return 0
}

// cmpIntHex compares an int with a hex, mathematically.
func cmpIntHex(i int64, u uint64) int {
	if i < 0 {
		return -1
	}
	return cmpU64(uint64(i), u)
}

// valueCmp compares two values of one type (int and hex mix): <0, 0, >0;
// sets only equal (0) or not (1).
func valueCmp(a, b *value) int {
	if a.t == tInt && b.t == tHex {
		return cmpIntHex(a.i, uint64(b.i))
	}
	if a.t == tHex && b.t == tInt {
		return -cmpIntHex(b.i, uint64(a.i))
	}
	if a.t != b.t {
		if a.t < b.t {
			return -1
		}
		return 1
	}
	switch a.t {
	case tInt:
		return cmpI64(a.i, b.i)
	case tHex:
		return cmpU64(uint64(a.i), uint64(b.i))
	case tBool:
		return int(a.i - b.i)
	case tString:
		return strings.Compare(a.s, b.s)
	case tSemver:
		return semverCmp(a, b)
	case tSet:
		if setEqual(a.x.set, b.x.set) {
			return 0
		}
		return 1
	}
	return 0
}

func valueEqual(a, b *value) bool { return valueCmp(a, b) == 0 }

// render is a value's canonical text: int in decimal, hex lowercase
// without 0x, semver canonical, bool true/false, a set sorted and
// comma-separated, a string as it is.
func render(v *value) string {
	switch v.t {
	case tInt:
		return strconv.FormatInt(v.i, 10)
	case tHex:
		return strconv.FormatUint(uint64(v.i), 16)
	case tBool:
		if v.i != 0 {
			return "true"
		}
		return "false"
	case tString:
		return v.s
	case tSemver:
		return renderSemver(v)
	case tSet:
		return strings.Join(v.x.set, ",")
	}
	return ""
}
