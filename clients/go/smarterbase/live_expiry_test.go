package smarterbase_test

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/smarterbase/smarterbase/clients/go/smarterbase"
)

// Document expiry against a real server of the test's own (the embedded
// default, the purger sweeping every 200 ms): a 1 s TTL reads back with its
// ExpireTime, disappears from Get once expired, and a watch from the read's
// revision gets exactly one ChangeExpire for it.

// goneWithin polls Get until the document is not found, up to limit.
func goneWithin(t *testing.T, c *smarterbase.Client, col, id string, limit time.Duration) bool {
	t.Helper()
	for until := time.Now().Add(limit); time.Now().Before(until); time.Sleep(100 * time.Millisecond) {
		_, err := c.Get(ctx, col, id)
		if smarterbase.IsNotFound(err) {
			return true
		}
		if err != nil {
			t.Fatalf("get: %v", err)
		}
	}
	return false
}

func TestLiveExpiryTTLReadGoneAndOneExpireChange(t *testing.T) {
	c := embeddedClient(t, "SB_TTL_SWEEP_MS=200")
	col := collection(t)
	put, err := c.Put(ctx, col, "short", map[string]any{"v": 1}, smarterbase.PutExpiry(smarterbase.ExpireAfter(time.Second)))
	if err != nil {
		t.Fatal(err)
	}
	if life := put.ExpireTime.Sub(put.UpdateTime); life < 950*time.Millisecond || life > 2*time.Second {
		t.Fatalf("expire time %v is %v after the update time %v", put.ExpireTime, life, put.UpdateTime)
	}
	read, readRev, err := c.GetWithReadRevision(ctx, col, "short")
	if err != nil || !read.ExpireTime.Equal(put.ExpireTime) {
		t.Fatalf("get: %v, expire time %v want %v", err, read.ExpireTime, put.ExpireTime)
	}
	at := time.Now().Add(time.Hour).Truncate(time.Millisecond)
	if later, err := c.Create(ctx, col, "later", map[string]any{}, smarterbase.CreateExpiry(smarterbase.ExpireAt(at))); err != nil || !later.ExpireTime.Equal(at) {
		t.Fatalf("create: %v, expire time %v want %v", err, later.ExpireTime, at)
	}
	if kept, err := c.Put(ctx, col, "kept", map[string]any{}, smarterbase.PutExpiry(smarterbase.NeverExpire())); err != nil || !kept.ExpireTime.IsZero() {
		t.Fatalf("put never: %v, expire time %v", err, kept.ExpireTime)
	}

	wctx, cancel := context.WithTimeout(context.Background(), 9*time.Second)
	defer cancel()
	changes := make(chan smarterbase.Change, 16)
	go func() {
		defer close(changes)
		for b, err := range c.Watch(wctx, col, smarterbase.WatchOptions{AfterRevision: readRev, ProgressInterval: 200 * time.Millisecond}).All() {
			if err != nil {
				return
			}
			for _, ch := range b.Changes {
				changes <- ch
			}
		}
	}()

	if !goneWithin(t, c, col, "short", 5*time.Second) {
		t.Fatal("the expired document is still readable 5 s after its write")
	}
	var seen []smarterbase.Change
	marked := false
	for ch := range changes {
		seen = append(seen, ch)
		if ch.Type == smarterbase.ChangeExpire && !marked {
			// Everything the watch delivers before this marker is what it saw of the expiry.
			mustPut(t, c, col, "marker", map[string]any{})
			marked = true
		}
		if ch.ID == "marker" {
			break
		}
	}
	cancel()
	// The purge may land before "later"/"kept" on a slow machine: compare as a set, the marker last.
	var shape []string
	var exp smarterbase.Change
	for _, ch := range seen {
		shape = append(shape, fmt.Sprintf("%s %s", ch.Type, ch.ID))
		if ch.Type == smarterbase.ChangeExpire {
			exp = ch
		}
	}
	sorted := slices.Sorted(slices.Values(shape))
	if want := []string{"EXPIRE short", "PUT kept", "PUT later", "PUT marker"}; !reflect.DeepEqual(sorted, want) || shape[len(shape)-1] != "PUT marker" {
		t.Fatalf("watch saw %v, want %v with the marker last", shape, want)
	}
	if exp.Document != nil || exp.PreviousRevision != put.Revision {
		t.Fatalf("expire change %+v (previous revision want %d)", exp, put.Revision)
	}
}
