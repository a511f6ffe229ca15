package smarterbase

import (
	"context"
	"errors"
	"io"
	"iter"
	"math/rand/v2"
	"time"

	"google.golang.org/grpc/codes"

	pb "github.com/smarterbase/smarterbase/clients/go/gen/smarterbase/v1"
)

// WatchOptions says what a Watch delivers and how it resumes.
type WatchOptions struct {
	// IDPrefix keeps only the documents whose id starts with it (not with IDs).
	IDPrefix string
	// IDs keeps only these ids, 1 to 1000 (not with IDPrefix).
	IDs []string
	// AfterRevision: deliver the changes with a greater revision (a batch's
	// Revision or a read's revision). 0 (default): from now.
	AfterRevision int64
	// ProgressInterval is the idle time before the server sends a progress
	// batch, 100 ms to 60 s; 0: the server's default (10 s).
	ProgressInterval time.Duration
	// IncludePrevious attaches to each change the document before it
	// (Change.PreviousDocument, or PreviousUnavailable when the server no
	// longer keeps it).
	IncludePrevious bool
	// InitialSnapshot first delivers the current documents (batches with
	// Snapshot set), the changes made meanwhile, then one batch with
	// SnapshotComplete: the state built so far is exactly the collection at
	// its Revision. AfterRevision must be 0. A resume after that continues
	// from LastRevision without a snapshot; an interruption before it ends
	// the watch with the error (the partial state cannot be continued).
	InitialSnapshot bool
	// Backoff sets the delays between resumes (InitialBackoff, MaxBackoff,
	// Multiplier, Jitter; MaxAttempts is ignored: resumes are unlimited).
	// Zero fields take DefaultRetryPolicy's values.
	Backoff RetryPolicy
	// OnResume, when set, is called before each resume with the number of
	// consecutive failures (1 = first), the error (nil when the stream just
	// ended) and the delay chosen. For logging and tests.
	OnResume func(attempt int, err error, delay time.Duration)
}

// ChangeType says what a Change did.
type ChangeType string

const (
	// ChangePut: the document was created or replaced.
	ChangePut ChangeType = "PUT"
	// ChangeDelete: the document was deleted.
	ChangeDelete ChangeType = "DELETE"
	// ChangeExpire: the document expired and was purged (docs/streams.md,
	// "Document expiry (TTL)"); no Document. It had stopped being readable
	// at its ExpireTime, earlier.
	ChangeExpire ChangeType = "EXPIRE"
	// ChangeUnknown: a change type this client does not know (a newer
	// server); not mistaken for a put.
	ChangeUnknown ChangeType = "UNKNOWN"
)

// changeTypeOf maps the wire ChangeType.
func changeTypeOf(t pb.ChangeType) ChangeType {
	switch t {
	case pb.ChangeType_CHANGE_TYPE_PUT:
		return ChangePut
	case pb.ChangeType_CHANGE_TYPE_DELETE:
		return ChangeDelete
	case pb.ChangeType_CHANGE_TYPE_EXPIRE:
		return ChangeExpire
	default:
		return ChangeUnknown
	}
}

// Change is one document change of a WatchBatch.
type Change struct {
	// Type is ChangePut, ChangeDelete or ChangeExpire.
	Type ChangeType
	// ID is the document id.
	ID string
	// Document is the document as written (ChangePut); nil for ChangeDelete
	// and ChangeExpire.
	Document *Document
	// Revision is the revision of this change.
	Revision int64
	// PreviousRevision is the document's revision before it; 0 when it did
	// not exist.
	PreviousRevision int64
	// PreviousDocument (with IncludePrevious) is the document at
	// PreviousRevision; nil when none or unavailable.
	PreviousDocument *Document
	// PreviousUnavailable (with IncludePrevious) is true when the change at
	// PreviousRevision is no longer kept by the server.
	PreviousUnavailable bool
}

// WatchBatch is one message of a watch: the changes of one write or
// transaction, a progress mark (Progress true, no Changes), a page of the
// initial snapshot (Snapshot), or its end (SnapshotComplete).
type WatchBatch struct {
	// Revision: for changes, this batch's revision; for progress, every
	// change up to it has been delivered; for a snapshot page, the revision
	// its listing started from; for SnapshotComplete, the revision the state
	// is now exactly at.
	Revision int64
	// Progress is true for a progress mark.
	Progress bool
	// Changes are the changes in the transaction's write order.
	Changes []Change
	// TransactionID is the Commit's id for two or more writes, else "".
	TransactionID string
	// CommitTime is when the write committed (server clock); zero for progress.
	CommitTime time.Time
	// Snapshot holds a snapshot page's current documents, in id order.
	Snapshot []*Document
	// SnapshotComplete is true on the batch that ends the initial snapshot.
	SnapshotComplete bool
}

// Watch is one collection's change stream. Iterate it once with All; while
// and after iterating, LastRevision is where it stands.
type Watch struct {
	c       *Client
	ctx     context.Context
	req     *pb.WatchRequest
	opts    WatchOptions
	started bool
	last    int64
	resumes int
	// lastWasProgress: the last batch delivered was a progress mark at last.
	lastWasProgress bool
	// snapshotting: an initial snapshot was asked for and has not ended.
	snapshotting bool
}

// Watch prepares a watch of collection; the call starts when All is
// iterated. The watch has no deadline (the client's call timeout does not
// apply): cancel ctx or leave the loop to stop it. Example:
//
//	w := client.Watch(ctx, "orders", smarterbase.WatchOptions{AfterRevision: rev})
//	for batch, err := range w.All() {
//		if err != nil { return err } // errors.As(err, &rc) for *RevisionCompactedError
//		...
//	}
func (c *Client) Watch(ctx context.Context, collection string, opts WatchOptions) *Watch {
	req := &pb.WatchRequest{Collection: collection, IdPrefix: opts.IDPrefix, Ids: opts.IDs, ProgressInterval: optDuration(opts.ProgressInterval)}
	return &Watch{c: c, ctx: ctx, req: req, opts: opts, last: opts.AfterRevision, snapshotting: opts.InitialSnapshot}
}

// LastRevision is the revision of the last batch delivered (progress
// included): watch again after it to continue.
func (w *Watch) LastRevision() int64 { return w.last }

// Resumes is how many times the watch called Watch again after an
// interruption.
func (w *Watch) Resumes() int { return w.resumes }

// All streams the batches in revision order. After a disconnect or a
// retryable error (see IsWatchRetryable) it calls Watch again with
// AfterRevision = LastRevision, after a jittered exponential backoff never
// shorter than the server's RetryInfo, and never yields changes at or below
// a revision already delivered (a progress mark is yielded once per
// revision, also at the one it started from: caught up with a read). On any
// other error it yields (nil, err) once
// and stops: a *RevisionCompactedError for REVISION_COMPACTED, an *Error
// otherwise (CANCELLED or DEADLINE_EXCEEDED when ctx ends). Breaking out of
// the loop cancels the call.
func (w *Watch) All() iter.Seq2[*WatchBatch, error] {
	return func(yield func(*WatchBatch, error) bool) {
		if w.started {
			yield(nil, errors.New("smarterbase: a Watch can be iterated only once"))
			return
		}
		w.started = true
		ctx, stop := context.WithCancel(w.ctx)
		defer stop()
		failures := 0
		for {
			more, err := w.attempt(ctx, yield, &failures)
			if !more {
				return
			}
			if ctx.Err() != nil {
				yield(nil, FromError(ctx.Err()))
				return
			}
			if err != nil && !IsWatchRetryable(err) {
				yield(nil, watchError(err))
				return
			}
			if w.snapshotting {
				yield(nil, snapshotCut(err))
				return
			}
			failures++
			delay := w.delay(failures, err)
			if w.opts.OnResume != nil {
				w.opts.OnResume(failures, err, delay)
			}
			w.resumes++
			if sleepCtx(ctx, delay) != nil {
				yield(nil, FromError(ctx.Err()))
				return
			}
		}
	}
}

// attempt makes one Watch call and yields its new batches. It returns the
// whether the caller still wants batches and the error that ended the call
// (nil when the stream just ended).
func (w *Watch) attempt(ctx context.Context, yield func(*WatchBatch, error) bool, failures *int) (bool, error) {
	req := &pb.WatchRequest{Collection: w.req.GetCollection(), IdPrefix: w.req.GetIdPrefix(), Ids: w.req.GetIds(), AfterRevision: w.last, ProgressInterval: w.req.GetProgressInterval(),
		IncludePrevious: w.opts.IncludePrevious, InitialSnapshot: w.snapshotting}
	stream, err := w.c.watch.Watch(ctx, req)
	if err != nil {
		return true, FromError(err)
	}
	for {
		m, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return true, nil
		}
		if err != nil {
			return true, FromError(err)
		}
		b := fromProtoWatch(m)
		if b == nil {
			continue
		}
		if b.Snapshot != nil { // a snapshot page: its revision is no resume point
			*failures = 0
			if !yield(b, nil) {
				return false, nil
			}
			continue
		}
		if b.SnapshotComplete {
			w.snapshotting = false
		} else if !w.isNew(b) {
			continue
		}
		w.last = m.GetRevision()
		w.lastWasProgress = b.Progress
		*failures = 0
		if !yield(b, nil) {
			return false, nil
		}
	}
}

// isNew tells whether b is to be delivered. Changes above the last revision
// delivered are new; anything at or below it is a duplicate (e.g. resent
// after a resume). A progress mark AT the last revision is new once: it says
// the watch caught up there (e.g. at the read's revision it started from),
// which nothing delivered has said yet.
func (w *Watch) isNew(b *WatchBatch) bool {
	if b.Revision > w.last {
		return true
	}
	return b.Progress && b.Revision == w.last && !w.lastWasProgress
}

// delay is the wait before resume number n: the jittered backoff, or the
// server's RetryInfo delay when longer.
func (w *Watch) delay(n int, err error) time.Duration {
	d := w.opts.Backoff.Backoff(n, rand.Float64())
	if err != nil {
		if hint := FromError(err).RetryDelay; hint > d {
			d = hint
		}
	}
	return d
}

// IsWatchRetryable reports whether a watch resumes after err: UNAVAILABLE
// (shutdown, no server), RESOURCE_EXHAUSTED / WATCH_TOO_SLOW, or a
// connection lost mid-stream (INTERNAL, CANCELLED or UNKNOWN without an
// ErrorInfo reason: a SmarterBase server's own errors always carry one).
// The caller's own cancellation is checked before this.
func IsWatchRetryable(err error) bool {
	e := FromError(err)
	if e == nil {
		return false
	}
	switch e.Code {
	case codes.Unavailable:
		return true
	case codes.ResourceExhausted:
		return e.Reason == ReasonWatchTooSlow
	case codes.Internal, codes.Canceled, codes.Unknown:
		return e.Reason == ""
	}
	return false
}

// snapshotCut is the error a watch ends with when its initial snapshot was
// cut before its end: the call's own, or UNAVAILABLE when the stream just ended.
func snapshotCut(err error) error {
	if err != nil {
		return watchError(err)
	}
	return &Error{Code: codes.Unavailable, Message: "the watch ended before its initial snapshot was complete; watch again", Metadata: map[string]string{}}
}

func fromProtoWatch(m *pb.WatchResponse) *WatchBatch {
	switch k := m.GetKind().(type) {
	case *pb.WatchResponse_Progress:
		return &WatchBatch{Revision: m.GetRevision(), Progress: true}
	case *pb.WatchResponse_Snapshot:
		if k.Snapshot.GetComplete() {
			return &WatchBatch{Revision: m.GetRevision(), SnapshotComplete: true}
		}
		docs := make([]*Document, 0, len(k.Snapshot.GetDocuments()))
		for _, d := range k.Snapshot.GetDocuments() {
			docs = append(docs, fromProto(d))
		}
		return &WatchBatch{Revision: m.GetRevision(), Snapshot: docs}
	case *pb.WatchResponse_Changes:
		b := &WatchBatch{Revision: m.GetRevision(), TransactionID: k.Changes.GetTransactionId(), CommitTime: timeOf(k.Changes.GetCommitTime())}
		for _, e := range k.Changes.GetEvents() {
			b.Changes = append(b.Changes, Change{Type: changeTypeOf(e.GetType()), ID: e.GetId(), Document: fromProto(e.GetDocument()), Revision: e.GetRevision(), PreviousRevision: e.GetPreviousRevision(),
				PreviousDocument: fromProto(e.GetPreviousDocument()), PreviousUnavailable: e.GetPreviousUnavailable()})
		}
		return b
	}
	return nil
}
