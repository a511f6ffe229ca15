package smarterbase

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"math/rand/v2"
	"time"

	"google.golang.org/grpc/codes"

	pb "github.com/smarterbase/smarterbase/clients/go/gen/smarterbase/v1"
)

// ReadLogOptions says where a log read starts, whether it follows, and how
// it resumes.
type ReadLogOptions struct {
	// FromSequence is the first sequence to read; 0: the oldest retained.
	FromSequence int64
	// FromEnd reads only lines appended after the call starts
	// (FromSequence must be 0).
	FromEnd bool
	// Follow keeps reading as new lines are appended (like tail -f): the
	// iteration then never ends by itself.
	Follow bool
	// ProgressInterval (with Follow) is the idle time before the server sends
	// a progress message (which updates TailSequence), 100 ms to 60 s; 0:
	// the server's default (10 s).
	ProgressInterval time.Duration
	// Backoff sets the delays between resumes (InitialBackoff, MaxBackoff,
	// Multiplier, Jitter) and, without Follow, MaxAttempts: the consecutive
	// failed calls (no entry received) before the read ends with the error.
	// With Follow resumes are unlimited. Zero fields take DefaultRetryPolicy's.
	Backoff RetryPolicy
	// OnResume, when set, is called before each resume with the number of
	// consecutive failures (1 = first), the error (nil when a following
	// stream just ended) and the delay chosen. For logging and tests.
	OnResume func(attempt int, err error, delay time.Duration)
}

// LogEntry is one line of a log.
type LogEntry struct {
	// Sequence is its sequence number (dense, from 1).
	Sequence int64
	// Line is the JSON text, byte for byte as appended (json.Unmarshal it).
	Line string
	// AppendTime is when its batch was written, by the writing server's clock.
	AppendTime time.Time
}

// LogReader is one read of a log. Iterate it once with All; while and
// after iterating, LastSequence is where it stands.
type LogReader struct {
	l        *Logs
	ctx      context.Context
	log      string
	opts     ReadLogOptions
	started  bool
	last     int64
	tail     int64
	tailSeen bool
	resumes  int
}

// Read prepares a read of log; the call starts when All is iterated. The
// read has no deadline (the client's call timeout does not apply): cancel
// ctx or leave the loop to stop it. Example:
//
//	r := client.Logs().Read(ctx, "audit", smarterbase.ReadLogOptions{Follow: true})
//	for entry, err := range r.All() {
//		if err != nil { return err } // IsSequenceTrimmed(err): retention deleted what you asked for
//		...
//	}
func (l *Logs) Read(ctx context.Context, log string, opts ReadLogOptions) *LogReader {
	return &LogReader{l: l, ctx: ctx, log: log, opts: opts}
}

// LastSequence is the sequence of the last entry delivered (0 before the
// first): read again from it + 1 to continue.
func (r *LogReader) LastSequence() int64 { return r.last }

// TailSequence is the last tail the server reported: every line up to it
// exists.
func (r *LogReader) TailSequence() int64 { return r.tail }

// Resumes is how many times the read called ReadLog again after an
// interruption.
func (r *LogReader) Resumes() int { return r.resumes }

// All streams the entries in sequence order. After a disconnect,
// UNAVAILABLE or a following stream that ended without a status (see
// IsWatchRetryable), it calls ReadLog again from LastSequence + 1 after a
// jittered exponential backoff never shorter than the server's RetryInfo,
// skipping anything at or below it: never a duplicate, never a gap. On any
// other error it yields (nil, err) once and stops: SEQUENCE_TRIMMED
// (IsSequenceTrimmed), DATA_LOSS for a gap in what the server sent, CANCELLED
// or DEADLINE_EXCEEDED when ctx ends. Breaking out of the loop cancels the call.
func (r *LogReader) All() iter.Seq2[*LogEntry, error] {
	return func(yield func(*LogEntry, error) bool) {
		if r.started {
			yield(nil, errors.New("smarterbase: a LogReader can be iterated only once"))
			return
		}
		r.started = true
		ctx, stop := context.WithCancel(r.ctx)
		defer stop()
		maxAttempts := r.opts.Backoff.withDefaults().MaxAttempts
		if r.opts.Follow {
			maxAttempts = math.MaxInt
		}
		failures := 0
		for {
			more, err := r.attempt(ctx, yield, &failures)
			if !more {
				return
			}
			if ctx.Err() != nil {
				yield(nil, FromError(ctx.Err()))
				return
			}
			if err == nil && !r.opts.Follow {
				return
			}
			if err != nil && !IsWatchRetryable(err) {
				yield(nil, FromError(err))
				return
			}
			failures++
			if failures >= maxAttempts {
				yield(nil, readEndError(err))
				return
			}
			delay := r.opts.Backoff.Backoff(failures, rand.Float64())
			if err != nil {
				delay = max(delay, FromError(err).RetryDelay)
			}
			if r.opts.OnResume != nil {
				r.opts.OnResume(failures, err, delay)
			}
			r.resumes++
			if sleepCtx(ctx, delay) != nil {
				yield(nil, FromError(ctx.Err()))
				return
			}
		}
	}
}

// request is the next call's request: the first one as asked; after an
// entry, from the next sequence; with FromEnd and no entry yet but a tail
// reported, from the line after that tail.
func (r *LogReader) request() *pb.ReadLogRequest {
	req := &pb.ReadLogRequest{Log: r.log, FromSequence: r.opts.FromSequence, FromEnd: r.opts.FromEnd, Follow: r.opts.Follow, ProgressInterval: optDuration(r.opts.ProgressInterval)}
	switch {
	case r.last > 0:
		req.FromSequence, req.FromEnd = r.last+1, false
	case r.opts.FromEnd && r.tailSeen:
		req.FromSequence, req.FromEnd = r.tail+1, false
	}
	return req
}

// attempt makes one ReadLog call and yields its new entries. It returns
// whether the caller still wants entries and the error that ended the call
// (nil when the stream just ended).
func (r *LogReader) attempt(ctx context.Context, yield func(*LogEntry, error) bool, failures *int) (bool, error) {
	stream, err := r.l.c.logs.ReadLog(ctx, r.request())
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
		r.tailSeen = true
		r.tail = max(r.tail, m.GetTailSequence())
		for _, e := range m.GetEntries() {
			if r.last > 0 && e.GetSequence() <= r.last {
				continue
			}
			if r.last > 0 && e.GetSequence() != r.last+1 {
				gap := &Error{Code: codes.DataLoss, Message: fmt.Sprintf("log read: sequence %d received after %d (a gap)", e.GetSequence(), r.last), Metadata: map[string]string{}}
				yield(nil, gap)
				return false, nil
			}
			r.last = e.GetSequence()
			*failures = 0
			if !yield(&LogEntry{Sequence: e.GetSequence(), Line: e.GetLine(), AppendTime: timeOf(e.GetAppendTime())}, nil) {
				return false, nil
			}
		}
	}
}

// readEndError is the error a read ends with after its last attempt: the
// call's own, or UNAVAILABLE when a following stream just ended.
func readEndError(err error) error {
	if err != nil {
		return FromError(err)
	}
	return &Error{Code: codes.Unavailable, Message: "the log read ended without a status", Metadata: map[string]string{}}
}
