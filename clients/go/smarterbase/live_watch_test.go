package smarterbase_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/smarterbase/smarterbase/clients/go/smarterbase"
)

// Revisions and Watch against a real server of the test's own: the embedded
// default (local coordination, in-memory storage), whatever server
// SMARTERBASE_GRPC_ADDR names (CI's shared one runs Redis coordination, where
// Watch is not served yet).

// embeddedClient starts a server with extraEnv and returns a client of it;
// both are stopped when the test ends.
func embeddedClient(t *testing.T, extraEnv ...string) *smarterbase.Client {
	t.Helper()
	addr, cmd, err := startServerProcess(append([]string{"SB_COORDINATION=local"}, extraEnv...))
	t.Cleanup(func() { stopProcess(cmd) })
	if err != nil {
		t.Fatalf("start server: %v", err)
	}
	dialCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := smarterbase.Dial(dialCtx, addr, smarterbase.WithBlock(), smarterbase.WithCallTimeout(10*time.Second))
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestLiveWatchRevisionsOnReads(t *testing.T) {
	c := embeddedClient(t)
	col := collection(t)
	put := mustPut(t, c, col, "a", map[string]any{"v": 1})
	if put.Revision <= 0 {
		t.Fatalf("put revision %d", put.Revision)
	}
	next, err := c.PutIfMatch(ctx, col, "a", map[string]any{"v": 2}, put.Etag)
	if err != nil || next.Revision <= put.Revision {
		t.Fatalf("putIfMatch: %v, revision %d after %d", err, next.Revision, put.Revision)
	}
	created, err := c.Create(ctx, col, "b", map[string]any{"v": 3})
	if err != nil || created.Revision <= next.Revision {
		t.Fatalf("create: %v, revision %d after %d", err, created.Revision, next.Revision)
	}

	got, readRev, err := c.GetWithReadRevision(ctx, col, "a")
	if err != nil || got.Revision != next.Revision || readRev < created.Revision {
		t.Fatalf("get: %v, revision %d (want %d), read revision %d (want ≥ %d)", err, got.Revision, next.Revision, readRev, created.Revision)
	}
	page, err := c.List(ctx, col, smarterbase.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if revs := []int64{page.Documents[0].Revision, page.Documents[1].Revision}; !reflect.DeepEqual(revs, []int64{next.Revision, created.Revision}) || page.ReadRevision < created.Revision {
		t.Fatalf("list revisions %v, read revision %d", revs, page.ReadRevision)
	}
	items, err := c.BatchGet(ctx, col, []string{"b", "missing"})
	if err != nil || len(items) != 2 || items[0].Document.Revision != created.Revision || items[1].Found {
		t.Fatalf("batchGet: %v %+v", err, items)
	}
	for _, it := range items {
		if it.ReadRevision < created.Revision {
			t.Fatalf("batchGet %s read revision %d < %d", it.ID, it.ReadRevision, created.Revision)
		}
	}
	q := c.Query(ctx, col, smarterbase.QueryOptions{})
	docs, err := q.Collect()
	if err != nil || len(docs) != 2 || docs[1].Revision != created.Revision || q.ReadRevision() < created.Revision {
		t.Fatalf("query: %v, %d docs, read revision %d", err, len(docs), q.ReadRevision())
	}
}

// changeBatches collects the first count change batches (progress skipped)
// of a watch from after, in a goroutine.
func changeBatches(c *smarterbase.Client, col string, after int64, count int) <-chan []*smarterbase.WatchBatch {
	out := make(chan []*smarterbase.WatchBatch, 1)
	go func() {
		var got []*smarterbase.WatchBatch
		defer func() { out <- got }()
		wctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		for b, err := range c.Watch(wctx, col, smarterbase.WatchOptions{AfterRevision: after, ProgressInterval: 200 * time.Millisecond}).All() {
			if err != nil {
				return
			}
			if b.Progress {
				continue
			}
			if got = append(got, b); len(got) == count {
				return
			}
		}
	}()
	return out
}

func TestLiveWatchFromListReadRevision(t *testing.T) {
	c := embeddedClient(t)
	col := collection(t)
	before := mustPut(t, c, col, "old", map[string]any{"v": 0})
	page, err := c.List(ctx, col, smarterbase.ListOptions{})
	if err != nil || len(page.Documents) != 1 || page.Documents[0].Revision != before.Revision || page.ReadRevision < before.Revision {
		t.Fatalf("list: %v %+v", err, page)
	}
	from := page.ReadRevision

	watching := changeBatches(c, col, from, 3)
	put := mustPut(t, c, col, "a", map[string]any{"v": 1})
	if deleted, err := c.Delete(ctx, col, "old"); err != nil || !deleted {
		t.Fatalf("delete: %v %v", deleted, err)
	}
	commit, err := c.Transaction().Set(col, "c", map[string]any{"v": 3}).Set(col, "d", map[string]any{"v": 4}).Commit(ctx)
	if err != nil || commit.TransactionID == "" {
		t.Fatalf("commit: %v %+v", err, commit)
	}
	batches := <-watching
	if len(batches) != 3 {
		t.Fatalf("got %d change batches, want 3", len(batches))
	}

	var shape [][]string
	for _, b := range batches {
		var s []string
		for _, ch := range b.Changes {
			s = append(s, string(ch.Type)+" "+ch.ID)
		}
		shape = append(shape, s)
	}
	want := [][]string{{"PUT a"}, {"DELETE old"}, {"PUT c", "PUT d"}}
	if !reflect.DeepEqual(shape, want) {
		t.Fatalf("batches %v, want %v", shape, want)
	}
	if !(from < batches[0].Revision && batches[0].Revision < batches[1].Revision && batches[1].Revision < batches[2].Revision) {
		t.Fatalf("revisions not increasing from %d: %d %d %d", from, batches[0].Revision, batches[1].Revision, batches[2].Revision)
	}
	if tx := []string{batches[0].TransactionID, batches[1].TransactionID, batches[2].TransactionID}; !reflect.DeepEqual(tx, []string{"", "", commit.TransactionID}) {
		t.Fatalf("transaction ids %q, commit %q", tx, commit.TransactionID)
	}
	pc := batches[0].Changes[0]
	if pc.Revision != put.Revision || pc.Document == nil || pc.Document.Revision != put.Revision || pc.PreviousRevision != 0 {
		t.Fatalf("put change %+v, put revision %d", pc, put.Revision)
	}
	dc := batches[1].Changes[0]
	if dc.Revision != batches[1].Revision || dc.PreviousRevision != before.Revision || dc.Document != nil {
		t.Fatalf("delete change %+v (batch %d, old revision %d)", dc, batches[1].Revision, before.Revision)
	}
	smallest := batches[2].Changes[0].Revision
	for _, ch := range batches[2].Changes {
		if ch.Document == nil || ch.Document.Revision != ch.Revision || ch.Revision < batches[2].Revision {
			t.Fatalf("commit change %+v in batch %d", ch, batches[2].Revision)
		}
		smallest = min(smallest, ch.Revision)
	}
	if smallest != batches[2].Revision {
		t.Fatalf("commit batch revision %d, smallest change revision %d", batches[2].Revision, smallest)
	}
}

func TestLiveWatchFromQuietReadYieldsProgressAtReadRevision(t *testing.T) {
	c := embeddedClient(t)
	col := collection(t)
	mustPut(t, c, col, "a", map[string]any{"v": 1})
	page, err := c.List(ctx, col, smarterbase.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	for b, err := range c.Watch(wctx, col, smarterbase.WatchOptions{AfterRevision: page.ReadRevision, ProgressInterval: 200 * time.Millisecond}).All() {
		if err != nil || !b.Progress || b.Revision != page.ReadRevision {
			t.Fatalf("first batch %+v, %v; want progress at the read revision %d", b, err, page.ReadRevision)
		}
		break
	}
}

func TestLiveWatchRevisionCompacted(t *testing.T) {
	c := embeddedClient(t, "SB_FEED_RETAIN_COUNT=2")
	col := collection(t)
	mustPut(t, c, col, "first", map[string]any{"v": 0})
	page, err := c.List(ctx, col, smarterbase.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	from := page.ReadRevision
	var last int64
	for i := 1; i <= 5; i++ {
		last = mustPut(t, c, col, "doc"+string(rune('0'+i)), map[string]any{"v": i}).Revision
	}

	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	var got error
	for b, err := range c.Watch(wctx, col, smarterbase.WatchOptions{AfterRevision: from}).All() {
		if err != nil {
			got = err
			break
		}
		t.Fatalf("unexpected batch at %d", b.Revision)
	}
	if !errors.Is(got, smarterbase.ErrRevisionCompacted) || !smarterbase.IsRevisionCompacted(got) {
		t.Fatalf("watch ended with %v, want REVISION_COMPACTED", got)
	}
	var rc *smarterbase.RevisionCompactedError
	if !errors.As(got, &rc) {
		t.Fatalf("not a *RevisionCompactedError: %T", got)
	}
	if rc.RequestedRevision != from || rc.OldestRevision <= from || rc.CurrentRevision != last || rc.Err.Metadata["collection"] != col {
		t.Fatalf("compacted error %+v (from %d, last %d)", rc, from, last)
	}
}

func TestLiveWatchInitialSnapshotPreviousAndDeleteRevision(t *testing.T) {
	c := embeddedClient(t)
	col := collection(t)
	a1 := mustPut(t, c, col, "a", map[string]any{"v": 1})
	mustPut(t, c, col, "b", map[string]any{"v": 1})
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	state := map[string]int64{}
	var changes []*smarterbase.WatchBatch
	var delRev int64
	w := c.Watch(wctx, col, smarterbase.WatchOptions{InitialSnapshot: true, IncludePrevious: true, ProgressInterval: 200 * time.Millisecond})
	for b, err := range w.All() {
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range b.Snapshot {
			state[d.ID] = d.Revision
		}
		if b.SnapshotComplete {
			if len(state) != 2 || state["a"] != a1.Revision {
				t.Fatalf("snapshot state %v", state)
			}
			mustPut(t, c, col, "a", map[string]any{"v": 2})
			deleted, rev, err := c.DeleteWithRevision(ctx, col, "b", "")
			if err != nil || !deleted || rev <= 0 {
				t.Fatalf("DeleteWithRevision: %v %v %d", err, deleted, rev)
			}
			delRev = rev
		}
		if len(b.Changes) > 0 {
			changes = append(changes, b)
		}
		if len(changes) == 2 {
			break
		}
	}
	put, del := changes[0].Changes[0], changes[1].Changes[0]
	if put.PreviousDocument == nil || put.PreviousDocument.Etag != a1.Etag || put.PreviousDocument.Revision != a1.Revision {
		t.Fatalf("previous of the put %+v, want the document at %d", put.PreviousDocument, a1.Revision)
	}
	if del.Revision != delRev || del.PreviousDocument == nil {
		t.Fatalf("delete change %+v, want revision %d with its previous document", del, delRev)
	}
	if deleted, rev, err := c.DeleteWithRevision(ctx, col, "b", ""); err != nil || deleted || rev != 0 {
		t.Fatalf("second delete: %v %v %d, want false 0", err, deleted, rev)
	}
}
