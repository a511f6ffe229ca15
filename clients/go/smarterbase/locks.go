package smarterbase

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/smarterbase/smarterbase/clients/go/gen/smarterbase/v1"
)

// LockGuard makes a write conditional on still holding a lock: the server
// refuses it with IsLockNotHeld (FAILED_PRECONDITION / LOCK_NOT_HELD) once a
// newer grant of the lock exists. Pass it with PutLockGuarded or
// LockGuarded.
type LockGuard struct {
	// Name is the lock's name.
	Name string
	// FencingToken is the token from Acquire, Hold or WithLock.
	FencingToken int64
}

func (g LockGuard) proto() *pb.LockGuard {
	return &pb.LockGuard{Name: g.Name, FencingToken: g.FencingToken}
}

// Lease is a granted lease (Acquire, Renew).
type Lease struct {
	// Name is the lock's name.
	Name string
	// LeaseID is the secret for Renew and Release.
	LeaseID string
	// FencingToken is strictly greater than every earlier grant's token for Name.
	FencingToken int64
	// ExpireTime is when the lease expires unless renewed.
	ExpireTime time.Time
}

// Guard returns the LockGuard of the lease, for writes.
func (l *Lease) Guard() LockGuard { return LockGuard{Name: l.Name, FencingToken: l.FencingToken} }

// LockInfo is what GetLock shows of a lock (never the lease id).
type LockInfo struct {
	// Held is true when a lease is current.
	Held bool
	// Holder is the holder given at acquire time ("" when none or not held).
	Holder string
	// FencingToken is the current lease's token (0 when not held).
	FencingToken int64
	// ExpireTime is when the current lease expires (zero when not held).
	ExpireTime time.Time
}

type lockOptions struct {
	ttl    time.Duration
	wait   time.Duration
	holder string
}

// LockOption modifies Acquire, Hold and WithLock.
type LockOption func(*lockOptions)

// WithTTL sets the lease duration: 100 ms to 10 minutes for Acquire
// (default 10 s), 1 s to 10 minutes for Hold and WithLock (default: the
// server's, 10 s; the server renews at a third of it).
func WithTTL(d time.Duration) LockOption { return func(o *lockOptions) { o.ttl = d } }

// WithWait sets how long to wait for a busy lock (default 0: fail at once
// with IsLockHeld). The wait is also bounded by the context's deadline.
func WithWait(d time.Duration) LockOption { return func(o *lockOptions) { o.wait = d } }

// WithHolder names the caller (shown by GetLock), at most 256 characters.
func WithHolder(h string) LockOption { return func(o *lockOptions) { o.holder = h } }

func lockOpts(opts []LockOption) lockOptions {
	var o lockOptions
	for _, f := range opts {
		f(&o)
	}
	return o
}

func optDuration(d time.Duration) *durationpb.Duration {
	if d <= 0 {
		return nil
	}
	return durationpb.New(d)
}

func timeOf(t *timestamppb.Timestamp) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.AsTime()
}

// Acquire takes the lock name. When it is busy, Acquire waits up to
// WithWait (jittered backoff on the server) and then fails with IsLockHeld;
// the *Error's RetryDelay is the holder's remaining lease. Prefer WithLock,
// which also renews and releases.
func (c *Client) Acquire(ctx context.Context, name string, opts ...LockOption) (*Lease, error) {
	o := lockOpts(opts)
	if o.ttl == 0 {
		o.ttl = 10 * time.Second
	}
	ctx, cancel := c.callCtx(ctx)
	defer cancel()
	res, err := c.locks.Acquire(ctx, &pb.AcquireRequest{Name: name, Ttl: durationpb.New(o.ttl), WaitTimeout: optDuration(o.wait), Holder: o.holder})
	if err != nil {
		return nil, FromError(err)
	}
	return &Lease{Name: name, LeaseID: res.GetLeaseId(), FencingToken: res.GetFencingToken(), ExpireTime: timeOf(res.GetExpireTime())}, nil
}

// Renew extends the lease to ttl from now; IsLockNotHeld when it is no
// longer the current lease.
func (c *Client) Renew(ctx context.Context, lease *Lease, ttl time.Duration) (*Lease, error) {
	ctx, cancel := c.callCtx(ctx)
	defer cancel()
	res, err := c.locks.Renew(ctx, &pb.RenewRequest{Name: lease.Name, LeaseId: lease.LeaseID, Ttl: durationpb.New(ttl)})
	if err != nil {
		return nil, FromError(err)
	}
	return &Lease{Name: lease.Name, LeaseID: lease.LeaseID, FencingToken: res.GetFencingToken(), ExpireTime: timeOf(res.GetExpireTime())}, nil
}

// Release frees the lock; released is false when the lease was no longer
// current (expired or already released).
func (c *Client) Release(ctx context.Context, lease *Lease) (released bool, err error) {
	ctx, cancel := c.callCtx(ctx)
	defer cancel()
	res, err := c.locks.Release(ctx, &pb.ReleaseRequest{Name: lease.Name, LeaseId: lease.LeaseID})
	if err != nil {
		return false, FromError(err)
	}
	return res.GetReleased(), nil
}

// GetLock tells whether the lock name is held, by whom and until when.
func (c *Client) GetLock(ctx context.Context, name string) (*LockInfo, error) {
	ctx, cancel := c.callCtx(ctx)
	defer cancel()
	res, err := c.locks.Get(ctx, &pb.LockServiceGetRequest{Name: name})
	if err != nil {
		return nil, FromError(err)
	}
	info := &LockInfo{Held: res.GetHeld(), Holder: res.GetHolder(), FencingToken: res.GetFencingToken()}
	if res.GetHeld() {
		info.ExpireTime = timeOf(res.GetExpireTime())
	}
	return info, nil
}

// HeldLock is a lock held through a Hold stream (see Hold and WithLock).
type HeldLock struct {
	// Name is the lock's name.
	Name string
	// FencingToken is the lease's token (the same for the whole hold).
	FencingToken int64

	cancel context.CancelFunc
	done   chan struct{}
	lost   chan struct{}
	mu     sync.Mutex
	expire time.Time
	err    error
}

// Guard returns the LockGuard to pass to writes made under the lock.
func (h *HeldLock) Guard() LockGuard { return LockGuard{Name: h.Name, FencingToken: h.FencingToken} }

// ExpireTime is the expiry of the latest renewal the server sent.
func (h *HeldLock) ExpireTime() time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.expire
}

// Lost is closed when the lease is lost while held (Err then tells why);
// it is never closed by Release.
func (h *HeldLock) Lost() <-chan struct{} { return h.lost }

// Err is the error that ended the hold (IsLockNotHeld when the lease was
// lost), or nil while it is held or after Release.
func (h *HeldLock) Err() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.err
}

// Release cancels the Hold stream, which makes the server release the lock,
// and waits for the stream to end. It is safe to call more than once.
func (h *HeldLock) Release() {
	h.cancel()
	<-h.done
}

// Hold acquires the lock name through a Hold stream and returns once it is
// granted; the server keeps renewing the lease while the stream is open.
// Call Release when done (the lock is also released when ctx ends). The
// client's default call timeout does not apply: only ctx bounds the hold.
func (c *Client) Hold(ctx context.Context, name string, opts ...LockOption) (*HeldLock, error) {
	o := lockOpts(opts)
	hctx, cancel := context.WithCancel(ctx)
	stream, err := c.locks.Hold(hctx, &pb.HoldRequest{Name: name, Ttl: optDuration(o.ttl), WaitTimeout: optDuration(o.wait), Holder: o.holder})
	if err != nil {
		cancel()
		return nil, FromError(err)
	}
	first, err := stream.Recv()
	if err != nil {
		cancel()
		return nil, FromError(err)
	}
	h := &HeldLock{Name: name, FencingToken: first.GetFencingToken(), cancel: cancel, done: make(chan struct{}), lost: make(chan struct{}), expire: timeOf(first.GetExpireTime())}
	go func() {
		defer close(h.done)
		for {
			m, err := stream.Recv()
			if err != nil {
				if hctx.Err() == nil {
					if e := FromError(err); e != nil {
						h.mu.Lock()
						h.err = e
						h.mu.Unlock()
					} else {
						h.mu.Lock()
						h.err = fmt.Errorf("smarterbase: the Hold stream of %s ended", name)
						h.mu.Unlock()
					}
					close(h.lost)
				}
				return
			}
			h.mu.Lock()
			h.expire = timeOf(m.GetExpireTime())
			h.mu.Unlock()
		}
	}()
	return h, nil
}

// ErrLockLost is the context cause given to WithLock's function when the
// lease is lost while it runs; the *Error from the server is wrapped too.
var ErrLockLost = errors.New("smarterbase: lock lost")

// WithLock runs fn while holding the lock name: it opens a Hold stream,
// waits for the grant, runs fn with the held lock (pass lock.Guard() to
// writes), then cancels the stream, which releases the lock — also when fn
// returns an error or panics. fn's ctx is cancelled (cause wrapping
// ErrLockLost and the server's error) if the lease is lost meanwhile.
func (c *Client) WithLock(ctx context.Context, name string, fn func(ctx context.Context, lock *HeldLock) error, opts ...LockOption) error {
	h, err := c.Hold(ctx, name, opts...)
	if err != nil {
		return err
	}
	defer h.Release()
	fctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go func() {
		select {
		case <-h.lost:
			cancel(fmt.Errorf("%w: %w", ErrLockLost, h.Err()))
		case <-fctx.Done():
		}
	}()
	return fn(fctx, h)
}
