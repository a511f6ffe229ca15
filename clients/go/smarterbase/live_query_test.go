package smarterbase_test

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/smarterbase/smarterbase/clients/go/smarterbase"
)

// queryClient is liveClient for tests of QueryService / AdminService,
// after checking that the server answers QueryService at all.
func queryClient(t *testing.T) *smarterbase.Client {
	t.Helper()
	c := liveClient(t)
	_, err := c.Count(ctx, collection(t)+"_probe", smarterbase.CountOptions{})
	if err != nil {
		t.Fatalf("QueryService probe: %v", err)
	}
	return c
}

// tenDocs creates an ordered index on n and documents n = 1..10 in a new collection.
func tenDocs(t *testing.T, c *smarterbase.Client) string {
	t.Helper()
	col := collection(t)
	if _, err := c.CreateIndex(ctx, smarterbase.IndexDefinition{Collection: col, Name: "by_n", Fields: []string{"n"}, Kind: smarterbase.IndexOrdered}); err != nil {
		t.Fatal(err)
	}
	if i, err := c.WaitForIndexReady(ctx, col, "by_n", 50*time.Millisecond); err != nil || i.State != smarterbase.IndexReady {
		t.Fatalf("index not ready: %+v %v", i, err)
	}
	for n := 1; n <= 10; n++ {
		parity := "odd"
		if n%2 == 0 {
			parity = "even"
		}
		if _, err := c.Put(ctx, col, fmt.Sprintf("d%02d", n), map[string]any{"n": n, "parity": parity}); err != nil {
			t.Fatal(err)
		}
	}
	return col
}

func ns(t *testing.T, q *smarterbase.Query) []float64 {
	t.Helper()
	docs, err := q.Collect()
	if err != nil {
		t.Fatal(err)
	}
	out := []float64{}
	for _, d := range docs {
		out = append(out, d.Data["n"].(float64))
	}
	return out
}

func TestLiveQueryOrderOffsetLimitAndResume(t *testing.T) {
	c := queryClient(t)
	col := tenDocs(t, c)
	q := c.Query(ctx, col, smarterbase.QueryOptions{OrderBy: []smarterbase.OrderBy{smarterbase.Asc("n")}, Offset: 3, Limit: 3})
	if got := ns(t, q); !reflect.DeepEqual(got, []float64{4, 5, 6}) || !q.Done() {
		t.Fatalf("order by n offset 3 limit 3 = %v (done %v), want [4 5 6]", got, q.Done())
	}
	first := c.Query(ctx, col, smarterbase.QueryOptions{OrderBy: []smarterbase.OrderBy{smarterbase.Asc("n")}})
	token := ""
	for d, err := range first.All() {
		if err != nil {
			t.Fatal(err)
		}
		if d.Data["n"].(float64) == 5 {
			token = first.ResumeToken()
			break
		}
	}
	next := c.Query(ctx, col, smarterbase.QueryOptions{OrderBy: []smarterbase.OrderBy{smarterbase.Asc("n")}, StartAfter: token, Limit: 2})
	if got := ns(t, next); !reflect.DeepEqual(got, []float64{6, 7}) {
		t.Fatalf("resumed after n=5: %v, want [6 7]", got)
	}
}

func TestLiveQueryFilters(t *testing.T) {
	c := queryClient(t)
	col := tenDocs(t, c)
	byN := []smarterbase.OrderBy{smarterbase.Asc("n")}
	if got := ns(t, c.Query(ctx, col, smarterbase.QueryOptions{FilterExpression: "n >= 8", OrderBy: byN})); !reflect.DeepEqual(got, []float64{8, 9, 10}) {
		t.Fatalf("n >= 8: %v", got)
	}
	expr := `parity = "even" AND n < 5`
	if got := ns(t, c.Query(ctx, col, smarterbase.QueryOptions{FilterExpression: expr, OrderBy: []smarterbase.OrderBy{smarterbase.Desc("n")}})); !reflect.DeepEqual(got, []float64{4, 2}) {
		t.Fatalf("%s: %v", expr, got)
	}
	typed := smarterbase.And(smarterbase.Gte("n", 2), smarterbase.Lt("n", 4))
	if got := ns(t, c.Query(ctx, col, smarterbase.QueryOptions{Filter: typed, OrderBy: byN})); !reflect.DeepEqual(got, []float64{2, 3}) {
		t.Fatalf("typed 2 <= n < 4: %v", got)
	}
}

func TestLiveCountAndExplain(t *testing.T) {
	c := queryClient(t)
	col := tenDocs(t, c)
	if r, err := c.Count(ctx, col, smarterbase.CountOptions{FilterExpression: "n > 5"}); err != nil || r.Count != 5 {
		t.Fatalf("count n > 5: %+v %v", r, err)
	}
	if r, err := c.Count(ctx, col, smarterbase.CountOptions{}); err != nil || r.Count != 10 {
		t.Fatalf("count all: %+v %v", r, err)
	}
	p, err := c.Explain(ctx, col, smarterbase.QueryOptions{Filter: smarterbase.Gte("n", 7), OrderBy: []smarterbase.OrderBy{smarterbase.Asc("n")}, Limit: 2})
	if err != nil || p.Scan || len(p.IndexesUsed) == 0 || p.IndexesUsed[0] != "by_n" {
		t.Fatalf("explain: %+v %v", p, err)
	}
}

func TestLiveQueryErrors(t *testing.T) {
	c := queryClient(t)
	col := tenDocs(t, c)
	_, err := c.Query(ctx, col, smarterbase.QueryOptions{FilterExpression: "n >"}).Collect()
	var e *smarterbase.Error
	if smarterbase.CodeOf(err) != codes.InvalidArgument || smarterbase.ReasonOf(err) != smarterbase.ReasonInvalidFilter {
		t.Fatalf("bad expression: %v", err)
	}
	if !errors.As(err, &e) || !regexp.MustCompile(`^\d+$`).MatchString(e.Metadata["position"]) {
		t.Fatalf("bad expression without a position: %v", err)
	}
	_, err = c.Query(ctx, col, smarterbase.QueryOptions{Filter: smarterbase.Eq("parity", "odd"), RequireIndex: true}).Collect()
	if smarterbase.CodeOf(err) != codes.FailedPrecondition || smarterbase.ReasonOf(err) != smarterbase.ReasonIndexRequired {
		t.Fatalf("require_index: %v", err)
	}
}

func TestLiveIndexAdmin(t *testing.T) {
	c := queryClient(t)
	col := collection(t)
	if _, err := c.CreateIndex(ctx, smarterbase.IndexDefinition{Collection: col, Name: "by_s", Fields: []string{"s"}, Kind: smarterbase.IndexEquality}); err != nil {
		t.Fatal(err)
	}
	list, err := c.ListIndexes(ctx, col)
	if err != nil || len(list) != 1 || list[0].Name != "by_s" || list[0].Kind != smarterbase.IndexEquality {
		t.Fatalf("list: %+v %v", list, err)
	}
	if err := c.DropIndex(ctx, col, "by_s"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetIndex(ctx, col, "by_s"); smarterbase.ReasonOf(err) != smarterbase.ReasonIndexNotFound || !smarterbase.IsCode(err, codes.NotFound) || smarterbase.IsNotFound(err) {
		t.Fatalf("get after drop: %v", err)
	}
}
