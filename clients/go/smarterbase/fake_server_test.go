package smarterbase

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"

	pb "github.com/smarterbase/smarterbase/clients/go/gen/smarterbase/v1"
)

// fakeServer is an in-process DocumentService whose Get and BatchGet answer
// from scripts, counting the calls they receive.
type fakeServer struct {
	pb.UnimplementedDocumentServiceServer
	getCalls   atomic.Int32
	batchCalls atomic.Int32
	// getScript answers Get call number n (1-based); nil → a document.
	getScript func(ctx context.Context, n int32) error
	// putIfMatchScript answers PutIfMatch call number n; nil → success.
	putIfMatchScript func(n int32, req *pb.PutIfMatchRequest) error
	putCalls         atomic.Int32
	// batchScript answers BatchGet call number n; it may send messages.
	batchScript func(n int32, req *pb.BatchGetRequest, s grpc.ServerStreamingServer[pb.BatchGetResponse]) error
	// commitScript answers Commit call number n.
	commitScript func(n int32, req *pb.CommitRequest) (*pb.CommitResponse, error)
	commitCalls  atomic.Int32
}

func (f *fakeServer) Get(ctx context.Context, req *pb.GetRequest) (*pb.GetResponse, error) {
	n := f.getCalls.Add(1)
	if f.getScript != nil {
		if err := f.getScript(ctx, n); err != nil {
			return nil, err
		}
	}
	data, _ := structpb.NewStruct(map[string]any{"n": float64(n)})
	return &pb.GetResponse{Document: &pb.Document{Collection: req.GetCollection(), Id: req.GetId(), Data: data, Etag: "e1", Version: 1}}, nil
}

func (f *fakeServer) PutIfMatch(_ context.Context, req *pb.PutIfMatchRequest) (*pb.PutIfMatchResponse, error) {
	n := f.putCalls.Add(1)
	if err := f.putIfMatchScript(n, req); err != nil {
		return nil, err
	}
	return &pb.PutIfMatchResponse{Document: &pb.Document{Collection: req.GetCollection(), Id: req.GetId(), Data: req.GetData(), Etag: "e2", Version: 2}}, nil
}

func (f *fakeServer) BatchGet(req *pb.BatchGetRequest, s grpc.ServerStreamingServer[pb.BatchGetResponse]) error {
	n := f.batchCalls.Add(1)
	return f.batchScript(n, req, s)
}

func (f *fakeServer) Commit(_ context.Context, req *pb.CommitRequest) (*pb.CommitResponse, error) {
	n := f.commitCalls.Add(1)
	return f.commitScript(n, req)
}

// startFake serves f on 127.0.0.1:0 and returns a Client dialled to it.
func startFake(t *testing.T, f *fakeServer, opts ...Option) *Client {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	pb.RegisterDocumentServiceServer(srv, f)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	c, err := Dial(context.Background(), lis.Addr().String(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// fastRetry is a retry policy with tiny delays for tests.
var fastRetry = WithRetryPolicy(RetryPolicy{MaxAttempts: 4, InitialBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond})

// sbStatus builds a status error the way the server does: ErrorInfo in the
// smarterbase.v1 domain plus optional extra details.
func sbStatus(t *testing.T, code codes.Code, reason Reason, md map[string]string, extra ...protoadapt.MessageV1) error {
	t.Helper()
	details := append([]protoadapt.MessageV1{&errdetails.ErrorInfo{Reason: string(reason), Domain: ErrorDomain, Metadata: md}}, extra...)
	st, err := status.New(code, "scripted "+string(reason)).WithDetails(details...)
	if err != nil {
		t.Fatal(err)
	}
	return st.Err()
}

func retryInfo(d time.Duration) *errdetails.RetryInfo {
	return &errdetails.RetryInfo{RetryDelay: durationpb.New(d)}
}
