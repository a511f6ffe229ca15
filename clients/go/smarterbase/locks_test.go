package smarterbase

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/smarterbase/smarterbase/clients/go/gen/smarterbase/v1"
)

// fakeLocks is an in-process LockService + DocumentService: Hold grants token
// 7 on any name but "busy" (LOCK_HELD) and "lossy" (LOCK_NOT_HELD after the
// grant); it records the requests and when each Hold's context ended (the
// real server releases then).
type fakeLocks struct {
	pb.UnimplementedLockServiceServer
	t        *testing.T
	mu       sync.Mutex
	holds    []*pb.HoldRequest
	released chan string
	acquires []*pb.AcquireRequest
	guards   []*pb.LockGuard
}

func (f *fakeLocks) Hold(req *pb.HoldRequest, s grpc.ServerStreamingServer[pb.HoldResponse]) error {
	f.mu.Lock()
	f.holds = append(f.holds, req)
	f.mu.Unlock()
	if req.GetName() == "busy" {
		return sbStatus(f.t, codes.Aborted, ReasonLockHeld, map[string]string{"name": "busy"}, retryInfo(1500*time.Millisecond))
	}
	if err := s.Send(&pb.HoldResponse{FencingToken: 7, ExpireTime: timestamppb.New(time.UnixMilli(1_700_000_000_000))}); err != nil {
		return err
	}
	if req.GetName() == "lossy" {
		time.Sleep(20 * time.Millisecond)
		return sbStatus(f.t, codes.FailedPrecondition, ReasonLockNotHeld, map[string]string{"name": "lossy"})
	}
	for i := 0; ; i++ {
		select {
		case <-s.Context().Done():
			f.released <- req.GetName()
			return s.Context().Err()
		case <-time.After(10 * time.Millisecond):
			if err := s.Send(&pb.HoldResponse{FencingToken: 7, ExpireTime: timestamppb.New(time.UnixMilli(1_700_000_000_000 + int64(i)))}); err != nil {
				return err
			}
		}
	}
}

func (f *fakeLocks) Acquire(_ context.Context, req *pb.AcquireRequest) (*pb.AcquireResponse, error) {
	f.mu.Lock()
	f.acquires = append(f.acquires, req)
	f.mu.Unlock()
	if req.GetName() == "busy" {
		return nil, sbStatus(f.t, codes.Aborted, ReasonLockHeld, map[string]string{"name": "busy"}, retryInfo(1500*time.Millisecond))
	}
	return &pb.AcquireResponse{LeaseId: "L1", FencingToken: 1 << 62, ExpireTime: timestamppb.New(time.UnixMilli(1_700_000_000_250))}, nil
}

// fakeGuardDocs is the DocumentService half of the fake: it records the lock guards of writes.
type fakeGuardDocs struct {
	pb.UnimplementedDocumentServiceServer
	f *fakeLocks
}

func (d fakeGuardDocs) Put(_ context.Context, req *pb.PutRequest) (*pb.PutResponse, error) {
	d.f.record(req.GetLockGuard())
	return &pb.PutResponse{Document: &pb.Document{Collection: req.GetCollection(), Id: req.GetId(), Data: req.GetData(), Etag: "e1", Version: 1}}, nil
}

func (d fakeGuardDocs) PutIfMatch(_ context.Context, req *pb.PutIfMatchRequest) (*pb.PutIfMatchResponse, error) {
	d.f.record(req.GetLockGuard())
	return &pb.PutIfMatchResponse{Document: &pb.Document{Collection: req.GetCollection(), Id: req.GetId(), Data: req.GetData(), Etag: "e2", Version: 2}}, nil
}

func (d fakeGuardDocs) Delete(_ context.Context, req *pb.DeleteRequest) (*pb.DeleteResponse, error) {
	d.f.record(req.GetLockGuard())
	return &pb.DeleteResponse{Deleted: true}, nil
}

func (f *fakeLocks) record(g *pb.LockGuard) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.guards = append(f.guards, g)
}

func startFakeLocks(t *testing.T) (*Client, *fakeLocks) {
	t.Helper()
	f := &fakeLocks{t: t, released: make(chan string, 8)}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	pb.RegisterLockServiceServer(srv, f)
	pb.RegisterDocumentServiceServer(srv, fakeGuardDocs{f: f})
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	c, err := Dial(context.Background(), lis.Addr().String(), WithCallTimeout(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c, f
}

func waitReleased(t *testing.T, f *fakeLocks, name string) {
	t.Helper()
	select {
	case got := <-f.released:
		if got != name {
			t.Fatalf("released %q, want %q", got, name)
		}
	case <-time.After(3 * time.Second):
		t.Fatalf("the server never saw the Hold of %q end", name)
	}
}

func TestWithLockRunsFnThenReleasesAndOutlivesTheCallTimeout(t *testing.T) {
	c, f := startFakeLocks(t)
	var got *HeldLock
	err := c.WithLock(context.Background(), "jobs", func(ctx context.Context, lock *HeldLock) error {
		got = lock
		// Longer than the client's 50 ms call timeout: a hold must not be cut by it.
		time.Sleep(120 * time.Millisecond)
		return ctx.Err()
	}, WithTTL(3*time.Second), WithHolder("w1"))
	if err != nil {
		t.Fatal(err)
	}
	if got.FencingToken != 7 || got.Guard() != (LockGuard{Name: "jobs", FencingToken: 7}) {
		t.Fatalf("lock = %+v", got)
	}
	waitReleased(t, f, "jobs")
	f.mu.Lock()
	defer f.mu.Unlock()
	if h := f.holds[0]; h.GetName() != "jobs" || h.GetHolder() != "w1" || h.GetTtl().AsDuration() != 3*time.Second || h.GetWaitTimeout() != nil {
		t.Fatalf("hold request = %v", h)
	}
}

func TestWithLockReleasesWhenFnFailsOrPanics(t *testing.T) {
	c, f := startFakeLocks(t)
	boom := errors.New("fn failed")
	if err := c.WithLock(context.Background(), "a", func(context.Context, *HeldLock) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want fn's error", err)
	}
	waitReleased(t, f, "a")
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("the panic was swallowed")
			}
		}()
		_ = c.WithLock(context.Background(), "b", func(context.Context, *HeldLock) error { panic("kaboom") })
	}()
	waitReleased(t, f, "b")
}

func TestWithLockBusyNeverRunsFn(t *testing.T) {
	c, _ := startFakeLocks(t)
	ran := false
	err := c.WithLock(context.Background(), "busy", func(context.Context, *HeldLock) error { ran = true; return nil })
	if !IsLockHeld(err) || ran || CodeOf(err) != codes.Aborted {
		t.Fatalf("err = %v, ran = %v", err, ran)
	}
	var e *Error
	if !errors.As(err, &e) || e.RetryDelay != 1500*time.Millisecond {
		t.Fatalf("retry delay of %v", err)
	}
}

func TestWithLockCancelsFnWhenTheLeaseIsLost(t *testing.T) {
	c, _ := startFakeLocks(t)
	err := c.WithLock(context.Background(), "lossy", func(ctx context.Context, lock *HeldLock) error {
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-time.After(3 * time.Second):
			return errors.New("fn was not cancelled")
		}
	})
	if !errors.Is(err, ErrLockLost) || !IsLockNotHeld(err) {
		t.Fatalf("err = %v, want ErrLockLost wrapping LOCK_NOT_HELD", err)
	}
}

func TestAcquireAndGuardsConvert(t *testing.T) {
	c, f := startFakeLocks(t)
	lease, err := c.Acquire(context.Background(), "jobs", WithTTL(1500*time.Millisecond), WithWait(250*time.Millisecond), WithHolder("me"))
	if err != nil {
		t.Fatal(err)
	}
	if lease.LeaseID != "L1" || lease.FencingToken != 1<<62 || !lease.ExpireTime.Equal(time.UnixMilli(1_700_000_000_250)) {
		t.Fatalf("lease = %+v", lease)
	}
	a := f.acquires[0]
	if a.GetTtl().AsDuration() != 1500*time.Millisecond || a.GetWaitTimeout().AsDuration() != 250*time.Millisecond || a.GetHolder() != "me" {
		t.Fatalf("acquire request = %v", a)
	}
	if _, err := c.Acquire(context.Background(), "busy"); !IsLockHeld(err) {
		t.Fatalf("busy acquire: %v", err)
	}
	if f.acquires[1].GetTtl().AsDuration() != 10*time.Second || f.acquires[1].GetWaitTimeout() != nil {
		t.Fatalf("default acquire request = %v", f.acquires[1])
	}
	ctx := context.Background()
	g := lease.Guard()
	if _, err := c.Put(ctx, "c", "a", map[string]any{"n": 1}, PutLockGuarded(g)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutIfMatch(ctx, "c", "a", map[string]any{"n": 2}, "e1", LockGuarded(LockGuard{Name: "x", FencingToken: 3})); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Put(ctx, "c", "b", map[string]any{"n": 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Delete(ctx, "c", "a", LockGuarded(LockGuard{Name: "y", FencingToken: 4})); err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name  string
		token int64
		set   bool
	}{{"jobs", 1 << 62, true}, {"x", 3, true}, {"", 0, false}, {"y", 4, true}}
	for i, w := range want {
		gg := f.guards[i]
		if (gg != nil) != w.set || gg.GetName() != w.name || gg.GetFencingToken() != w.token {
			t.Fatalf("guard %d = %v, want %+v", i, gg, w)
		}
	}
}
