package smarterbase

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"

	"google.golang.org/grpc/codes"

	pb "github.com/smarterbase/smarterbase/clients/go/gen/smarterbase/v1"
)

// MaxTransactionWrites is the most writes one Commit may carry; more fail
// with INVALID_ARGUMENT / TRANSACTION_TOO_LARGE.
const MaxTransactionWrites = 100

// Precondition is what must be true of a document for a transaction to
// commit. Build it with IfExists, IfNotExists or IfEtag.
type Precondition struct {
	exists *bool
	etag   string
}

// IfExists requires the document to exist at the commit point.
func IfExists() Precondition { t := true; return Precondition{exists: &t} }

// IfNotExists requires the document to be absent at the commit point.
func IfNotExists() Precondition { f := false; return Precondition{exists: &f} }

// IfEtag requires the document to exist with exactly this etag at the
// commit point (compare-and-swap).
func IfEtag(etag string) Precondition { return Precondition{etag: etag} }

func (p Precondition) proto() (*pb.Precondition, error) {
	switch {
	case p.exists != nil:
		return &pb.Precondition{Condition: &pb.Precondition_Exists{Exists: *p.exists}}, nil
	case p.etag != "":
		return &pb.Precondition{Condition: &pb.Precondition_Etag{Etag: p.etag}}, nil
	}
	return nil, fmt.Errorf("smarterbase: empty precondition: use IfExists, IfNotExists or IfEtag with a non-empty etag")
}

// Transaction collects writes to commit atomically with Commit: every
// client sees all of them or none. Build one with Client.Transaction; its
// methods return the Transaction so calls can be chained. A Transaction is
// not safe for concurrent use.
type Transaction struct {
	c      *Client
	writes []*pb.TransactionWrite
	err    error
	// requestID is generated with the Transaction and sent by every Commit
	// without WithRequestID, so committing one Transaction twice (or the
	// client's UNAVAILABLE retry) returns the first outcome.
	requestID string
}

// Transaction starts an empty transaction on c, with a fresh request id.
// Nothing is sent before Commit.
func (c *Client) Transaction() *Transaction { return &Transaction{c: c, requestID: newRequestID()} }

// Len is the number of writes added so far.
func (tx *Transaction) Len() int { return len(tx.writes) }

// Err is the first error recorded by a builder call (data that cannot be
// encoded, more than one precondition, an empty etag); Commit returns it
// without calling the server.
func (tx *Transaction) Err() error { return tx.err }

func (tx *Transaction) add(kind, collection, id string, w *pb.TransactionWrite, conds []Precondition) *Transaction {
	if tx.err != nil {
		return tx
	}
	switch len(conds) {
	case 0:
	case 1:
		p, err := conds[0].proto()
		if err != nil {
			tx.err = fmt.Errorf("smarterbase: transaction write %d (%s %s/%s): %w", len(tx.writes), kind, collection, id, err)
			return tx
		}
		w.Precondition = p
	default:
		tx.err = fmt.Errorf("smarterbase: transaction write %d (%s %s/%s): at most one precondition", len(tx.writes), kind, collection, id)
		return tx
	}
	w.Collection, w.Id = collection, id
	tx.writes = append(tx.writes, w)
	return tx
}

// Set replaces (collection, id) with data, creating it if absent, under an
// optional precondition (IfEtag, IfExists, IfNotExists).
func (tx *Transaction) Set(collection, id string, data map[string]any, cond ...Precondition) *Transaction {
	return tx.SetExpiring(collection, id, data, Expiry{}, cond...)
}

// SetExpiring is Set with an expiry for the written version (ExpireAt,
// ExpireAfter, NeverExpire; the zero Expiry: the collection's default).
func (tx *Transaction) SetExpiring(collection, id string, data map[string]any, e Expiry, cond ...Precondition) *Transaction {
	if tx.err != nil {
		return tx
	}
	s, err := toStruct(data)
	if err != nil {
		tx.err = fmt.Errorf("smarterbase: transaction write %d (set %s/%s): %w", len(tx.writes), collection, id, err)
		return tx
	}
	set := &pb.SetOperation{Data: s, Expiration: e.proto()}
	return tx.add("set", collection, id, &pb.TransactionWrite{Operation: &pb.TransactionWrite_Set{Set: set}}, cond)
}

// Delete removes (collection, id) — a no-op when it is absent — under an
// optional precondition (IfEtag, IfExists, IfNotExists).
func (tx *Transaction) Delete(collection, id string, cond ...Precondition) *Transaction {
	return tx.add("delete", collection, id, &pb.TransactionWrite{Operation: &pb.TransactionWrite_Delete{Delete: &pb.DeleteOperation{}}}, cond)
}

// Check writes nothing to (collection, id) but makes the transaction
// commit only if cond holds for it; the document cannot change between
// the check and the commit point.
func (tx *Transaction) Check(collection, id string, cond Precondition) *Transaction {
	return tx.add("check", collection, id, &pb.TransactionWrite{Operation: &pb.TransactionWrite_Check{Check: &pb.CheckOperation{}}}, []Precondition{cond})
}

// CommitOption modifies Commit and RunTransaction.
type CommitOption func(*commitOptions)

type commitOptions struct {
	requestID string
	guard     *pb.LockGuard
}

// WithRequestID sets the request id (1 to 128 printable ASCII characters)
// that makes the commit idempotent: a Commit with the request id of a
// transaction committed in the last 10 minutes returns that transaction's
// result without writing again; the same id with other writes fails with
// REQUEST_ID_REUSED. Default: a fresh random UUID per Commit call, which
// makes the client's own UNAVAILABLE retries safe.
func WithRequestID(id string) CommitOption {
	return func(o *commitOptions) { o.requestID = id }
}

// WithLockGuard makes the commit apply only while g is the lock's latest
// grant; otherwise it fails with IsLockNotHeld and writes nothing.
func WithLockGuard(g LockGuard) CommitOption {
	return func(o *commitOptions) { o.guard = g.proto() }
}

// TransactionWriteResult is the outcome of one write of a committed
// transaction.
type TransactionWriteResult struct {
	// Collection is the document's collection.
	Collection string
	// ID is the document's id.
	ID string
	// Etag is the document's etag after the commit: the new etag of a set,
	// the unchanged etag of a checked document that exists, "" for a delete
	// or a checked document that does not exist.
	Etag string
	// Version is the document's version after the commit (1 when created),
	// 0 when the document does not exist after it.
	Version int64
}

// CommitResult is the answer of a successful Commit.
type CommitResult struct {
	// Results has one entry per write, in the order they were added.
	Results []TransactionWriteResult
	// TransactionID is the server's id of the transaction (in its logs).
	TransactionID string
	// CommitTime is the commit point, by the server's clock.
	CommitTime time.Time
	// RequestID is the request id sent (given or generated); committing
	// the same writes again WithRequestID(RequestID) within 10 minutes
	// returns this result again.
	RequestID string
}

// Commit sends the writes as one atomic transaction (1 to
// MaxTransactionWrites writes, at most one per document, 4 MiB of JSON).
// On failure nothing was written; the errors to expect:
//   - IsPreconditionFailed (ABORTED / PRECONDITION_FAILED): the *Error's
//     PreconditionViolations name each failing write ("writes[i]");
//   - IsTransactionContention (ABORTED / TRANSACTION_CONTENTION): retry the
//     whole transaction after the *Error's RetryDelay (RunTransaction does);
//   - IsLockNotHeld with WithLockGuard; IsInvalidArgument with reason
//     TRANSACTION_TOO_LARGE, REQUEST_ID_REUSED or a FieldViolation
//     "writes[i]..." for a malformed write.
//
// UNAVAILABLE is retried by the client under the same request id, so a
// retry never commits twice. Without WithRequestID every Commit of one
// Transaction sends the Transaction's own request id: committing it again
// within 10 minutes returns the first outcome instead of committing twice.
func (tx *Transaction) Commit(ctx context.Context, opts ...CommitOption) (*CommitResult, error) {
	if tx.err != nil {
		return nil, tx.err
	}
	o := commitOpts(opts)
	req := &pb.CommitRequest{Writes: tx.writes, RequestId: o.requestID, LockGuard: o.guard}
	if req.RequestId == "" {
		req.RequestId = tx.requestID
	}
	ctx, cancel := tx.c.callCtx(ctx)
	defer cancel()
	res, err := tx.c.rpc.Commit(ctx, req)
	if err != nil {
		return nil, FromError(err)
	}
	out := &CommitResult{
		Results:       make([]TransactionWriteResult, 0, len(res.GetResults())),
		TransactionID: res.GetTransactionId(),
		CommitTime:    timeOf(res.GetCommitTime()),
		RequestID:     req.RequestId,
	}
	for _, r := range res.GetResults() {
		out.Results = append(out.Results, TransactionWriteResult{Collection: r.GetCollection(), ID: r.GetId(), Etag: r.GetEtag(), Version: r.GetVersion()})
	}
	return out, nil
}

func commitOpts(opts []CommitOption) commitOptions {
	var o commitOptions
	for _, f := range opts {
		f(&o)
	}
	return o
}

// newRequestID returns a random (version 4) UUID.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// TransactionFunc builds a transaction: it reads what it needs (through the
// client, with ctx) and adds writes to tx, typically with IfEtag
// preconditions on what it read. It may run several times; returning an
// error stops RunTransaction, which returns that error unchanged.
type TransactionFunc func(ctx context.Context, tx *Transaction) error

// RunTransaction runs fn on a fresh Transaction and commits it. When the
// commit is aborted — a precondition failed (PRECONDITION_FAILED, e.g. a
// document fn read changed meanwhile) or TRANSACTION_CONTENTION — it
// pauses (random backoff, at least the server's RetryDelay) and runs fn
// again, up to the client's UpdatePolicy.MaxAttempts rounds, then returns
// the last abort error. Each round uses a new request id unless
// WithRequestID is given (an aborted commit is not remembered, so reusing
// one is safe). A transaction fn leaves empty is not committed: the result
// is then an empty CommitResult (no TransactionID).
func (c *Client) RunTransaction(ctx context.Context, fn TransactionFunc, opts ...CommitOption) (*CommitResult, error) {
	p := c.updatePolicy()
	ctx, cancel := c.callCtx(ctx)
	defer cancel()
	var lastErr error
	for round := 0; round < p.MaxAttempts; round++ {
		if round > 0 {
			pause := updatePause(p, round)
			if hint := FromError(lastErr).RetryDelay; hint > pause {
				pause = hint
			}
			if err := sleepCtx(ctx, pause); err != nil {
				return nil, FromError(err)
			}
		}
		tx := c.Transaction()
		if err := fn(ctx, tx); err != nil {
			return nil, err
		}
		if tx.Len() == 0 && tx.err == nil {
			return &CommitResult{}, nil
		}
		res, err := tx.Commit(ctx, opts...)
		if err == nil {
			return res, nil
		}
		if !isRetryableAbort(err) {
			return nil, err
		}
		lastErr = err
	}
	return nil, lastErr
}

// isRetryableAbort reports whether a Commit error means "nothing was
// written, run the transaction again".
func isRetryableAbort(err error) bool {
	return CodeOf(err) == codes.Aborted && (IsPreconditionFailed(err) || IsTransactionContention(err))
}
