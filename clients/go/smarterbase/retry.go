package smarterbase

import (
	"context"
	"math"
	"math/rand/v2"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
)

// RetryPolicy says how calls failing with UNAVAILABLE are retried. No other
// status code is ever retried by the client: ABORTED, DEADLINE_EXCEEDED,
// INVALID_ARGUMENT, FAILED_PRECONDITION and the rest are returned at once.
// The zero value of a field means its default. The defaults are those of
// the TypeScript and Python clients (docs/clients.md): 4 attempts, full
// jitter under min(2s, 50ms*2^(retry-1)), raised to the server's RetryInfo
// delay but never above MaxBackoff.
type RetryPolicy struct {
	// MaxAttempts is the total number of attempts, the first included.
	// Default 4; 1 disables retries.
	MaxAttempts int
	// InitialBackoff bounds the delay before the first retry. Default 50ms.
	InitialBackoff time.Duration
	// MaxBackoff caps the computed delay. Default 2s.
	MaxBackoff time.Duration
	// Multiplier grows the delay after each retry. Default 2.
	Multiplier float64
	// Jitter is the fraction of each delay that is randomised: the delay is
	// drawn uniformly from [d*(1-Jitter), d]. Default 1 ("full jitter", as
	// in the other clients); a negative value disables jitter; values above
	// 1 count as 1.
	Jitter float64
}

// DefaultRetryPolicy is the policy used when none is given.
var DefaultRetryPolicy = RetryPolicy{
	MaxAttempts:    4,
	InitialBackoff: 50 * time.Millisecond,
	MaxBackoff:     2 * time.Second,
	Multiplier:     2,
	Jitter:         1,
}

// withDefaults fills zero fields from DefaultRetryPolicy. It is idempotent:
// a negative Jitter stays negative (Backoff clamps it).
func (p RetryPolicy) withDefaults() RetryPolicy {
	d := DefaultRetryPolicy
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = d.MaxAttempts
	}
	if p.InitialBackoff <= 0 {
		p.InitialBackoff = d.InitialBackoff
	}
	if p.MaxBackoff <= 0 {
		p.MaxBackoff = d.MaxBackoff
	}
	if p.Multiplier < 1 {
		p.Multiplier = d.Multiplier
	}
	if p.Jitter == 0 {
		p.Jitter = d.Jitter
	}
	return p
}

// Backoff returns the delay before retry number retry (1 for the first
// retry), given u, a number in [0,1) from a uniform random source:
// min(InitialBackoff*Multiplier^(retry-1), MaxBackoff), reduced by up to
// Jitter of itself.
func (p RetryPolicy) Backoff(retry int, u float64) time.Duration {
	p = p.withDefaults()
	if retry < 1 {
		retry = 1
	}
	d := float64(p.InitialBackoff) * math.Pow(p.Multiplier, float64(retry-1))
	if d > float64(p.MaxBackoff) {
		d = float64(p.MaxBackoff)
	}
	jitter := min(max(p.Jitter, 0), 1)
	return time.Duration(d * (1 - jitter*u))
}

// ShouldRetry reports whether a call that failed with err on attempt
// number attempt (1-based) may be tried again: only UNAVAILABLE, and only
// while attempts remain.
func (p RetryPolicy) ShouldRetry(err error, attempt int) bool {
	p = p.withDefaults()
	return err != nil && attempt < p.MaxAttempts && CodeOf(err) == codes.Unavailable
}

// wait sleeps before retry number retry. The delay is the jittered backoff,
// or the server's RetryInfo hint when that is longer, capped by MaxBackoff.
// It returns false, at once, when the context would end before the delay is
// over.
func (p RetryPolicy) wait(ctx context.Context, retry int, cause error) bool {
	delay := p.Backoff(retry, rand.Float64())
	if hint := FromError(cause).RetryDelay; hint > delay {
		delay = min(hint, p.withDefaults().MaxBackoff)
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= delay {
		return false
	}
	t := time.NewTimer(delay)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// noAutoRetryKey marks a context whose unary calls the interceptor sends
// once: set by a helper that retries by itself (the log appender resends a
// batch with its request id on more errors than UNAVAILABLE), so that
// attempts do not multiply.
type noAutoRetryKey struct{}

// UnaryRetryInterceptor returns a unary client interceptor that retries
// calls failing with UNAVAILABLE according to p. Dial installs it; use it
// directly only when building your own grpc.ClientConn.
func UnaryRetryInterceptor(p RetryPolicy) grpc.UnaryClientInterceptor {
	p = p.withDefaults()
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if ctx.Value(noAutoRetryKey{}) != nil {
			return invoker(ctx, method, req, reply, cc, opts...)
		}
		for attempt := 1; ; attempt++ {
			err := invoker(ctx, method, req, reply, cc, opts...)
			if !p.ShouldRetry(err, attempt) || !p.wait(ctx, attempt, err) {
				return err
			}
		}
	}
}

// StreamRetryInterceptor returns a stream client interceptor that retries
// UNAVAILABLE according to p: when opening the stream fails, and, for
// server-streaming calls (BatchGet), when the stream fails before its first
// message was received (the request is then sent again). Once a message has
// been received, an error is returned as is.
func StreamRetryInterceptor(p RetryPolicy) grpc.StreamClientInterceptor {
	p = p.withDefaults()
	return func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
		open := func(attempt int) (grpc.ClientStream, int, error) {
			for ; ; attempt++ {
				cs, err := streamer(ctx, desc, cc, method, opts...)
				if err == nil || !p.ShouldRetry(err, attempt) || !p.wait(ctx, attempt, err) {
					return cs, attempt, err
				}
			}
		}
		cs, attempt, err := open(1)
		if err != nil || desc.ClientStreams || !desc.ServerStreams {
			return cs, err
		}
		return &retryStream{ClientStream: cs, ctx: ctx, policy: p, attempt: attempt, open: open}, nil
	}
}

// retryStream replays a server-streaming call that fails with UNAVAILABLE
// before its first response. grpc-go's generated code sends the request and
// closes the send side before handing the stream out, so SendMsg/CloseSend
// and RecvMsg never run concurrently here.
type retryStream struct {
	grpc.ClientStream
	ctx      context.Context
	policy   RetryPolicy
	attempt  int
	open     func(attempt int) (grpc.ClientStream, int, error)
	sent     []any
	closed   bool
	received bool
}

// SendMsg records the request so that it can be replayed.
func (s *retryStream) SendMsg(m any) error {
	s.sent = append(s.sent, m)
	return s.ClientStream.SendMsg(m)
}

// CloseSend records that the send side was closed.
func (s *retryStream) CloseSend() error {
	s.closed = true
	return s.ClientStream.CloseSend()
}

// RecvMsg receives the next message, reopening the stream on a retryable
// failure before the first message.
func (s *retryStream) RecvMsg(m any) error {
	for {
		err := s.ClientStream.RecvMsg(m)
		if err == nil {
			s.received = true
			return nil
		}
		if s.received || !s.policy.ShouldRetry(err, s.attempt) || !s.policy.wait(s.ctx, s.attempt, err) {
			return err
		}
		cs, attempt, oerr := s.open(s.attempt + 1)
		s.attempt = attempt
		if oerr != nil {
			return oerr
		}
		s.ClientStream = cs
		for _, req := range s.sent {
			if serr := cs.SendMsg(req); serr != nil {
				// The stream broke while sending; RecvMsg reports why.
				break
			}
		}
		if s.closed {
			_ = cs.CloseSend()
		}
	}
}
