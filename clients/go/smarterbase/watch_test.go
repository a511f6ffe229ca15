package smarterbase

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/smarterbase/smarterbase/clients/go/gen/smarterbase/v1"
)

// watchStep is one scripted step of a fake Watch call: send msg, fail with
// err, end the stream (end), or wait for drop and then close every TCP
// connection of the server, as a crashing server does.
type watchStep struct {
	msg  *pb.WatchResponse
	err  error
	end  bool
	drop <-chan struct{}
}

// trackingListener remembers the connections it accepted so that a test
// can cut them.
type trackingListener struct {
	net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func (l *trackingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.mu.Lock()
		l.conns = append(l.conns, c)
		l.mu.Unlock()
	}
	return c, err
}

func (l *trackingListener) closeAll() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range l.conns {
		_ = c.Close()
	}
	l.conns = nil
}

// fakeWatch is a StreamService whose call n (0-based) plays scripts[n];
// after its last step a call stays open until the client cancels it.
type fakeWatch struct {
	pb.UnimplementedStreamServiceServer
	lis       *trackingListener
	mu        sync.Mutex
	scripts   [][]watchStep
	reqs      []*pb.WatchRequest
	cancelled int
}

func (f *fakeWatch) Watch(req *pb.WatchRequest, s grpc.ServerStreamingServer[pb.WatchResponse]) error {
	f.mu.Lock()
	n := len(f.reqs)
	f.reqs = append(f.reqs, req)
	var script []watchStep
	if n < len(f.scripts) {
		script = f.scripts[n]
	}
	f.mu.Unlock()
	for _, st := range script {
		switch {
		case st.err != nil:
			return st.err
		case st.end:
			return nil
		case st.drop != nil:
			<-st.drop
			f.lis.closeAll()
			<-s.Context().Done()
			return s.Context().Err()
		default:
			if err := s.Send(st.msg); err != nil {
				return err
			}
		}
	}
	<-s.Context().Done()
	f.mu.Lock()
	f.cancelled++
	f.mu.Unlock()
	return s.Context().Err()
}

func (f *fakeWatch) afterRevisions() []int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []int64
	for _, r := range f.reqs {
		out = append(out, r.GetAfterRevision())
	}
	return out
}

// startWatchFake serves the scripts on 127.0.0.1:0 and returns a client
// without its own UNAVAILABLE retry, so that every resume is the watch's.
func startWatchFake(t *testing.T, scripts ...[]watchStep) (*Client, *fakeWatch) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeWatch{lis: &trackingListener{Listener: l}, scripts: scripts}
	srv := grpc.NewServer()
	pb.RegisterStreamServiceServer(srv, f)
	go func() { _ = srv.Serve(f.lis) }()
	t.Cleanup(srv.Stop)
	c, err := Dial(context.Background(), l.Addr().String(), WithRetryPolicy(RetryPolicy{MaxAttempts: 1}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c, f
}

func change(rev int64) watchStep {
	data, _ := structpb.NewStruct(map[string]any{"n": float64(rev)})
	id := fmt.Sprintf("d%d", rev)
	ev := &pb.ChangeEvent{Type: pb.ChangeType_CHANGE_TYPE_PUT, Id: id, Revision: rev, Document: &pb.Document{Collection: "c", Id: id, Data: data, Version: 1}}
	return watchStep{msg: &pb.WatchResponse{Revision: rev, Kind: &pb.WatchResponse_Changes{Changes: &pb.ChangeBatch{Events: []*pb.ChangeEvent{ev}}}}}
}

func progressAt(rev int64) watchStep {
	return watchStep{msg: &pb.WatchResponse{Revision: rev, Kind: &pb.WatchResponse_Progress{Progress: &pb.WatchProgress{}}}}
}

var fastWatchBackoff = RetryPolicy{InitialBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond}

// takeBatches iterates w until n batches arrived (then leaves the loop) or
// it fails; onBatch runs on each batch.
func takeBatches(t *testing.T, w *Watch, n int, onBatch func(*WatchBatch)) ([]*WatchBatch, error) {
	t.Helper()
	var got []*WatchBatch
	for b, err := range w.All() {
		if err != nil {
			return got, err
		}
		got = append(got, b)
		if onBatch != nil {
			onBatch(b)
		}
		if len(got) == n {
			break
		}
	}
	return got, nil
}

func revs(bs []*WatchBatch) []int64 {
	var out []int64
	for _, b := range bs {
		out = append(out, b.Revision)
	}
	return out
}

func sameInts(a, b []int64) bool { return fmt.Sprint(a) == fmt.Sprint(b) }

func TestWatchResumesAfterConnectionDropWithoutDuplicates(t *testing.T) {
	got7 := make(chan struct{})
	c, f := startWatchFake(t,
		[]watchStep{change(5), change(7), {drop: got7}},
		[]watchStep{change(7), change(6), change(9)}, // the resumed call resends old revisions first
	)
	w := c.Watch(context.Background(), "c", WatchOptions{Backoff: fastWatchBackoff})
	got, err := takeBatches(t, w, 3, func(b *WatchBatch) {
		if b.Revision == 7 {
			close(got7)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if !sameInts(revs(got), []int64{5, 7, 9}) {
		t.Fatalf("revisions %v, want [5 7 9]", revs(got))
	}
	if a := f.afterRevisions(); !sameInts(a, []int64{0, 7}) {
		t.Fatalf("after_revision of the calls %v, want [0 7]", a)
	}
	if w.LastRevision() != 9 || w.Resumes() < 1 {
		t.Fatalf("LastRevision %d Resumes %d", w.LastRevision(), w.Resumes())
	}
}

func TestWatchResumesFromProgressAndAfterStreamEnd(t *testing.T) {
	c, f := startWatchFake(t,
		[]watchStep{change(3), progressAt(10), {err: sbStatus(t, codes.Unavailable, ReasonShuttingDown, nil)}},
		[]watchStep{progressAt(10), change(12), {end: true}},
		[]watchStep{change(13)},
	)
	got, err := takeBatches(t, c.Watch(context.Background(), "c", WatchOptions{AfterRevision: 2, Backoff: fastWatchBackoff}), 4, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !sameInts(revs(got), []int64{3, 10, 12, 13}) || !got[1].Progress || got[0].Progress || len(got[1].Changes) != 0 {
		t.Fatalf("batches %v (progress flags wrong?)", revs(got))
	}
	if a := f.afterRevisions(); !sameInts(a, []int64{2, 10, 12}) {
		t.Fatalf("after_revision of the calls %v, want [2 10 12]", a)
	}
}

func TestWatchYieldsProgressAtStartRevisionOnceWithoutRepeats(t *testing.T) {
	c, _ := startWatchFake(t,
		[]watchStep{progressAt(19), progressAt(19), change(20), progressAt(20), progressAt(20), progressAt(19), change(21)},
	)
	got, err := takeBatches(t, c.Watch(context.Background(), "c", WatchOptions{AfterRevision: 19, Backoff: fastWatchBackoff}), 4, nil)
	if err != nil {
		t.Fatal(err)
	}
	var shape []string
	for _, b := range got {
		shape = append(shape, fmt.Sprintf("%d/%v", b.Revision, b.Progress))
	}
	if fmt.Sprint(shape) != "[19/true 20/false 20/true 21/false]" {
		t.Fatalf("batches %v, want [19/true 20/false 20/true 21/false]", shape)
	}
}

func TestWatchTooSlowWaitsForRetryInfoAndBackoffResets(t *testing.T) {
	var delays []time.Duration
	c, f := startWatchFake(t,
		[]watchStep{change(1), {err: sbStatus(t, codes.ResourceExhausted, ReasonWatchTooSlow, map[string]string{"limit": "10"}, retryInfo(40*time.Millisecond))}},
		[]watchStep{{err: sbStatus(t, codes.Unavailable, ReasonShuttingDown, nil)}},
		[]watchStep{change(2)},
	)
	opts := WatchOptions{Backoff: fastWatchBackoff, OnResume: func(_ int, _ error, d time.Duration) { delays = append(delays, d) }}
	got, err := takeBatches(t, c.Watch(context.Background(), "c", opts), 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !sameInts(revs(got), []int64{1, 2}) || !sameInts(f.afterRevisions(), []int64{0, 1, 1}) {
		t.Fatalf("revisions %v, calls %v", revs(got), f.afterRevisions())
	}
	if len(delays) != 2 || delays[0] < 40*time.Millisecond || delays[1] > 5*time.Millisecond {
		t.Fatalf("delays %v: want the RetryInfo 40ms first, then a fresh backoff <= 5ms", delays)
	}
}

// A Redis feed settling after a loss answers UNAVAILABLE FEED_RECOVERING: the
// watch waits for its RetryInfo and calls again from the same revision.
func TestWatchRetriesFeedRecoveringFromTheSameRevision(t *testing.T) {
	var delays []time.Duration
	c, f := startWatchFake(t,
		[]watchStep{{err: sbStatus(t, codes.Unavailable, ReasonFeedRecovering, map[string]string{"collection": "c"}, retryInfo(40*time.Millisecond))}},
		[]watchStep{change(8)},
	)
	opts := WatchOptions{AfterRevision: 7, Backoff: fastWatchBackoff, OnResume: func(_ int, _ error, d time.Duration) { delays = append(delays, d) }}
	got, err := takeBatches(t, c.Watch(context.Background(), "c", opts), 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !sameInts(revs(got), []int64{8}) || !sameInts(f.afterRevisions(), []int64{7, 7}) {
		t.Fatalf("revisions %v, calls %v", revs(got), f.afterRevisions())
	}
	if len(delays) != 1 || delays[0] < 40*time.Millisecond {
		t.Fatalf("delays %v: want the RetryInfo 40ms", delays)
	}
}

func TestWatchRevisionCompactedIsTypedAndFinal(t *testing.T) {
	md := map[string]string{"collection": "c", "requestedRevision": "3", "oldestRevision": "9007199254740993", "currentRevision": "9007199254741000"}
	c, f := startWatchFake(t, []watchStep{{err: sbStatus(t, codes.OutOfRange, ReasonRevisionCompacted, md)}})
	_, err := takeBatches(t, c.Watch(context.Background(), "c", WatchOptions{AfterRevision: 3, Backoff: fastWatchBackoff}), 1, nil)
	if !errors.Is(err, ErrRevisionCompacted) || !IsRevisionCompacted(err) {
		t.Fatalf("err %v: want ErrRevisionCompacted", err)
	}
	var rc *RevisionCompactedError
	if !errors.As(err, &rc) || rc.RequestedRevision != 3 || rc.OldestRevision != 9007199254740993 || rc.CurrentRevision != 9007199254741000 {
		t.Fatalf("typed error %+v", rc)
	}
	var e *Error
	if !errors.As(err, &e) || e.Code != codes.OutOfRange {
		t.Fatalf("errors.As *Error: %v", err)
	}
	if len(f.afterRevisions()) != 1 {
		t.Fatalf("%d calls: a compacted revision must not be retried", len(f.afterRevisions()))
	}
}

func TestWatchStopsOnNonRetryableErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		code   codes.Code
		reason Reason
	}{
		{"invalid argument", codes.InvalidArgument, ReasonInvalidArgument},
		{"resource exhausted, not too slow", codes.ResourceExhausted, ReasonServerOverloaded},
		{"internal with a reason", codes.Internal, ReasonInternalError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, f := startWatchFake(t, []watchStep{change(4), {err: sbStatus(t, tc.code, tc.reason, nil)}}, []watchStep{change(5)})
			got, err := takeBatches(t, c.Watch(context.Background(), "c", WatchOptions{Backoff: fastWatchBackoff}), 5, nil)
			if CodeOf(err) != tc.code || ReasonOf(err) != tc.reason {
				t.Fatalf("err %v, want %v %s", err, tc.code, tc.reason)
			}
			if !sameInts(revs(got), []int64{4}) || len(f.afterRevisions()) != 1 {
				t.Fatalf("batches %v, calls %v", revs(got), f.afterRevisions())
			}
		})
	}
}

func TestWatchCancellation(t *testing.T) {
	c, f := startWatchFake(t, []watchStep{change(1)}, []watchStep{change(1)})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got, err := takeBatches(t, c.Watch(ctx, "c", WatchOptions{Backoff: fastWatchBackoff}), 0, func(*WatchBatch) { cancel() })
	if len(got) != 1 || !errors.Is(err, context.Canceled) || CodeOf(err) != codes.Canceled {
		t.Fatalf("got %d batches, err %v: want 1 and CANCELLED", len(got), err)
	}
	if _, err := takeBatches(t, c.Watch(context.Background(), "c", WatchOptions{}), 1, nil); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		f.mu.Lock()
		n := f.cancelled
		f.mu.Unlock()
		if n == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server saw %d cancelled calls, want 2", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestWatchSendsFiltersAndConvertsTransactions(t *testing.T) {
	data, _ := structpb.NewStruct(map[string]any{"k": 1.0})
	tx := &pb.WatchResponse{Revision: 20, Kind: &pb.WatchResponse_Changes{Changes: &pb.ChangeBatch{
		TransactionId: "tx1",
		CommitTime:    timestamppb.New(time.Unix(1_700_000_000, 0)),
		Events: []*pb.ChangeEvent{
			{Type: pb.ChangeType_CHANGE_TYPE_DELETE, Id: "a", Revision: 20, PreviousRevision: 11},
			{Type: pb.ChangeType_CHANGE_TYPE_PUT, Id: "b", Revision: 21, Document: &pb.Document{Id: "b", Data: data, Version: 2}},
		},
	}}}
	c, f := startWatchFake(t, []watchStep{{msg: tx}})
	opts := WatchOptions{IDs: []string{"a", "b"}, ProgressInterval: 250 * time.Millisecond, AfterRevision: 19}
	got, err := takeBatches(t, c.Watch(context.Background(), "c", opts), 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := f.reqs[0]
	if r.GetCollection() != "c" || fmt.Sprint(r.GetIds()) != "[a b]" || r.GetAfterRevision() != 19 || r.GetProgressInterval().AsDuration() != 250*time.Millisecond {
		t.Fatalf("request %v", r)
	}
	b := got[0]
	if b.TransactionID != "tx1" || !b.CommitTime.Equal(time.Unix(1_700_000_000, 0)) || len(b.Changes) != 2 {
		t.Fatalf("batch %+v", b)
	}
	d, p := b.Changes[0], b.Changes[1]
	if d.Type != ChangeDelete || d.ID != "a" || d.Document != nil || d.PreviousRevision != 11 {
		t.Fatalf("delete %+v", d)
	}
	if p.Type != ChangePut || p.Revision != 21 || p.Document == nil || p.Document.Data["k"] != 1.0 {
		t.Fatalf("put %+v", p)
	}
}
