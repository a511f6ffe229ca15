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

// The reasons the server sends (see proto/smarterbase/v1/common.proto).
const (
	ReasonInvalidCollection      Reason = "INVALID_COLLECTION"
	ReasonInvalidID              Reason = "INVALID_ID"
	ReasonInvalidPageToken       Reason = "INVALID_PAGE_TOKEN"
	ReasonInvalidArgument        Reason = "INVALID_ARGUMENT"
	ReasonDocumentTooLarge       Reason = "DOCUMENT_TOO_LARGE"
	ReasonDocumentNotFound       Reason = "DOCUMENT_NOT_FOUND"
	ReasonDocumentAlreadyExists  Reason = "DOCUMENT_ALREADY_EXISTS"
	ReasonEtagMismatch           Reason = "ETAG_MISMATCH"
	ReasonConcurrentModification Reason = "CONCURRENT_MODIFICATION"
	ReasonBackendUnavailable     Reason = "BACKEND_UNAVAILABLE"
	ReasonBackendThrottled       Reason = "BACKEND_THROTTLED"
	ReasonDeadlineExceeded       Reason = "DEADLINE_EXCEEDED"
	ReasonCancelled              Reason = "CANCELLED"
	ReasonInternalError          Reason = "INTERNAL_ERROR"
	ReasonShuttingDown           Reason = "SHUTTING_DOWN"
	ReasonInvalidFilter          Reason = "INVALID_FILTER"
	ReasonIndexRequired          Reason = "INDEX_REQUIRED"
	ReasonIndexNotFound          Reason = "INDEX_NOT_FOUND"
	ReasonIndexAlreadyExists     Reason = "INDEX_ALREADY_EXISTS"
	ReasonUniqueViolation        Reason = "UNIQUE_VIOLATION"
	ReasonLockHeld               Reason = "LOCK_HELD"
	ReasonLockNotHeld            Reason = "LOCK_NOT_HELD"
	// Transactions (Commit).
	ReasonTransactionContention Reason = "TRANSACTION_CONTENTION"
	ReasonPreconditionFailed    Reason = "PRECONDITION_FAILED"
	ReasonTransactionTooLarge   Reason = "TRANSACTION_TOO_LARGE"
	ReasonRequestIDReused       Reason = "REQUEST_ID_REUSED"
	// ReasonDocumentTooDeep: document data or a filter operand nests deeper
	// than 32 levels (INVALID_ARGUMENT; metadata "field", "path", "maxDepth").
	ReasonDocumentTooDeep Reason = "DOCUMENT_TOO_DEEP"
	// Transport and limits (docs/limits.md).
	ReasonMalformedRequest Reason = "MALFORMED_REQUEST"
	ReasonMessageTooLarge  Reason = "MESSAGE_TOO_LARGE"
	ReasonMethodNotFound   Reason = "METHOD_NOT_FOUND"
	ReasonServiceNotFound  Reason = "SERVICE_NOT_FOUND"
	// ReasonServerOverloaded: the server serves its maximum of calls
	// (RESOURCE_EXHAUSTED with RetryInfo; retried by the client).
	ReasonServerOverloaded Reason = "SERVER_OVERLOADED"
	ReasonTooManyStreams   Reason = "TOO_MANY_STREAMS"
)

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

// Error implements the error interface.
func (e *Error) Error() string {
	if e.Reason != "" {
		return fmt.Sprintf("smarterbase: %s (%s): %s", e.Code, e.Reason, e.Message)
	}
	return fmt.Sprintf("smarterbase: %s: %s", e.Code, e.Message)
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

// IsNotFound reports whether err means the document does not exist
// (NOT_FOUND / DOCUMENT_NOT_FOUND).
func IsNotFound(err error) bool { return CodeOf(err) == codes.NotFound }

// IsAlreadyExists reports whether err means a create-only write found an
// existing document (ALREADY_EXISTS / DOCUMENT_ALREADY_EXISTS).
func IsAlreadyExists(err error) bool { return CodeOf(err) == codes.AlreadyExists }

// IsEtagMismatch reports whether err means an etag precondition was stale
// (ABORTED / ETAG_MISMATCH). The current etag is in Metadata["currentEtag"].
func IsEtagMismatch(err error) bool { return ReasonOf(err) == ReasonEtagMismatch }

// IsLockHeld reports whether err means the lock is held by another lease
// (ABORTED / LOCK_HELD); the *Error's RetryDelay is the holder's remaining
// lease.
func IsLockHeld(err error) bool { return ReasonOf(err) == ReasonLockHeld }

// IsLockNotHeld reports whether err means a lease or a lock guard is no
// longer the lock's current one (FAILED_PRECONDITION / LOCK_NOT_HELD).
func IsLockNotHeld(err error) bool { return ReasonOf(err) == ReasonLockNotHeld }

// IsUnavailable reports whether err is UNAVAILABLE (after the client's own
// retries were used up).
func IsUnavailable(err error) bool { return CodeOf(err) == codes.Unavailable }

// IsInvalidArgument reports whether err is INVALID_ARGUMENT; ReasonOf tells
// which argument kind (INVALID_ID, INVALID_COLLECTION, ...).
func IsInvalidArgument(err error) bool { return CodeOf(err) == codes.InvalidArgument }

// IsPreconditionFailed reports whether err means a Commit precondition did
// not hold (ABORTED / PRECONDITION_FAILED); nothing was written and the
// *Error's PreconditionViolations name the failing writes.
func IsPreconditionFailed(err error) bool { return ReasonOf(err) == ReasonPreconditionFailed }

// IsTransactionContention reports whether err means a transaction (or a
// write waiting for one) lost to contention (ABORTED /
// TRANSACTION_CONTENTION); nothing was written: retry the whole transaction
// after the *Error's RetryDelay.
func IsTransactionContention(err error) bool { return ReasonOf(err) == ReasonTransactionContention }
