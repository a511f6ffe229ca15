package smarterbase

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// ErrorDomain is the google.rpc.ErrorInfo domain of every SmarterBase error.
const ErrorDomain = "smarterbase.v1"

// Reason is the machine-readable cause of a failed call: the name of a
// smarterbase.v1.ErrorReason value without its "ERROR_REASON_" prefix.
type Reason string

//go:generate go run ../internal/genreasons reasons_gen.go

// The Reason constants (ReasonEtagMismatch, ...) live in reasons_gen.go,
// generated from the smarterbase.v1.ErrorReason enum; never add one by hand.

// Reasons returns every Reason the contract defines, in enum order.
func Reasons() []Reason { return append([]Reason(nil), allReasons...) }

// The Type of a PreconditionViolation of a failed Commit.
const (
	// ViolationExists: IfExists failed, the document is absent.
	ViolationExists = "EXISTS"
	// ViolationNotExists: IfNotExists failed, the document exists.
	ViolationNotExists = "NOT_EXISTS"
	// ViolationEtag: IfEtag failed, the document is absent or has another etag.
	ViolationEtag = "ETAG"
)

// PreconditionViolation is one entry of a google.rpc.PreconditionFailure
// detail: a Commit write whose precondition did not hold.
type PreconditionViolation struct {
	// Type is ViolationExists, ViolationNotExists or ViolationEtag.
	Type string
	// Subject names the write: "writes[i]", i its 0-based index.
	Subject string
	// Description is human-readable (names the document); never parse it.
	Description string
}

// WriteIndex is the index i of a Subject "writes[i]", or -1 when the
// subject has another form.
func (v PreconditionViolation) WriteIndex() int {
	rest, ok1 := strings.CutPrefix(v.Subject, "writes[")
	digits, ok2 := strings.CutSuffix(rest, "]")
	if !ok1 || !ok2 {
		return -1
	}
	i, err := strconv.Atoi(digits)
	if err != nil || i < 0 || strconv.Itoa(i) != digits {
		return -1
	}
	return i
}

// FieldViolation is one entry of a google.rpc.BadRequest detail: which
// request field was invalid and why.
type FieldViolation struct {
	// Field is the request field path, e.g. "id".
	Field string
	// Description says what is wrong with it.
	Description string
}

// Error is the error returned by every Client method when a call fails.
// Use errors.As to get at it, or the Is* helpers.
type Error struct {
	// Code is the gRPC status code.
	Code codes.Code
	// Reason is the ErrorInfo reason; empty when the server sent none (for
	// example a transport failure or a client-side deadline).
	Reason Reason
	// Domain is the ErrorInfo domain, normally ErrorDomain.
	Domain string
	// Message is the human-readable status message; never branch on it.
	Message string
	// Metadata is the ErrorInfo metadata (lowerCamelCase keys such as
	// "currentEtag"); never nil.
	Metadata map[string]string
	// RetryDelay is the google.rpc.RetryInfo delay the server suggested, or 0.
	RetryDelay time.Duration
	// FieldViolations lists the google.rpc.BadRequest violations, if any.
	FieldViolations []FieldViolation
	// PreconditionViolations lists the google.rpc.PreconditionFailure
	// violations: for ABORTED / PRECONDITION_FAILED from Commit, one per
	// failing write.
	PreconditionViolations []PreconditionViolation

	status *status.Status
}

// Error implements the error interface with the message shape shared by
// the three clients (docs/clients.md): "<CODE> <REASON>: <message>", the
// code in canonical gRPC spelling (e.g. "ABORTED ETAG_MISMATCH: etag is
// stale"), or "<CODE>: <message>" when the server sent no reason.
func (e *Error) Error() string {
	if e.Reason != "" {
		return fmt.Sprintf("%s %s: %s", CodeName(e.Code), e.Reason, e.Message)
	}
	return fmt.Sprintf("%s: %s", CodeName(e.Code), e.Message)
}

// CodeName returns the canonical gRPC name of a code, as in the proto
// google.rpc.Code: "NOT_FOUND", "CANCELLED", "DEADLINE_EXCEEDED".
func CodeName(c codes.Code) string {
	if c == codes.Canceled {
		return "CANCELLED"
	}
	var b strings.Builder
	for i, r := range c.String() {
		if i > 0 && r >= 'A' && r <= 'Z' {
			b.WriteByte('_')
		}
		b.WriteRune(r)
	}
	return strings.ToUpper(b.String())
}

// GRPCStatus returns the original gRPC status, so status.FromError and
// status.Code work on an *Error.
func (e *Error) GRPCStatus() *status.Status { return e.status }

// Unwrap lets errors.Is(err, context.DeadlineExceeded) and
// errors.Is(err, context.Canceled) match deadline and cancellation failures.
func (e *Error) Unwrap() error {
	switch e.Code {
	case codes.DeadlineExceeded:
		return context.DeadlineExceeded
	case codes.Canceled:
		return context.Canceled
	}
	return nil
}

// FromError converts an error returned by the generated gRPC stubs into an
// *Error, decoding the google.rpc.Status details (ErrorInfo, RetryInfo,
// BadRequest, PreconditionFailure). It returns nil for nil and an *Error
// unchanged.
func FromError(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	st, ok := status.FromError(err)
	if !ok {
		// Not a gRPC error: a context error or a local failure.
		st = status.FromContextError(err)
	}
	return fromStatus(st)
}

func fromStatus(st *status.Status) *Error {
	e := &Error{
		Code:     st.Code(),
		Message:  st.Message(),
		Metadata: map[string]string{},
		status:   st,
	}
	for _, d := range st.Details() {
		switch v := d.(type) {
		case *errdetails.ErrorInfo:
			e.Reason = Reason(v.GetReason())
			e.Domain = v.GetDomain()
			for k, val := range v.GetMetadata() {
				e.Metadata[k] = val
			}
		case *errdetails.RetryInfo:
			if v.GetRetryDelay() != nil {
				e.RetryDelay = v.GetRetryDelay().AsDuration()
			}
		case *errdetails.BadRequest:
			for _, fv := range v.GetFieldViolations() {
				e.FieldViolations = append(e.FieldViolations, FieldViolation{Field: fv.GetField(), Description: fv.GetDescription()})
			}
		case *errdetails.PreconditionFailure:
			for _, pv := range v.GetViolations() {
				e.PreconditionViolations = append(e.PreconditionViolations, PreconditionViolation{Type: pv.GetType(), Subject: pv.GetSubject(), Description: pv.GetDescription()})
			}
		}
	}
	return e
}

// ReasonOf returns the Reason of err when it is an *Error, or "".
func ReasonOf(err error) Reason {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}

// CodeOf returns the gRPC code of err: OK for nil, the code of an *Error or
// of any gRPC status error, Unknown otherwise.
func CodeOf(err error) codes.Code {
	if err == nil {
		return codes.OK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return status.Code(err)
}

// HasReason reports whether err carries the given ErrorInfo reason. Every
// Is<Reason> predicate below is HasReason for one reason (docs/clients.md).
func HasReason(err error, r Reason) bool { return err != nil && ReasonOf(err) == r }

// IsCode reports whether err has the given gRPC status code, whatever its
// reason: the code-level test (IsCode(err, codes.NotFound) also matches
// INDEX_NOT_FOUND, which IsNotFound does not).
func IsCode(err error, c codes.Code) bool { return err != nil && CodeOf(err) == c }

// IsNotFound reports whether err means the document does not exist (reason
// DOCUMENT_NOT_FOUND; code NOT_FOUND). A missing index (INDEX_NOT_FOUND) is
// not a missing document: test IsCode(err, codes.NotFound) for any NOT_FOUND.
func IsNotFound(err error) bool { return HasReason(err, ReasonDocumentNotFound) }

// IsAlreadyExists reports whether err means a create-only write found an
// existing document (reason DOCUMENT_ALREADY_EXISTS; code ALREADY_EXISTS).
// UNIQUE_VIOLATION and INDEX_ALREADY_EXISTS share the code, not the meaning.
func IsAlreadyExists(err error) bool { return HasReason(err, ReasonDocumentAlreadyExists) }

// IsEtagMismatch reports whether err means an etag precondition was stale
// (ABORTED / ETAG_MISMATCH). The current etag is in Metadata["currentEtag"].
func IsEtagMismatch(err error) bool { return HasReason(err, ReasonEtagMismatch) }

// IsLockHeld reports whether err means the lock is held by another lease
// (ABORTED / LOCK_HELD); the *Error's RetryDelay is the holder's remaining
// lease.
func IsLockHeld(err error) bool { return HasReason(err, ReasonLockHeld) }

// IsLockNotHeld reports whether err means a lease or a lock guard is no
// longer the lock's current one (FAILED_PRECONDITION / LOCK_NOT_HELD).
func IsLockNotHeld(err error) bool { return HasReason(err, ReasonLockNotHeld) }

// IsUnavailable reports whether err has code UNAVAILABLE (after the
// client's own retries were used up), whatever its reason: a code-level
// helper, the same as IsCode(err, codes.Unavailable), kept because
// UNAVAILABLE comes with several reasons and with none on transport failures.
func IsUnavailable(err error) bool { return IsCode(err, codes.Unavailable) }

// IsInvalidArgument reports whether err has code INVALID_ARGUMENT (a
// code-level helper, the same as IsCode(err, codes.InvalidArgument));
// ReasonOf tells which argument kind (INVALID_ID, INVALID_COLLECTION, ...).
func IsInvalidArgument(err error) bool { return IsCode(err, codes.InvalidArgument) }

// IsPreconditionFailed reports whether err means a Commit precondition did
// not hold (ABORTED / PRECONDITION_FAILED); nothing was written and the
// *Error's PreconditionViolations name the failing writes.
func IsPreconditionFailed(err error) bool { return HasReason(err, ReasonPreconditionFailed) }

// IsTransactionContention reports whether err means a transaction (or a
// write waiting for one) lost to contention (ABORTED /
// TRANSACTION_CONTENTION); nothing was written: retry the whole transaction
// after the *Error's RetryDelay.
func IsTransactionContention(err error) bool { return HasReason(err, ReasonTransactionContention) }
