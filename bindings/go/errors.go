// Package devcompat is the Go binding of libdevcompat (cgo, pkg-config
// devcompat): compile or load device-migration policies, read facts from
// every source the library reads, prepare them, and check a source device
// against a target (docs/go.md).
//
// Ownership: every object (Policy, PolicySet, Facts, Prepared, Fleet)
// holds C memory that a finalizer releases when the object becomes
// unreachable; Close releases it at once.  Using an object after its Close
// is a programming error (it panics).  Close must not run while another
// goroutine uses the object.
//
// Concurrency: a Policy, a PolicySet, Facts, a Prepared and a Fleet are
// immutable once made and may be used by any number of goroutines at once
// (the C library's compiled policies and prepared facts are read-only).
// A Result is a Go value holding Go strings only.
//
// Package devcompat/cbc is the same evaluator in pure Go for programs built
// with CGO_ENABLED=0: it loads the .cbc files this package saves.
package devcompat

/*
#cgo pkg-config: devcompat
#include <devcompat.h>
*/
import "C"

import "fmt"

// Status is a status of the C library (dc_status).
type Status int

// The statuses; each is also an error value that errors.Is matches against
// any *Error of that status.
const (
	OK Status = iota
	ErrNoMem
	ErrIO
	ErrInvalid
	ErrPolicy
	ErrFacts
	ErrLimit
	ErrBytecode
	ErrTargetMismatch
	ErrNoPolicy
	ErrAmbiguousPolicy
	ErrUnsupported // a rule CEL cannot express exactly (CELSelector)
)

// String is the library's short name of the status ("target-mismatch").
func (s Status) String() string {
	return C.GoString(C.dc_status_str(C.dc_status(s)))
}

// Error makes a Status usable as an error value (errors.Is targets).
func (s Status) Error() string { return s.String() }

// Error is a failure of the library: its status and its message, which
// names the file and what is wrong.  A policy that does not compile
// carries its diagnostics.
type Error struct {
	Status      Status
	Message     string
	Diagnostics []Diagnostic
}

func (e *Error) Error() string { return e.Message }

// Is reports whether target is e's Status (errors.Is(err, devcompat.ErrPolicy)).
func (e *Error) Is(target error) bool {
	s, ok := target.(Status)
	return ok && s == e.Status
}

// Unwrap gives the Status.
func (e *Error) Unwrap() error { return e.Status }

func newError(err *C.dc_error, st C.dc_status) error {
	msg := C.GoString(&err.message[0])
	if msg == "" {
		msg = Status(st).String()
	}
	return &Error{Status: Status(st), Message: msg}
}

func statusError(st C.dc_status, what string) error {
	return &Error{Status: Status(st), Message: fmt.Sprintf("%s: %s", what, Status(st))}
}

// Severity of a diagnostic.
type Severity int

const (
	SeverityError Severity = iota
	SeverityWarning
)

func (s Severity) String() string {
	if s == SeverityWarning {
		return "warning"
	}
	return "error"
}

// Diagnostic is one error or warning about a policy source.
type Diagnostic struct {
	File       string
	Line, Col  int // 1-based
	EndCol     int
	Severity   Severity
	Message    string
	SourceLine string
}

// String is "FILE:LINE:COL: error: message".
func (d Diagnostic) String() string {
	return fmt.Sprintf("%s:%d:%d: %s: %s", d.File, d.Line, d.Col, d.Severity, d.Message)
}

// Version is the library's version ("0.1.0").
func Version() string { return C.GoString(C.dc_version()) }
