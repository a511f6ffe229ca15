package smarterbase_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/smarterbase/smarterbase/clients/go/smarterbase"
)

// These live tests need LockService on the server: against a server
// without it they fail (UNIMPLEMENTED), they do not skip.

func TestLiveLockAcquireBusyRelease(t *testing.T) {
	c := liveClient(t)
	ctx := context.Background()
	name := collection(t)
	a, err := c.Acquire(ctx, name, smarterbase.WithTTL(5*time.Second), smarterbase.WithHolder("go-a"))
	if err != nil {
		t.Fatal(err)
	}
	if !a.ExpireTime.After(time.Now()) {
		t.Fatalf("expiry %v is not in the future", a.ExpireTime)
	}
	_, err = c.Acquire(ctx, name, smarterbase.WithTTL(time.Second))
	var e *smarterbase.Error
	if !smarterbase.IsLockHeld(err) || smarterbase.CodeOf(err) != codes.Aborted || !errors.As(err, &e) || e.RetryDelay <= 0 || e.RetryDelay > 5*time.Second {
		t.Fatalf("busy acquire: %v", err)
	}
	info, err := c.GetLock(ctx, name)
	if err != nil || !info.Held || info.Holder != "go-a" || info.FencingToken != a.FencingToken {
		t.Fatalf("GetLock = %+v, %v", info, err)
	}
	if r, err := c.Renew(ctx, a, 8*time.Second); err != nil || r.FencingToken != a.FencingToken {
		t.Fatalf("Renew = %+v, %v", r, err)
	}
	if ok, err := c.Release(ctx, a); err != nil || !ok {
		t.Fatalf("Release = %v, %v", ok, err)
	}
	if ok, err := c.Release(ctx, a); err != nil || ok {
		t.Fatalf("second Release = %v, %v", ok, err)
	}
	if info, err := c.GetLock(ctx, name); err != nil || info.Held {
		t.Fatalf("GetLock after release = %+v, %v", info, err)
	}
	b, err := c.Acquire(ctx, name, smarterbase.WithTTL(time.Second))
	if err != nil || b.FencingToken <= a.FencingToken {
		t.Fatalf("re-acquire = %+v, %v", b, err)
	}
	if _, err := c.Renew(ctx, a, time.Second); !smarterbase.IsLockNotHeld(err) {
		t.Fatalf("renew of a released lease: %v", err)
	}
	_, _ = c.Release(ctx, b)
}

func TestLiveWithLockMutualExclusion(t *testing.T) {
	setup := liveClient(t)
	ctx := context.Background()
	col := collection(t)
	name := col + "-lock"
	if _, err := setup.Put(ctx, col, "counter", map[string]any{"n": 0}); err != nil {
		t.Fatal(err)
	}
	var inside, maxInside atomic.Int32
	var mu sync.Mutex
	var tokens []int64
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for w := 0; w < 4; w++ {
		c := liveClient(t)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				err := c.WithLock(ctx, name, func(ctx context.Context, lock *smarterbase.HeldLock) error {
					if n := inside.Add(1); n > maxInside.Load() {
						maxInside.Store(n)
					}
					defer inside.Add(-1)
					mu.Lock()
					tokens = append(tokens, lock.FencingToken)
					mu.Unlock()
					doc, err := c.Get(ctx, col, "counter")
					if err != nil {
						return err
					}
					n := doc.Data["n"].(float64)
					_, err = c.Put(ctx, col, "counter", map[string]any{"n": n + 1}, smarterbase.PutLockGuarded(lock.Guard()))
					return err
				}, smarterbase.WithTTL(5*time.Second), smarterbase.WithWait(20*time.Second))
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	doc, err := setup.Get(ctx, col, "counter")
	if err != nil || doc.Data["n"].(float64) != 40 {
		t.Fatalf("counter = %v, %v; want 40", doc, err)
	}
	if maxInside.Load() != 1 {
		t.Fatalf("%d holders at once", maxInside.Load())
	}
	for i := 1; i < len(tokens); i++ {
		if tokens[i] <= tokens[i-1] {
			t.Fatalf("tokens not strictly increasing: %v", tokens)
		}
	}
	if len(tokens) != 40 {
		t.Fatalf("%d grants, want 40", len(tokens))
	}
}

func TestLiveStaleLockGuardIsRefused(t *testing.T) {
	c := liveClient(t)
	ctx := context.Background()
	col := collection(t)
	name := col + "-lock"
	old, err := c.Acquire(ctx, name, smarterbase.WithTTL(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	first, err := c.Put(ctx, col, "doc", map[string]any{"by": "old"}, smarterbase.PutLockGuarded(old.Guard()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Release(ctx, old); err != nil {
		t.Fatal(err)
	}
	cur, err := c.Acquire(ctx, name, smarterbase.WithTTL(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	stale := old.Guard()
	_, e1 := c.Put(ctx, col, "doc", map[string]any{"by": "stale"}, smarterbase.PutLockGuarded(stale))
	_, e2 := c.PutIfMatch(ctx, col, "doc", map[string]any{"by": "stale"}, first.Etag, smarterbase.LockGuarded(stale))
	_, e3 := c.Delete(ctx, col, "doc", smarterbase.LockGuarded(stale))
	for i, err := range []error{e1, e2, e3} {
		if !smarterbase.IsLockNotHeld(err) || smarterbase.CodeOf(err) != codes.FailedPrecondition {
			t.Fatalf("stale write %d: %v", i, err)
		}
	}
	if doc, err := c.Get(ctx, col, "doc"); err != nil || doc.Data["by"] != "old" {
		t.Fatalf("doc = %v, %v", doc, err)
	}
	if _, err := c.Put(ctx, col, "doc", map[string]any{"by": "current"}, smarterbase.PutLockGuarded(cur.Guard())); err != nil {
		t.Fatal(err)
	}
	_, _ = c.Release(ctx, cur)
}
