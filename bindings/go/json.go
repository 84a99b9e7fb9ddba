package devcompat

import (
	"fmt"
	"strconv"
	"strings"
)

// jsonStr writes s as compatc writes strings: \" \\ \n \t \r escaped, other
// bytes below 0x20 or from 0x7f as \u00XX.
func jsonStr(b *strings.Builder, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		case '\r':
			b.WriteString(`\r`)
		default:
			if c < 0x20 || c >= 0x7f {
				fmt.Fprintf(b, `\u%04x`, c)
			} else {
				b.WriteByte(c)
			}
		}
	}
	b.WriteByte('"')
}

func jsonOpt(b *strings.Builder, s string, present bool) {
	if present {
		jsonStr(b, s)
	} else {
		b.WriteString("null")
	}
}

func (r *Result) reasonsJSON(b *strings.Builder) {
	b.WriteByte('[')
	for i, w := range r.Reasons {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(`{"block": `)
		if w.Block < 0 {
			b.WriteString("null")
		} else {
			b.WriteString(strconv.Itoa(w.Block))
		}
		b.WriteString(`, "block_name": `)
		jsonOpt(b, w.BlockName, w.BlockName != "")
		b.WriteString(`, "file": `)
		jsonStr(b, w.File)
		fmt.Fprintf(b, `, "line": %d, "field": `, w.Line)
		jsonOpt(b, w.Field, w.Field != "")
		b.WriteString(`, "expected": `)
		jsonStr(b, w.Expected)
		b.WriteString(`, "actual": `)
		jsonOpt(b, w.Actual, w.HasActual)
		b.WriteString(`, "message": `)
		jsonStr(b, w.Message)
		b.WriteByte('}')
	}
	b.WriteByte(']')
}

// JSON is the object `compatc check --json` prints for this result
// (without its newline); a target mismatch gives the error object, with
// the target named "target".
func (r *Result) JSON() string { return r.JSONNamed("target") }

// JSONNamed is JSON naming the target as given in a mismatch's message.
func (r *Result) JSONNamed(target string) string {
	var b strings.Builder
	if r.Verdict == TargetMismatch {
		b.WriteString(`{"error": "target-mismatch", "message": `)
		jsonStr(&b, r.MismatchMessage(target))
		b.WriteString(`, "reasons": `)
		r.reasonsJSON(&b)
		b.WriteByte('}')
		return b.String()
	}
	fmt.Fprintf(&b, `{"compatible": %t, "policy": `, r.Verdict == Compatible)
	jsonStr(&b, r.Policy)
	if r.Verdict == Compatible {
		fmt.Fprintf(&b, `, "block": %d, "block_name": `, r.Block)
	} else {
		b.WriteString(`, "block": null, "block_name": `)
	}
	jsonOpt(&b, r.BlockName, r.BlockName != "")
	b.WriteString(`, "bindings": {`)
	for i, x := range r.Bindings {
		if i > 0 {
			b.WriteString(", ")
		}
		jsonStr(&b, x.Name)
		b.WriteString(": ")
		switch x.Type {
		case TypeInt:
			b.WriteString(strconv.FormatInt(x.Int, 10))
		case TypeHex:
			b.WriteString(strconv.FormatUint(uint64(x.Int), 10))
		default:
			jsonStr(&b, x.Text)
		}
	}
	b.WriteString(`}, "reasons": `)
	r.reasonsJSON(&b)
	b.WriteByte('}')
	return b.String()
}

// MismatchMessage is compatc's sentence for a target mismatch ("" for
// another verdict).
func (r *Result) MismatchMessage(target string) string {
	if r.Verdict != TargetMismatch || len(r.Reasons) == 0 {
		return ""
	}
	w := r.Reasons[0]
	return fmt.Sprintf("%s is not a target of policy %s: %s:%d: %s", target, r.Policy, w.File,
		w.Line, w.Message)
}
