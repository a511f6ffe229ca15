package smarterbase

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"reflect"
	"sync"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"

	pb "github.com/smarterbase/smarterbase/clients/go/gen/smarterbase/v1"
)

// fakeQueryServer is an in-process QueryService + AdminService recording requests.
type fakeQueryServer struct {
	pb.UnimplementedQueryServiceServer
	pb.UnimplementedAdminServiceServer
	t        *testing.T
	mu       sync.Mutex
	requests []*pb.QueryRequest
	// cancelled is closed when an "endless" query's context ends.
	cancelled chan struct{}
	polls     int
}

func (f *fakeQueryServer) Query(req *pb.QueryRequest, s grpc.ServerStreamingServer[pb.QueryResponse]) error {
	f.mu.Lock()
	f.requests = append(f.requests, req)
	f.mu.Unlock()
	if req.GetFilterExpression() == "n >" {
		return sbStatus(f.t, codes.InvalidArgument, ReasonInvalidFilter, map[string]string{"position": "3"},
			&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{{Field: "filter_expression", Description: "expected a value"}}})
	}
	n := 3
	if req.GetCollection() == "endless" {
		n = 1 << 30
	}
	for i := 1; i <= n; i++ {
		data, _ := structpb.NewStruct(map[string]any{"n": float64(i)})
		msg := &pb.QueryResponse{Document: &pb.Document{Collection: req.GetCollection(), Id: fmt.Sprintf("d%d", i), Data: data}, ResumeToken: fmt.Sprintf("t%d", i), SkippedResults: int64(i - 1)}
		if err := s.Send(msg); err != nil {
			return err
		}
		if req.GetCollection() == "endless" {
			select {
			case <-s.Context().Done():
				close(f.cancelled)
				return s.Context().Err()
			case <-time.After(2 * time.Millisecond):
			}
		}
	}
	return s.Send(&pb.QueryResponse{Done: true, ResumeToken: "t3", SkippedResults: 7})
}

func (f *fakeQueryServer) Count(_ context.Context, req *pb.CountRequest) (*pb.CountResponse, error) {
	if req.GetRequireIndex() {
		return nil, sbStatus(f.t, codes.FailedPrecondition, ReasonIndexRequired, map[string]string{"collection": req.GetCollection()})
	}
	return &pb.CountResponse{Count: 42, StorageRequests: 0}, nil
}

func (f *fakeQueryServer) Explain(_ context.Context, req *pb.ExplainRequest) (*pb.ExplainResponse, error) {
	return &pb.ExplainResponse{Plan: &pb.QueryPlan{IndexesUsed: []string{"by_n"}, CandidateCount: 9, StorageRequests: 9, SortedByIndex: true, Description: req.GetFilterExpression()}}, nil
}

func (f *fakeQueryServer) CreateIndex(_ context.Context, req *pb.CreateIndexRequest) (*pb.CreateIndexResponse, error) {
	i := req.GetIndex()
	state := pb.IndexState_INDEX_STATE_BUILDING
	if i.GetName() == "bad" {
		state = pb.IndexState_INDEX_STATE_FAILED
	}
	return &pb.CreateIndexResponse{Index: &pb.Index{Collection: i.GetCollection(), Name: i.GetName(), Fields: i.GetFields(), Kind: i.GetKind(), State: state, HashValues: i.GetHashValues()}}, nil
}

func (f *fakeQueryServer) GetIndex(_ context.Context, req *pb.GetIndexRequest) (*pb.GetIndexResponse, error) {
	switch req.GetName() {
	case "missing":
		return nil, sbStatus(f.t, codes.NotFound, ReasonIndexNotFound, map[string]string{"index": "missing"})
	case "never":
		return &pb.GetIndexResponse{Index: &pb.Index{Name: "never", Kind: pb.IndexKind_INDEX_KIND_ORDERED, State: pb.IndexState_INDEX_STATE_BUILDING}}, nil
	case "bad":
		return &pb.GetIndexResponse{Index: &pb.Index{Name: "bad", Kind: pb.IndexKind_INDEX_KIND_UNIQUE, State: pb.IndexState_INDEX_STATE_FAILED, Error: "duplicate values"}}, nil
	}
	f.mu.Lock()
	f.polls++
	state := pb.IndexState_INDEX_STATE_BUILDING
	if f.polls >= 3 {
		state = pb.IndexState_INDEX_STATE_READY
	}
	f.mu.Unlock()
	return &pb.GetIndexResponse{Index: &pb.Index{Collection: req.GetCollection(), Name: req.GetName(), Fields: []string{"n"}, Kind: pb.IndexKind_INDEX_KIND_ORDERED, State: state, DocumentsScanned: 10}}, nil
}

func (f *fakeQueryServer) ListIndexes(_ context.Context, req *pb.ListIndexesRequest) (*pb.ListIndexesResponse, error) {
	return &pb.ListIndexesResponse{Indexes: []*pb.Index{
		{Collection: req.GetCollection(), Name: "a", Fields: []string{"x", "y"}, Kind: pb.IndexKind_INDEX_KIND_EQUALITY, State: pb.IndexState_INDEX_STATE_READY},
	}}, nil
}

func (f *fakeQueryServer) DropIndex(context.Context, *pb.DropIndexRequest) (*pb.DropIndexResponse, error) {
	return &pb.DropIndexResponse{}, nil
}

func startQueryFake(t *testing.T) (*fakeQueryServer, *Client) {
	t.Helper()
	f := &fakeQueryServer{t: t, cancelled: make(chan struct{})}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	pb.RegisterQueryServiceServer(srv, f)
	pb.RegisterAdminServiceServer(srv, f)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	c, err := Dial(context.Background(), lis.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return f, c
}

func TestFilterBuildersProduceTheProtoTree(t *testing.T) {
	f := And(Eq("status", "active"), Gte("age", 21), Or(In("role", "a", 1), Not(Exists("deleted"))), NotIn("tags", []string{"x"}))
	p, err := f.Proto()
	if err != nil {
		t.Fatal(err)
	}
	got, _ := protojson.Marshal(p)
	want := `{"compositeFilter":{"op":"OPERATOR_AND","filters":[` +
		`{"fieldFilter":{"field":"status","op":"OPERATOR_EQ","value":"active"}},` +
		`{"fieldFilter":{"field":"age","op":"OPERATOR_GTE","value":21}},` +
		`{"compositeFilter":{"op":"OPERATOR_OR","filters":[{"fieldFilter":{"field":"role","op":"OPERATOR_IN","value":["a",1]}},` +
		`{"notFilter":{"filter":{"fieldFilter":{"field":"deleted","op":"OPERATOR_EXISTS","value":true}}}}]}},` +
		`{"fieldFilter":{"field":"tags","op":"OPERATOR_NOT_IN","value":[["x"]]}}]}}`
	var a, b any
	_ = json.Unmarshal(got, &a)
	_ = json.Unmarshal([]byte(want), &b)
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("filter\n got %s\nwant %s", got, want)
	}
	for name, tc := range map[string]struct {
		f  Filter
		op pb.FieldFilter_Operator
	}{
		"ne": {Ne("a", 1), pb.FieldFilter_OPERATOR_NE}, "lt": {Lt("a", 1), pb.FieldFilter_OPERATOR_LT}, "lte": {Lte("a", "b"), pb.FieldFilter_OPERATOR_LTE},
		"gt": {Gt("a", 2), pb.FieldFilter_OPERATOR_GT}, "contains": {Contains("s", "x"), pb.FieldFilter_OPERATOR_CONTAINS},
		"array_contains": {ArrayContains("t", map[string]any{"k": 1}), pb.FieldFilter_OPERATOR_ARRAY_CONTAINS},
		"starts_with":    {StartsWith("s", "p"), pb.FieldFilter_OPERATOR_STARTS_WITH}, "missing": {Missing("e"), pb.FieldFilter_OPERATOR_EXISTS},
	} {
		p, err := tc.f.Proto()
		if err != nil || p.GetFieldFilter().GetOp() != tc.op {
			t.Errorf("%s: op %v err %v", name, p.GetFieldFilter().GetOp(), err)
		}
	}
	if p, _ := Missing("e").Proto(); p.GetFieldFilter().GetValue().GetBoolValue() {
		t.Error("Missing must send exists=false")
	}
	// A value JSON cannot encode is reported by the query call, not lost.
	if _, err := And(Eq("a", 1), Eq("b", make(chan int))).Proto(); err == nil {
		t.Error("an unencodable value must surface as an error")
	}
	if !(Filter{}).IsZero() || Eq("a", 1).IsZero() {
		t.Error("IsZero")
	}
}

func TestQueryStreamsDocumentsAndSendsEveryOption(t *testing.T) {
	f, c := startQueryFake(t)
	q := c.Query(context.Background(), "c", QueryOptions{
		Filter: Eq("s", "a"), OrderBy: []OrderBy{Asc("n"), Desc("m")}, Limit: 3, Offset: 2, StartAfter: "tok", Projection: []string{"n"}, RequireIndex: true,
	})
	var ns []float64
	for d, err := range q.All() {
		if err != nil {
			t.Fatal(err)
		}
		ns = append(ns, d.Data["n"].(float64))
		if q.ResumeToken() != fmt.Sprintf("t%d", len(ns)) {
			t.Errorf("resume token %q while at %s", q.ResumeToken(), d.ID)
		}
	}
	if !reflect.DeepEqual(ns, []float64{1, 2, 3}) || !q.Done() || q.SkippedResults() != 7 || q.ResumeToken() != "t3" {
		t.Fatalf("got %v done=%v skipped=%d token=%q", ns, q.Done(), q.SkippedResults(), q.ResumeToken())
	}
	r := f.requests[0]
	if r.GetCollection() != "c" || r.GetLimit() != 3 || r.GetOffset() != 2 || r.GetStartAfter() != "tok" || !r.GetRequireIndex() ||
		!reflect.DeepEqual(r.GetProjection().GetFieldPaths(), []string{"n"}) || r.GetFilter().GetFieldFilter().GetField() != "s" ||
		r.GetOrderBy()[0].GetDirection() != pb.Direction_DIRECTION_ASCENDING || r.GetOrderBy()[1].GetDirection() != pb.Direction_DIRECTION_DESCENDING {
		t.Fatalf("request %v", r)
	}
	if _, err := q.Collect(); err == nil {
		t.Error("a second iteration must fail")
	}
}

func TestQueryErrorsAndEarlyBreak(t *testing.T) {
	f, c := startQueryFake(t)
	_, err := c.Query(context.Background(), "c", QueryOptions{FilterExpression: "n >"}).Collect()
	var e *Error
	if !errors.As(err, &e) || e.Code != codes.InvalidArgument || e.Reason != ReasonInvalidFilter || e.Metadata["position"] != "3" || e.FieldViolations[0].Field != "filter_expression" {
		t.Fatalf("err %v", err)
	}
	_, err = c.Query(context.Background(), "c", QueryOptions{Filter: Eq("x", make(chan int))}).Collect()
	if err == nil || len(f.requests) != 1 {
		t.Fatalf("an unencodable filter must fail before any call: %v", err)
	}
	n := 0
	for _, err := range c.Query(context.Background(), "endless", QueryOptions{}).All() {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 5 {
			break
		}
	}
	select {
	case <-f.cancelled:
	case <-time.After(3 * time.Second):
		t.Fatal("breaking out of the loop did not cancel the server stream")
	}
	if _, err := c.Count(context.Background(), "c", CountOptions{RequireIndex: true}); ReasonOf(err) != ReasonIndexRequired || CodeOf(err) != codes.FailedPrecondition {
		t.Fatalf("count err %v", err)
	}
}

func TestCountExplainAndAdmin(t *testing.T) {
	_, c := startQueryFake(t)
	ctx := context.Background()
	if r, err := c.Count(ctx, "c", CountOptions{FilterExpression: "n > 1"}); err != nil || r != (CountResult{Count: 42}) {
		t.Fatalf("count %v %v", r, err)
	}
	p, err := c.Explain(ctx, "c", QueryOptions{FilterExpression: "n > 1", OrderBy: []OrderBy{Asc("n")}})
	if err != nil || !reflect.DeepEqual(p, &QueryPlan{IndexesUsed: []string{"by_n"}, CandidateCount: 9, StorageRequests: 9, SortedByIndex: true, Description: "n > 1"}) {
		t.Fatalf("explain %+v %v", p, err)
	}
	i, err := c.CreateIndex(ctx, IndexDefinition{Collection: "c", Name: "by_n", Fields: []string{"n"}, Kind: IndexOrdered})
	if err != nil || i.State != IndexBuilding || i.Kind != IndexOrdered || i.Name != "by_n" {
		t.Fatalf("create %+v %v", i, err)
	}
	if h, err := c.CreateIndex(ctx, IndexDefinition{Collection: "c", Name: "by_e", Fields: []string{"e"}, Kind: IndexUnique, HashValues: true}); err != nil || !h.HashValues || i.HashValues {
		t.Fatalf("hash_values must travel both ways: %+v %v (plain: %v)", h, err, i.HashValues)
	}
	if _, err := c.CreateIndex(ctx, IndexDefinition{Collection: "c", Name: "x", Fields: []string{"n"}, Kind: "bogus"}); err == nil {
		t.Error("a bogus kind must fail")
	}
	ready, err := c.WaitForIndexReady(ctx, "c", "by_n", time.Millisecond)
	if err != nil || ready.State != IndexReady || ready.DocumentsScanned != 10 {
		t.Fatalf("wait %+v %v", ready, err)
	}
	var be *IndexBuildError
	if _, err := c.WaitForIndexReady(ctx, "c", "bad", time.Millisecond); !errors.As(err, &be) || be.Index.Error != "duplicate values" {
		t.Fatalf("wait on a failed index: %v", err)
	}
	short, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
	defer cancel()
	started := time.Now()
	if _, err := c.WaitForIndexReady(short, "c", "never", 5*time.Millisecond); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("wait past the deadline: %v", err)
	}
	if time.Since(started) > 2*time.Second {
		t.Fatal("WaitForIndexReady did not stop at the deadline")
	}
	if _, err := c.GetIndex(ctx, "c", "missing"); ReasonOf(err) != ReasonIndexNotFound || !IsCode(err, codes.NotFound) || IsNotFound(err) {
		t.Fatalf("get missing: %v", err)
	}
	list, err := c.ListIndexes(ctx, "c")
	if err != nil || len(list) != 1 || list[0].Kind != IndexEquality || !reflect.DeepEqual(list[0].Fields, []string{"x", "y"}) {
		t.Fatalf("list %+v %v", list, err)
	}
	if err := c.DropIndex(ctx, "c", "a"); err != nil {
		t.Fatal(err)
	}
}
