package smarterbase

import (
	"context"
	"errors"
	"net"
	"reflect"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"
	"google.golang.org/protobuf/types/known/structpb"

	pb "github.com/smarterbase/smarterbase/clients/go/gen/smarterbase/v1"
)

// itemStatus builds a per-item google.rpc.Status the way the server does.
func itemStatus(t *testing.T, code codes.Code, reason Reason, md map[string]string, extra ...protoadapt.MessageV1) *spb.Status {
	t.Helper()
	details := append([]protoadapt.MessageV1{&errdetails.ErrorInfo{Reason: string(reason), Domain: ErrorDomain, Metadata: md}}, extra...)
	st, err := status.New(code, "item "+string(reason)).WithDetails(details...)
	if err != nil {
		t.Fatal(err)
	}
	return st.Proto()
}

func TestErrorFromStatusDecodesErrorInfo(t *testing.T) {
	if ErrorFromStatus(nil) != nil || ErrorFromStatus(&spb.Status{Code: 0}) != nil {
		t.Fatal("nil / OK status must decode to nil")
	}
	err := ErrorFromStatus(itemStatus(t, codes.Aborted, ReasonEtagMismatch, map[string]string{"currentEtag": "e2", "expectedEtag": "e1"}, retryInfo(250*time.Millisecond)))
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("got %T, want *Error", err)
	}
	if e.Code != codes.Aborted || e.Reason != ReasonEtagMismatch || e.Domain != ErrorDomain || e.RetryDelay != 250*time.Millisecond {
		t.Fatalf("decoded %+v", e)
	}
	if !reflect.DeepEqual(e.Metadata, map[string]string{"currentEtag": "e2", "expectedEtag": "e1"}) {
		t.Fatalf("metadata %v", e.Metadata)
	}
	if !IsEtagMismatch(err) || IsAlreadyExists(err) || status.Code(err) != codes.Aborted {
		t.Fatal("helpers disagree with the decoded error")
	}
	bare := ErrorFromStatus(&spb.Status{Code: int32(codes.Internal), Message: "boom"})
	if CodeOf(bare) != codes.Internal || ReasonOf(bare) != "" {
		t.Fatalf("bare status decoded to %v", bare)
	}
}

func TestBatchItemBuilders(t *testing.T) {
	p, err := PutItem("a", map[string]any{"x": 1.0}, ItemCreateOnly()).toProto()
	if err != nil {
		t.Fatal(err)
	}
	if put := p.GetPut(); put.GetId() != "a" || !put.GetCreateOnly() || put.GetEtag() != "" || put.GetData().AsMap()["x"] != 1.0 {
		t.Fatalf("put item %v", p)
	}
	p, _ = PutItem("a", map[string]any{}, ItemIfMatch("e1")).toProto()
	if p.GetPut().GetEtag() != "e1" || p.GetPut().GetCreateOnly() {
		t.Fatalf("cas put item %v", p)
	}
	d, err := DeleteItem("b", ItemIfMatch("e9")).toProto()
	if err != nil || d.GetDelete().GetId() != "b" || d.GetDelete().GetEtag() != "e9" {
		t.Fatalf("delete item %v %v", d, err)
	}
	if _, err := PutItem("a", map[string]any{}, ItemCreateOnly(), ItemIfMatch("e")).toProto(); err == nil {
		t.Fatal("createOnly + etag must be refused")
	}
	if _, err := DeleteItem("a", ItemCreateOnly()).toProto(); err == nil {
		t.Fatal("createOnly on a delete must be refused")
	}
	if _, err := PutItem("a", nil).toProto(); err == nil {
		t.Fatal("nil data must be refused")
	}
	if !DeleteItem("z").IsDelete() || PutItem("z", map[string]any{}).IsDelete() || DeleteItem("z").ID() != "z" {
		t.Fatal("accessors")
	}
}

// batchFake answers the batch RPCs from scripts.
type batchFake struct {
	pb.UnimplementedDocumentServiceServer
	t         *testing.T
	lastWrite *pb.BatchWriteRequest
	lastDel   *pb.BatchDeleteRequest
}

func (f *batchFake) BatchWrite(_ context.Context, req *pb.BatchWriteRequest) (*pb.BatchWriteResponse, error) {
	f.lastWrite = req
	data, _ := structpb.NewStruct(map[string]any{"x": 1.0})
	return &pb.BatchWriteResponse{Results: []*pb.BatchWriteResult{
		{Id: "a", Status: &spb.Status{}, Document: &pb.Document{Collection: req.GetCollection(), Id: "a", Data: data, Etag: "ea", Version: 1}},
		{Id: "b", Status: itemStatus(f.t, codes.AlreadyExists, ReasonDocumentAlreadyExists, map[string]string{"id": "b"})},
		{Id: "c", Status: &spb.Status{}, Deleted: true},
	}}, nil
}

func (f *batchFake) BatchExists(_ context.Context, req *pb.BatchExistsRequest) (*pb.BatchExistsResponse, error) {
	res := &pb.BatchExistsResponse{}
	for _, id := range req.GetIds() {
		if id == "missing" {
			res.Results = append(res.Results, &pb.BatchExistsResult{Id: id})
		} else {
			res.Results = append(res.Results, &pb.BatchExistsResult{Id: id, Exists: true, Etag: "e-" + id})
		}
	}
	return res, nil
}

func (f *batchFake) BatchDelete(_ context.Context, req *pb.BatchDeleteRequest) (*pb.BatchDeleteResponse, error) {
	f.lastDel = req
	return &pb.BatchDeleteResponse{Results: []*pb.BatchWriteResult{
		{Id: "a", Status: &spb.Status{}, Deleted: true},
		{Id: "b", Status: itemStatus(f.t, codes.Aborted, ReasonEtagMismatch, map[string]string{"currentEtag": "now"})},
	}}, nil
}

func startBatchFake(t *testing.T) (*batchFake, *Client) {
	t.Helper()
	f := &batchFake{t: t}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	pb.RegisterDocumentServiceServer(srv, f)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	c, err := Dial(context.Background(), lis.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return f, c
}

func TestBatchCallsAgainstFake(t *testing.T) {
	f, c := startBatchFake(t)
	ctx := context.Background()

	res, err := c.BatchWrite(ctx, "col", []BatchItem{PutItem("a", map[string]any{"x": 1}), PutItem("b", map[string]any{}, ItemCreateOnly()), DeleteItem("c")})
	if err != nil {
		t.Fatal(err)
	}
	w := f.lastWrite.GetWrites()
	if len(w) != 3 || w[0].GetPut().GetId() != "a" || !w[1].GetPut().GetCreateOnly() || w[2].GetDelete().GetId() != "c" {
		t.Fatalf("sent %v", w)
	}
	if len(res) != 3 || !res[0].OK() || res[1].OK() || !res[2].OK() {
		t.Fatalf("results %+v", res)
	}
	if res[0].Document == nil || res[0].Document.Etag != "ea" || res[0].Document.Data["x"] != 1.0 {
		t.Fatalf("put result %+v", res[0].Document)
	}
	if !IsAlreadyExists(res[1].Err) || ReasonOf(res[1].Err) != ReasonDocumentAlreadyExists || res[1].Document != nil {
		t.Fatalf("conflict result %+v", res[1])
	}
	if !res[2].Deleted {
		t.Fatal("delete result must carry deleted")
	}

	ex, err := c.BatchExists(ctx, "col", []string{"x", "missing", "y"})
	if err != nil {
		t.Fatal(err)
	}
	want := []ExistsResult{{"x", true, "e-x"}, {"missing", false, ""}, {"y", true, "e-y"}}
	if !reflect.DeepEqual(ex, want) {
		t.Fatalf("exists %+v", ex)
	}

	del, err := c.BatchDelete(ctx, "col", []BatchItem{DeleteItem("a"), DeleteItem("b", ItemIfMatch("old"))})
	if err != nil {
		t.Fatal(err)
	}
	if it := f.lastDel.GetItems(); len(it) != 2 || it[1].GetEtag() != "old" {
		t.Fatalf("sent %v", it)
	}
	var e *Error
	if !del[0].Deleted || !errors.As(del[1].Err, &e) || e.Reason != ReasonEtagMismatch || e.Metadata["currentEtag"] != "now" {
		t.Fatalf("delete results %+v", del)
	}
	if _, err := c.BatchDelete(ctx, "col", []BatchItem{PutItem("a", map[string]any{})}); err == nil {
		t.Fatal("BatchDelete must refuse put items")
	}
}
