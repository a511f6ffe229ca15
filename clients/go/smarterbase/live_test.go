package smarterbase_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"sync"
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/smarterbase/smarterbase/clients/go/smarterbase"
)

var ctx = context.Background()

func TestLivePutGetRoundTrip(t *testing.T) {
	c := liveClient(t)
	col := collection(t)
	data := map[string]any{
		"name":   "Zoë 🚀 日本語",
		"n":      42.5,
		"int":    7,
		"neg":    -1e-3,
		"ok":     true,
		"no":     false,
		"none":   nil,
		"list":   []any{1, "two", nil, false, []any{3.0}, map[string]any{"k": "v"}},
		"nested": map[string]any{"a": map[string]any{"b": map[string]any{"c": "deep"}}},
		"empty":  map[string]any{},
	}
	put, err := c.Put(ctx, col, "doc-1", data)
	if err != nil {
		t.Fatal(err)
	}
	if put.Version != 1 || put.Etag == "" || put.ID != "doc-1" || put.Collection != col || put.CreateTime.IsZero() || put.UpdateTime.IsZero() {
		t.Fatalf("put returned %+v", put)
	}
	got, err := c.Get(ctx, col, "doc-1")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"name": "Zoë 🚀 日本語", "n": 42.5, "int": 7.0, "neg": -1e-3, "ok": true, "no": false, "none": nil,
		"list":   []any{1.0, "two", nil, false, []any{3.0}, map[string]any{"k": "v"}},
		"nested": map[string]any{"a": map[string]any{"b": map[string]any{"c": "deep"}}},
		"empty":  map[string]any{},
	}
	if !reflect.DeepEqual(got.Data, want) {
		t.Fatalf("round trip changed the data:\n got %#v\nwant %#v", got.Data, want)
	}
	if got.Etag != put.Etag || got.Version != 1 {
		t.Fatalf("get etag/version %q/%d, put %q/%d", got.Etag, got.Version, put.Etag, put.Version)
	}
	var typed struct {
		Name string `json:"name"`
		Int  int    `json:"int"`
	}
	if err := got.Decode(&typed); err != nil || typed.Name != "Zoë 🚀 日本語" || typed.Int != 7 {
		t.Fatalf("Decode: %v %+v", err, typed)
	}
	again, err := c.Put(ctx, col, "doc-1", map[string]any{"v": 2})
	if err != nil {
		t.Fatal(err)
	}
	if again.Version != 2 || again.Etag == put.Etag {
		t.Fatalf("overwrite returned version %d etag %q (old %q)", again.Version, again.Etag, put.Etag)
	}
}

func TestLivePutIfMatchConflict(t *testing.T) {
	c := liveClient(t)
	col := collection(t)
	first, err := c.Put(ctx, col, "cas", map[string]any{"v": 1})
	if err != nil {
		t.Fatal(err)
	}
	second, err := c.PutIfMatch(ctx, col, "cas", map[string]any{"v": 2}, first.Etag)
	if err != nil {
		t.Fatal(err)
	}
	if second.Version != 2 || second.Etag == first.Etag {
		t.Fatalf("CAS write returned %+v", second)
	}
	_, err = c.PutIfMatch(ctx, col, "cas", map[string]any{"v": 3}, first.Etag)
	var e *smarterbase.Error
	if !errors.As(err, &e) || !smarterbase.IsEtagMismatch(err) || e.Code != codes.Aborted {
		t.Fatalf("stale etag: want ABORTED/ETAG_MISMATCH, got %v", err)
	}
	if e.Metadata["currentEtag"] != second.Etag || e.Metadata["expectedEtag"] != first.Etag {
		t.Fatalf("metadata %v, want currentEtag %q expectedEtag %q", e.Metadata, second.Etag, first.Etag)
	}
	cur, err := c.Get(ctx, col, "cas")
	if err != nil || cur.Data["v"] != 2.0 {
		t.Fatalf("the failed CAS must not write: %v %v", cur, err)
	}
	_, err = c.PutIfMatch(ctx, col, "missing", map[string]any{"v": 1}, first.Etag)
	if !smarterbase.IsNotFound(err) {
		t.Fatalf("PutIfMatch on a missing document: want NOT_FOUND, got %v", err)
	}
}

func TestLiveCreateOnlyConflict(t *testing.T) {
	c := liveClient(t)
	col := collection(t)
	if _, err := c.Put(ctx, col, "once", map[string]any{"v": 1}, smarterbase.CreateOnly()); err != nil {
		t.Fatal(err)
	}
	_, err := c.Put(ctx, col, "once", map[string]any{"v": 2}, smarterbase.CreateOnly())
	if !smarterbase.IsAlreadyExists(err) || smarterbase.ReasonOf(err) != smarterbase.ReasonDocumentAlreadyExists {
		t.Fatalf("want ALREADY_EXISTS/DOCUMENT_ALREADY_EXISTS, got %v", err)
	}
	_, err = c.Create(ctx, col, "once", map[string]any{"v": 3})
	if !smarterbase.IsAlreadyExists(err) {
		t.Fatalf("Create with a taken id: want ALREADY_EXISTS, got %v", err)
	}
	cur, err := c.Get(ctx, col, "once")
	if err != nil || cur.Data["v"] != 1.0 || cur.Version != 1 {
		t.Fatalf("create-only conflicts must not write: %+v %v", cur, err)
	}
}

var uuidV7 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestLiveCreateAssignsUUIDv7(t *testing.T) {
	c := liveClient(t)
	col := collection(t)
	a, err := c.Create(ctx, col, "", map[string]any{"i": 1})
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Create(ctx, col, "", map[string]any{"i": 2})
	if err != nil {
		t.Fatal(err)
	}
	if !uuidV7.MatchString(a.ID) || !uuidV7.MatchString(b.ID) || a.Version != 1 {
		t.Fatalf("ids %q %q (version %d) are not UUIDv7", a.ID, b.ID, a.Version)
	}
	if !(a.ID < b.ID) {
		t.Fatalf("a later id %q must sort after %q", b.ID, a.ID)
	}
	got, err := c.Get(ctx, col, a.ID)
	if err != nil || got.Data["i"] != 1.0 {
		t.Fatalf("created document not readable: %v %v", got, err)
	}
}

func TestLiveListPaging(t *testing.T) {
	c := liveClient(t)
	col := collection(t)
	var want []string
	for i := range 25 {
		id := fmt.Sprintf("item-%02d", i)
		want = append(want, id)
		if _, err := c.Put(ctx, col, id, map[string]any{"i": i}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Put(ctx, col, "other", map[string]any{"i": -1}); err != nil {
		t.Fatal(err)
	}
	var seen []string
	pages := 0
	opts := smarterbase.ListOptions{PageSize: 10, IDPrefix: "item-"}
	for {
		page, err := c.List(ctx, col, opts)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(page.Documents) > 10 {
			t.Fatalf("page of %d documents exceeds page size 10", len(page.Documents))
		}
		for _, d := range page.Documents {
			seen = append(seen, d.ID)
			if d.Data["i"] == nil || d.Etag == "" || d.Version != 1 {
				t.Fatalf("full listing returned %+v", d)
			}
		}
		if page.NextPageToken == "" {
			break
		}
		opts.PageToken = page.NextPageToken
	}
	if !reflect.DeepEqual(seen, want) || pages != 3 {
		t.Fatalf("%d pages listed %v, want 3 pages of %v", pages, seen, want)
	}

	var keys []string
	for d, err := range c.ListAll(ctx, col, smarterbase.ListOptions{PageSize: 7, KeysOnly: true}) {
		if err != nil {
			t.Fatal(err)
		}
		if d.Data != nil && len(d.Data) != 0 || d.Etag != "" || d.Collection != col {
			t.Fatalf("keys-only listing returned %+v", d)
		}
		keys = append(keys, d.ID)
	}
	all := append(append([]string{}, want...), "other")
	if !sort.StringsAreSorted(keys) || !reflect.DeepEqual(keys, all) {
		t.Fatalf("keys-only ListAll = %v, want %v", keys, all)
	}

	_, err := c.List(ctx, col, smarterbase.ListOptions{PageToken: "garbage!"})
	if !smarterbase.IsInvalidArgument(err) || smarterbase.ReasonOf(err) != smarterbase.ReasonInvalidPageToken {
		t.Fatalf("bad page token: want INVALID_ARGUMENT/INVALID_PAGE_TOKEN, got %v", err)
	}
}

func TestLiveBatchGet(t *testing.T) {
	c := liveClient(t)
	col := collection(t)
	for _, id := range []string{"a", "c"} {
		if _, err := c.Put(ctx, col, id, map[string]any{"id": id}); err != nil {
			t.Fatal(err)
		}
	}
	ids := []string{"c", "missing", "a", "c"}
	res, err := c.BatchGet(ctx, col, ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != len(ids) {
		t.Fatalf("got %d results for %d ids", len(res), len(ids))
	}
	for i, r := range res {
		if r.ID != ids[i] {
			t.Fatalf("result %d is for %q, want %q (request order)", i, r.ID, ids[i])
		}
		if ids[i] == "missing" {
			if r.Found || r.Document != nil {
				t.Fatalf("missing id returned %+v", r)
			}
			continue
		}
		if !r.Found || r.Document == nil || r.Document.Data["id"] != ids[i] || r.Document.Etag == "" {
			t.Fatalf("found id %q returned %+v", ids[i], r)
		}
	}
}

func TestLiveDeleteAndExists(t *testing.T) {
	c := liveClient(t)
	col := collection(t)
	doc, err := c.Put(ctx, col, "d", map[string]any{"v": 1})
	if err != nil {
		t.Fatal(err)
	}
	ok, etag, err := c.Exists(ctx, col, "d")
	if err != nil || !ok || etag != doc.Etag {
		t.Fatalf("Exists = %v %q %v, want true %q", ok, etag, err, doc.Etag)
	}
	newer, err := c.Put(ctx, col, "d", map[string]any{"v": 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteIfMatch(ctx, col, "d", doc.Etag); !smarterbase.IsEtagMismatch(err) {
		t.Fatalf("delete with a stale etag: want ETAG_MISMATCH, got %v", err)
	}
	deleted, err := c.DeleteIfMatch(ctx, col, "d", newer.Etag)
	if err != nil || !deleted {
		t.Fatalf("delete = %v %v, want true", deleted, err)
	}
	deleted, err = c.Delete(ctx, col, "d")
	if err != nil || deleted {
		t.Fatalf("second delete = %v %v, want false and no error (idempotent)", deleted, err)
	}
	ok, etag, err = c.Exists(ctx, col, "d")
	if err != nil || ok || etag != "" {
		t.Fatalf("Exists after delete = %v %q %v", ok, etag, err)
	}
	if _, err := c.DeleteIfMatch(ctx, col, "d", newer.Etag); !smarterbase.IsNotFound(err) {
		t.Fatalf("etag delete of a missing document: want NOT_FOUND, got %v", err)
	}
}

func TestLiveGetMissingIsNotFound(t *testing.T) {
	c := liveClient(t)
	col := collection(t)
	_, err := c.Get(ctx, col, "nope")
	var e *smarterbase.Error
	if !errors.As(err, &e) || !smarterbase.IsNotFound(err) || e.Reason != smarterbase.ReasonDocumentNotFound {
		t.Fatalf("want NOT_FOUND/DOCUMENT_NOT_FOUND, got %v", err)
	}
	if e.Domain != smarterbase.ErrorDomain || e.Metadata["collection"] != col || e.Metadata["id"] != "nope" {
		t.Fatalf("error info %+v", e)
	}
}

func TestLiveInvalidIDAndCollection(t *testing.T) {
	c := liveClient(t)
	col := collection(t)
	_, err := c.Put(ctx, col, "a/b", map[string]any{"v": 1})
	var e *smarterbase.Error
	if !errors.As(err, &e) || e.Code != codes.InvalidArgument || e.Reason != smarterbase.ReasonInvalidID {
		t.Fatalf("want INVALID_ARGUMENT/INVALID_ID, got %v", err)
	}
	if len(e.FieldViolations) == 0 || e.FieldViolations[0].Field == "" {
		t.Fatalf("INVALID_ID must carry a BadRequest field violation: %+v", e)
	}
	if _, err := c.Get(ctx, col, ".."); smarterbase.ReasonOf(err) != smarterbase.ReasonInvalidID {
		t.Fatalf("id \"..\": want INVALID_ID, got %v", err)
	}
	if _, err := c.Get(ctx, "bad collection!", "x"); smarterbase.ReasonOf(err) != smarterbase.ReasonInvalidCollection {
		t.Fatalf("bad collection: want INVALID_COLLECTION, got %v", err)
	}
}

func TestLiveUpdateUnderConcurrency(t *testing.T) {
	c := liveClient(t)
	col := collection(t)
	if _, err := c.Put(ctx, col, "counter", map[string]any{"n": 0}); err != nil {
		t.Fatal(err)
	}
	const workers, each = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	start := make(chan struct{})
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for range each {
				_, err := c.Update(ctx, col, "counter", func(d map[string]any) (map[string]any, error) {
					d["n"] = d["n"].(float64) + 1
					return d, nil
				})
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("update failed: %v", err)
	}
	got, err := c.Get(ctx, col, "counter")
	if err != nil {
		t.Fatal(err)
	}
	if got.Data["n"] != float64(workers*each) || got.Version != workers*each+1 {
		t.Fatalf("counter = %v at version %d, want %d at version %d", got.Data["n"], got.Version, workers*each, workers*each+1)
	}
	if _, err := c.Update(ctx, col, "absent", func(d map[string]any) (map[string]any, error) { return d, nil }); !smarterbase.IsNotFound(err) {
		t.Fatalf("Update of a missing document: want NOT_FOUND, got %v", err)
	}
}
