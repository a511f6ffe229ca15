package smarterbase

import (
	"context"
	"fmt"
	"net"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/smarterbase/smarterbase/clients/go/gen/smarterbase/v1"
)

// expiryFake is a DocumentService that records the Expiration of every
// write it receives ("<op> <kind>"), answering each with a bare document.
type expiryFake struct {
	pb.UnimplementedDocumentServiceServer
	mu   sync.Mutex
	seen []string
}

func (f *expiryFake) record(op string, e *pb.Expiration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seen = append(f.seen, op+" "+expirationShape(e))
}

// expirationShape renders an Expiration as "none", "ttl=1.5s", "at=<unix ms>" or "never=true".
func expirationShape(e *pb.Expiration) string {
	switch x := e.GetExpiration().(type) {
	case nil:
		return "none"
	case *pb.Expiration_Ttl:
		return "ttl=" + x.Ttl.AsDuration().String()
	case *pb.Expiration_ExpireTime:
		return fmt.Sprintf("at=%d", x.ExpireTime.AsTime().UnixMilli())
	case *pb.Expiration_Never:
		return fmt.Sprintf("never=%v", x.Never)
	}
	return "?"
}

func bareDoc(id string) *pb.Document {
	return &pb.Document{Collection: "c", Id: id, Etag: "e1", Version: 1, Data: &structpb.Struct{}}
}

func (f *expiryFake) Put(_ context.Context, r *pb.PutRequest) (*pb.PutResponse, error) {
	f.record("put", r.GetExpiration())
	return &pb.PutResponse{Document: bareDoc(r.GetId())}, nil
}

func (f *expiryFake) PutIfMatch(_ context.Context, r *pb.PutIfMatchRequest) (*pb.PutIfMatchResponse, error) {
	f.record("putIfMatch", r.GetExpiration())
	return &pb.PutIfMatchResponse{Document: bareDoc(r.GetId())}, nil
}

func (f *expiryFake) Create(_ context.Context, r *pb.CreateRequest) (*pb.CreateResponse, error) {
	f.record("create", r.GetExpiration())
	return &pb.CreateResponse{Document: bareDoc(r.GetId())}, nil
}

func (f *expiryFake) Get(_ context.Context, r *pb.GetRequest) (*pb.GetResponse, error) {
	d := bareDoc(r.GetId())
	d.ExpireTime = timestamppb.New(time.UnixMilli(1_900_000_000_123))
	return &pb.GetResponse{Document: d}, nil
}

func (f *expiryFake) BatchWrite(_ context.Context, r *pb.BatchWriteRequest) (*pb.BatchWriteResponse, error) {
	res := &pb.BatchWriteResponse{}
	for _, w := range r.GetWrites() {
		f.record("batchPut", w.GetPut().GetExpiration())
		res.Results = append(res.Results, &pb.BatchWriteResult{Id: w.GetPut().GetId(), Document: bareDoc(w.GetPut().GetId())})
	}
	return res, nil
}

func (f *expiryFake) Commit(_ context.Context, r *pb.CommitRequest) (*pb.CommitResponse, error) {
	for _, w := range r.GetWrites() {
		f.record("set", w.GetSet().GetExpiration())
	}
	return &pb.CommitResponse{TransactionId: "t", CommitTime: timestamppb.Now()}, nil
}

func startExpiryFake(t *testing.T) (*expiryFake, *Client) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &expiryFake{}
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

func TestExpiryOptionsReachEveryWriteRequest(t *testing.T) {
	f, c := startExpiryFake(t)
	ctx := context.Background()
	at := time.UnixMilli(1_900_000_000_500)
	data := map[string]any{"v": 1.0}
	steps := []func() error{
		func() error {
			_, err := c.Put(ctx, "c", "a", data, PutExpiry(ExpireAfter(1500*time.Millisecond)))
			return err
		},
		func() error { _, err := c.Put(ctx, "c", "a", data); return err },
		func() error { _, err := c.PutIfMatch(ctx, "c", "a", data, "e1", WriteExpiry(ExpireAt(at))); return err },
		func() error { _, err := c.Create(ctx, "c", "b", data, CreateExpiry(NeverExpire())); return err },
		func() error { _, err := c.Create(ctx, "c", "b", data); return err },
		func() error {
			_, err := c.Update(ctx, "c", "a", func(d map[string]any) (map[string]any, error) { return d, nil }, WriteExpiry(ExpireAfter(3*time.Second)))
			return err
		},
		func() error {
			_, err := c.BatchWrite(ctx, "c", []BatchItem{PutItem("a", data, ItemExpiry(ExpireAfter(4*time.Second))), PutItem("b", data)})
			return err
		},
		func() error {
			_, err := c.Transaction().SetExpiring("c", "a", data, NeverExpire()).Set("c", "b", data, IfExists()).Commit(ctx)
			return err
		},
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	want := []string{
		"put ttl=1.5s", "put none", fmt.Sprintf("putIfMatch at=%d", at.UnixMilli()), "create never=true", "create none",
		"putIfMatch ttl=3s", "batchPut ttl=4s", "batchPut none", "set never=true", "set none",
	}
	if !reflect.DeepEqual(f.seen, want) {
		t.Fatalf("requests\n got %v\nwant %v", f.seen, want)
	}
}

func TestExpiryOnADeleteIsRefusedBeforeTheServer(t *testing.T) {
	f, c := startExpiryFake(t)
	if _, err := c.Delete(context.Background(), "c", "a", WriteExpiry(NeverExpire())); err == nil || !strings.Contains(err.Error(), "WriteExpiry") {
		t.Fatalf("delete with an expiry: %v", err)
	}
	if _, err := DeleteItem("a", ItemExpiry(NeverExpire())).toProto(); err == nil {
		t.Fatal("a delete item with an expiry was accepted")
	}
	if len(f.seen) != 0 {
		t.Fatalf("the server saw %v", f.seen)
	}
}

func TestDocumentExpireTimeAndExpireChanges(t *testing.T) {
	_, c := startExpiryFake(t)
	got, err := c.Get(context.Background(), "c", "a")
	if err != nil || got.ExpireTime.UnixMilli() != 1_900_000_000_123 {
		t.Fatalf("get: %v, expire time %v", err, got.ExpireTime)
	}
	if d := fromProto(bareDoc("x")); !d.ExpireTime.IsZero() {
		t.Fatalf("a document without expire_time has ExpireTime %v", d.ExpireTime)
	}
	b := fromProtoWatch(&pb.WatchResponse{Revision: 7, Kind: &pb.WatchResponse_Changes{Changes: &pb.ChangeBatch{Events: []*pb.ChangeEvent{
		{Type: pb.ChangeType_CHANGE_TYPE_PUT, Id: "a", Revision: 7, Document: bareDoc("a")},
		{Type: pb.ChangeType_CHANGE_TYPE_EXPIRE, Id: "b", Revision: 8},
		{Type: pb.ChangeType_CHANGE_TYPE_DELETE, Id: "c", Revision: 9},
		{Type: pb.ChangeType(99), Id: "d", Revision: 10},
	}}}})
	var shape []string
	for _, ch := range b.Changes {
		shape = append(shape, fmt.Sprintf("%s %s %v", ch.Type, ch.ID, ch.Document != nil))
	}
	if want := []string{"PUT a true", "EXPIRE b false", "DELETE c false", "UNKNOWN d false"}; !reflect.DeepEqual(shape, want) {
		t.Fatalf("changes %v, want %v", shape, want)
	}
}
