package smarterbase

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"google.golang.org/grpc/codes"

	pb "github.com/smarterbase/smarterbase/clients/go/gen/smarterbase/v1"
)

// AppenderOptions shape an Appender's batches and resends. Zero fields take
// their defaults.
type AppenderOptions struct {
	// MaxLines is the most lines per Append, 1 to 1000. Default 500.
	MaxLines int
	// MaxBytes is the most JSON text bytes per Append (a longer single line
	// is sent alone). Default 1 MiB.
	MaxBytes int
	// MaxDelay is the longest a line waits for its batch to fill before it is
	// sent. Default 10 ms; negative: send at once.
	MaxDelay time.Duration
	// Retry sets the resends of a batch (MaxAttempts counts them all).
	// Default: the client's retry policy (WithRetryPolicy).
	Retry *RetryPolicy
	// OnRetry, when set, is called before each resend with the retry number
	// (1 = first), the error and the delay chosen. For logging and tests.
	OnRetry func(retry int, err error, delay time.Duration)
}

// ErrAppenderClosed is the error of a line added after Close.
var ErrAppenderClosed = errors.New("smarterbase: the log appender is closed")

// PendingLine is a line given to Appender.Add: Wait for its sequence number.
type PendingLine struct {
	line string
	done chan struct{}
	seq  int64
	err  error
	at   time.Time
}

// Done is closed once the line's batch was appended or failed.
func (p *PendingLine) Done() <-chan struct{} { return p.done }

// Wait returns the line's sequence number once its batch is appended, or
// the batch's error (an *Error), or ctx's error when ctx ends first (the
// line is still sent).
func (p *PendingLine) Wait(ctx context.Context) (int64, error) {
	select {
	case <-p.done:
		return p.seq, p.err
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

func (p *PendingLine) settle(seq int64, err error) {
	p.seq, p.err = seq, err
	close(p.done)
}

// Appender appends the lines given to Add to one log in batches. A batch is
// sent when it holds MaxLines lines or MaxBytes bytes, when its oldest line
// has waited MaxDelay, or on Flush/Close; one batch is in flight at a time,
// so lines land in Add order. Each batch carries a random request id; on
// UNAVAILABLE, DEADLINE_EXCEEDED or a lost connection the same batch is
// resent with the same id (the server answers a repeat with the first
// attempt's sequences: exactly once), with the client's backoff. Any other
// error, or running out of attempts, fails that batch's lines only; later
// batches go on. Safe for concurrent use. Close it when done.
type Appender struct {
	l       *Logs
	log     string
	opts    AppenderOptions
	retry   RetryPolicy
	mu      sync.Mutex
	pending []*PendingLine
	bytes   int
	added   int64
	sent    int64
	flushTo int64
	closed  bool
	err     error         // first failure since the last Flush
	wake    chan struct{} // a line was added, or a flush asked for
	settled chan struct{} // closed and replaced whenever a batch settles
	exited  chan struct{}
}

// Appender starts a batching appender of log; see Appender.
func (l *Logs) Appender(log string, opts AppenderOptions) *Appender {
	if opts.MaxLines <= 0 || opts.MaxLines > 1000 {
		opts.MaxLines = 500
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = 1 << 20
	}
	if opts.MaxDelay == 0 {
		opts.MaxDelay = 10 * time.Millisecond
	}
	retry := l.c.cfg.retry
	if opts.Retry != nil {
		retry = *opts.Retry
	}
	a := &Appender{l: l, log: log, opts: opts, retry: retry.withDefaults(), wake: make(chan struct{}, 1), settled: make(chan struct{}), exited: make(chan struct{})}
	go a.run()
	return a
}

// Add queues a line (one JSON text). A line added after Close fails with
// ErrAppenderClosed. A failure is also reported by the next Flush or Close.
func (a *Appender) Add(line string) *PendingLine {
	p := &PendingLine{line: line, done: make(chan struct{}), at: time.Now()}
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		p.settle(0, ErrAppenderClosed)
		return p
	}
	a.pending = append(a.pending, p)
	a.bytes += len(line)
	a.added++
	a.mu.Unlock()
	a.poke()
	return p
}

// AddValue is Add of v encoded with encoding/json.
func (a *Appender) AddValue(v any) (*PendingLine, error) {
	line, err := jsonLine(v)
	if err != nil {
		return nil, err
	}
	return a.Add(line), nil
}

// Flush sends every line added so far and waits for them (or ctx); it
// returns the first batch failure since the last Flush.
func (a *Appender) Flush(ctx context.Context) error {
	a.mu.Lock()
	target := a.added
	a.flushTo = max(a.flushTo, target)
	a.mu.Unlock()
	a.poke()
	for {
		a.mu.Lock()
		if a.sent >= target {
			err := a.err
			a.err = nil
			a.mu.Unlock()
			return err
		}
		settled := a.settled
		a.mu.Unlock()
		select {
		case <-settled:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Close flushes (waiting for ctx at most), then refuses further lines and
// stops the appender's goroutine once the queue is empty.
func (a *Appender) Close(ctx context.Context) error {
	a.mu.Lock()
	a.closed = true
	a.mu.Unlock()
	err := a.Flush(ctx)
	a.poke()
	return err
}

func (a *Appender) poke() {
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

// run is the appender's goroutine: it waits for a batch to be due, sends it,
// and settles its lines, one batch at a time.
func (a *Appender) run() {
	defer close(a.exited)
	var timer *time.Timer
	for {
		a.mu.Lock()
		if len(a.pending) == 0 {
			closed := a.closed
			a.mu.Unlock()
			if closed {
				return
			}
			<-a.wake
			continue
		}
		waited := time.Since(a.pending[0].at)
		due := len(a.pending) >= a.opts.MaxLines || a.bytes >= a.opts.MaxBytes || a.sent < a.flushTo || waited >= a.opts.MaxDelay
		if !due {
			a.mu.Unlock()
			if timer == nil {
				timer = time.NewTimer(a.opts.MaxDelay - waited)
			} else {
				timer.Reset(a.opts.MaxDelay - waited)
			}
			select {
			case <-a.wake:
			case <-timer.C:
			}
			continue
		}
		batch := a.take()
		a.mu.Unlock()
		err := a.send(batch)
		a.mu.Lock()
		a.sent += int64(len(batch))
		if err != nil && a.err == nil {
			a.err = err
		}
		close(a.settled)
		a.settled = make(chan struct{})
		a.mu.Unlock()
	}
}

// take removes the next batch from the queue (a.mu held): up to MaxLines
// lines and MaxBytes bytes, at least one line.
func (a *Appender) take() []*PendingLine {
	n, bytes := 0, 0
	for n < len(a.pending) && n < a.opts.MaxLines && (n == 0 || bytes+len(a.pending[n].line) <= a.opts.MaxBytes) {
		bytes += len(a.pending[n].line)
		n++
	}
	batch := a.pending[:n:n]
	a.pending = a.pending[n:]
	a.bytes -= bytes
	return batch
}

// send appends one batch, resending it with the same request id on a
// retryable error, and settles its lines; it returns the batch's error.
func (a *Appender) send(batch []*PendingLine) error {
	lines := make([]string, len(batch))
	for i, p := range batch {
		lines[i] = p.line
	}
	req := &pb.AppendRequest{Log: a.log, Lines: lines, RequestId: newRequestID()}
	bg := context.WithValue(context.Background(), noAutoRetryKey{}, true)
	for retry := 1; ; retry++ {
		ctx, cancel := a.l.c.callCtx(bg)
		res, err := a.l.c.logs.Append(ctx, req)
		cancel()
		if err == nil {
			for i, p := range batch {
				p.settle(res.GetFirstSequence()+int64(i), nil)
			}
			return nil
		}
		if retry >= a.retry.MaxAttempts || !isAppendRetryable(err) {
			e := FromError(err)
			for _, p := range batch {
				p.settle(0, e)
			}
			return e
		}
		delay := a.retry.Backoff(retry, rand.Float64())
		if hint := FromError(err).RetryDelay; hint > delay {
			delay = min(hint, a.retry.MaxBackoff)
		}
		if a.opts.OnRetry != nil {
			a.opts.OnRetry(retry, FromError(err), delay)
		}
		time.Sleep(delay)
	}
}

// isAppendRetryable: UNAVAILABLE, DEADLINE_EXCEEDED (the attempt may have
// landed) or a lost connection (INTERNAL, CANCELLED, UNKNOWN without an
// ErrorInfo reason); resent with the batch's request id.
func isAppendRetryable(err error) bool {
	e := FromError(err)
	switch e.Code {
	case codes.Unavailable, codes.DeadlineExceeded:
		return true
	case codes.Internal, codes.Canceled, codes.Unknown:
		return e.Reason == ""
	}
	return false
}
