package smarterbase_test

import (
	"fmt"
	"reflect"
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/smarterbase/smarterbase/clients/go/smarterbase"
)

// These tests need BatchWrite / BatchExists / BatchDelete on the server:
// they fail (UNIMPLEMENTED) on a server without them.

func mustPut(t *testing.T, c *smarterbase.Client, col, id string, data map[string]any) *smarterbase.Document {
	t.Helper()
	d, err := c.Put(ctx, col, id, data)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestLiveBatchWritePerItemResults(t *testing.T) {
	c := liveClient(t)
	col := collection(t)
	mustPut(t, c, col, "taken", map[string]any{"v": "original"})
	cas1 := mustPut(t, c, col, "cas", map[string]any{"v": 1})
	mustPut(t, c, col, "cas", map[string]any{"v": 2}) // cas1.Etag is now stale

	res, err := c.BatchWrite(ctx, col, []smarterbase.BatchItem{
		smarterbase.PutItem("p1", map[string]any{"n": 1}),
		smarterbase.PutItem("p2", map[string]any{"n": 2}),
		smarterbase.PutItem("taken", map[string]any{"v": "overwritten?"}, smarterbase.ItemCreateOnly()),
		smarterbase.PutItem("p3", map[string]any{"n": 3}),
		smarterbase.PutItem("cas", map[string]any{"v": "stale write"}, smarterbase.ItemIfMatch(cas1.Etag)),
		smarterbase.PutItem("p4", map[string]any{"n": 4}),
		smarterbase.PutItem("p5", map[string]any{"n": 5}),
	})
	if err != nil {
		t.Fatal(err)
	}
	wantIDs := []string{"p1", "p2", "taken", "p3", "cas", "p4", "p5"}
	if len(res) != len(wantIDs) {
		t.Fatalf("got %d results, want %d", len(res), len(wantIDs))
	}
	for i, r := range res {
		if r.ID != wantIDs[i] {
			t.Fatalf("result %d is for %q, want %q", i, r.ID, wantIDs[i])
		}
	}

	var e *smarterbase.Error
	conflict := res[2].Err
	if !smarterbase.IsAlreadyExists(conflict) || smarterbase.CodeOf(conflict) != codes.AlreadyExists || smarterbase.ReasonOf(conflict) != smarterbase.ReasonDocumentAlreadyExists {
		t.Fatalf("create-only conflict: %v", conflict)
	}
	stale := res[4].Err
	if !smarterbase.IsEtagMismatch(stale) || smarterbase.CodeOf(stale) != codes.Aborted {
		t.Fatalf("stale etag: %v", stale)
	}
	current, err := c.Get(ctx, col, "cas")
	if err != nil {
		t.Fatal(err)
	}
	if e = stale.(*smarterbase.Error); e.Metadata["currentEtag"] != current.Etag {
		t.Fatalf("currentEtag %q, document etag %q", e.Metadata["currentEtag"], current.Etag)
	}
	if !reflect.DeepEqual(current.Data, map[string]any{"v": 2.0}) {
		t.Fatalf("stale put changed cas: %v", current.Data)
	}
	if taken, err := c.Get(ctx, col, "taken"); err != nil || !reflect.DeepEqual(taken.Data, map[string]any{"v": "original"}) {
		t.Fatalf("create-only conflict changed taken: %v %v", taken, err)
	}

	for i, r := range res {
		if i == 2 || i == 4 {
			continue
		}
		if !r.OK() || r.Document == nil || r.Document.Version != 1 || r.Document.Etag == "" || r.Document.ID != r.ID {
			t.Fatalf("put %s: %+v", r.ID, r)
		}
		got, err := c.Get(ctx, col, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		var n int
		fmt.Sscanf(r.ID, "p%d", &n)
		if got.Etag != r.Document.Etag || !reflect.DeepEqual(got.Data, map[string]any{"n": float64(n)}) {
			t.Fatalf("stored %s: %+v", r.ID, got)
		}
	}
}

func TestLiveBatchWriteMixesDeletes(t *testing.T) {
	c := liveClient(t)
	col := collection(t)
	mustPut(t, c, col, "gone", map[string]any{"v": 1})
	res, err := c.BatchWrite(ctx, col, []smarterbase.BatchItem{
		smarterbase.DeleteItem("gone"),
		smarterbase.PutItem("new", map[string]any{"v": 2}),
		smarterbase.DeleteItem("never-existed"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 3 || !res[0].OK() || !res[0].Deleted || !res[1].OK() || res[1].Document == nil || !res[2].OK() || res[2].Deleted {
		t.Fatalf("results %+v", res)
	}
	if ok, _, err := c.Exists(ctx, col, "gone"); err != nil || ok {
		t.Fatalf("gone still exists: %v %v", ok, err)
	}
}

func TestLiveBatchExistsOrder(t *testing.T) {
	c := liveClient(t)
	col := collection(t)
	a := mustPut(t, c, col, "a", map[string]any{"v": 1})
	cc := mustPut(t, c, col, "c", map[string]any{"v": 3})
	res, err := c.BatchExists(ctx, col, []string{"c", "missing-1", "a", "missing-2"})
	if err != nil {
		t.Fatal(err)
	}
	want := []smarterbase.ExistsResult{
		{ID: "c", Exists: true, Etag: cc.Etag},
		{ID: "missing-1"},
		{ID: "a", Exists: true, Etag: a.Etag},
		{ID: "missing-2"},
	}
	if !reflect.DeepEqual(res, want) {
		t.Fatalf("got %+v\nwant %+v", res, want)
	}
}

func TestLiveBatchDeleteStaleEtag(t *testing.T) {
	c := liveClient(t)
	col := collection(t)
	x := mustPut(t, c, col, "x", map[string]any{"v": 1})
	y1 := mustPut(t, c, col, "y", map[string]any{"v": 1})
	y2 := mustPut(t, c, col, "y", map[string]any{"v": 2})
	mustPut(t, c, col, "z", map[string]any{"v": 1})
	res, err := c.BatchDelete(ctx, col, []smarterbase.BatchItem{
		smarterbase.DeleteItem("x", smarterbase.ItemIfMatch(x.Etag)),
		smarterbase.DeleteItem("y", smarterbase.ItemIfMatch(y1.Etag)),
		smarterbase.DeleteItem("z"),
		smarterbase.DeleteItem("absent"),
	})
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		id          string
		ok, deleted bool
	}
	var got []row
	for _, r := range res {
		got = append(got, row{r.ID, r.OK(), r.Deleted})
	}
	want := []row{{"x", true, true}, {"y", false, false}, {"z", true, true}, {"absent", true, false}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	var e *smarterbase.Error
	if err := res[1].Err; !smarterbase.IsEtagMismatch(err) || smarterbase.CodeOf(err) != codes.Aborted {
		t.Fatalf("stale delete: %v", err)
	}
	e = res[1].Err.(*smarterbase.Error)
	if e.Metadata["currentEtag"] != y2.Etag {
		t.Fatalf("currentEtag %q, want %q", e.Metadata["currentEtag"], y2.Etag)
	}
	ex, err := c.BatchExists(ctx, col, []string{"x", "y", "z"})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ex, []smarterbase.ExistsResult{{ID: "x"}, {ID: "y", Exists: true, Etag: y2.Etag}, {ID: "z"}}) {
		t.Fatalf("after delete: %+v", ex)
	}
}
