package smarterbase_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/smarterbase/smarterbase/clients/go/smarterbase"
)

// maxDepth is the server's documented nesting limit, the top-level object being level 1.
const maxDepth = 32

// nest returns an object nested levels deep, counting itself.
func nest(levels int) map[string]any {
	v := map[string]any{"leaf": true}
	for i := 1; i < levels; i++ {
		v = map[string]any{"v": v}
	}
	return v
}

func TestLiveDocumentAtMaxDepthReadsBack(t *testing.T) {
	c := liveClient(t)
	col := collection(t)
	data := nest(maxDepth)
	if _, err := c.Put(ctx, col, "max", data); err != nil {
		t.Fatal(err)
	}
	got, err := c.Get(ctx, col, "max")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Data, data) {
		t.Fatalf("Get returned %v", got.Data)
	}
	batch, err := c.BatchGet(ctx, col, []string{"max"})
	if err != nil || len(batch) != 1 || !batch[0].Found || !reflect.DeepEqual(batch[0].Document.Data, data) {
		t.Fatalf("BatchGet returned %+v, %v", batch, err)
	}
}

func TestLiveOneLevelDeeperIsDocumentTooDeep(t *testing.T) {
	c := liveClient(t)
	_, err := c.Put(ctx, collection(t), "deep", nest(maxDepth+1))
	if !smarterbase.IsInvalidArgument(err) || smarterbase.ReasonOf(err) != smarterbase.ReasonDocumentTooDeep {
		t.Fatalf("want INVALID_ARGUMENT / DOCUMENT_TOO_DEEP, got %v", err)
	}
	var se *smarterbase.Error
	if !errors.As(err, &se) || se.Metadata["maxDepth"] != "32" || se.Metadata["field"] != "data" {
		t.Fatalf("want metadata maxDepth=32 field=data, got %+v", se)
	}
}
