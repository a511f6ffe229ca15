package smarterbase

import (
	"errors"
	"strconv"

	"google.golang.org/grpc/status"
)

// ErrRevisionCompacted matches, with errors.Is, the error a watch ends with
// when its revision is no longer retained (OUT_OF_RANGE /
// REVISION_COMPACTED). Use errors.As with *RevisionCompactedError for the
// retained range.
var ErrRevisionCompacted = errors.New("smarterbase: revision compacted")

// RevisionCompactedError is how a watch reports OUT_OF_RANGE /
// REVISION_COMPACTED: the changes after RequestedRevision are no longer
// retained. Re-read the documents, then watch from the read's revision.
// errors.As also finds the underlying *Error through it.
type RevisionCompactedError struct {
	// Err is the decoded status (code OUT_OF_RANGE, reason REVISION_COMPACTED).
	Err *Error
	// RequestedRevision is the refused AfterRevision (metadata "requestedRevision").
	RequestedRevision int64
	// OldestRevision is the smallest AfterRevision accepted now (metadata "oldestRevision").
	OldestRevision int64
	// CurrentRevision is the collection's current revision (metadata "currentRevision").
	CurrentRevision int64
}

// Error returns the message of the underlying *Error.
func (e *RevisionCompactedError) Error() string { return e.Err.Error() }

// Unwrap returns the underlying *Error, so errors.As(err, &*Error) and the
// Is* helpers work.
func (e *RevisionCompactedError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrRevisionCompacted) true.
func (e *RevisionCompactedError) Is(target error) bool { return target == ErrRevisionCompacted }

// GRPCStatus returns the original gRPC status (status.FromError works).
func (e *RevisionCompactedError) GRPCStatus() *status.Status { return e.Err.GRPCStatus() }

// IsRevisionCompacted reports whether err means a watch's revision is no
// longer retained (OUT_OF_RANGE / REVISION_COMPACTED).
func IsRevisionCompacted(err error) bool { return HasReason(err, ReasonRevisionCompacted) }

// watchError is the error a watch ends with: a *RevisionCompactedError for
// REVISION_COMPACTED, the decoded *Error otherwise.
func watchError(err error) error {
	e := FromError(err)
	if e.Reason != ReasonRevisionCompacted {
		return e
	}
	rev := func(key string) int64 {
		n, _ := strconv.ParseInt(e.Metadata[key], 10, 64)
		return n
	}
	return &RevisionCompactedError{Err: e, RequestedRevision: rev("requestedRevision"), OldestRevision: rev("oldestRevision"), CurrentRevision: rev("currentRevision")}
}
