package smarterbase

import (
	"context"
	"errors"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"

	pb "github.com/smarterbase/smarterbase/clients/go/gen/smarterbase/v1"
)

func TestBackoffGrowsCapsAndJitters(t *testing.T) {
	p := RetryPolicy{InitialBackoff: 100 * time.Millisecond, MaxBackoff: time.Second, Multiplier: 2, Jitter: 0.5}
	for retry, want := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 3: 400 * time.Millisecond, 4: 800 * time.Millisecond, 5: time.Second, 30: time.Second} {
		if got := p.Backoff(retry, 0); got != want {
			t.Errorf("Backoff(%d, 0) = %v, want %v", retry, got, want)
		}
		if got := p.Backoff(retry, 0.999999); got < want/2 || got >= want/2+want/1000 {
			t.Errorf("Backoff(%d, ~1) = %v, want just above %v", retry, got, want/2)
		}
	}
	noJitter := RetryPolicy{InitialBackoff: 10 * time.Millisecond, Jitter: -1}
	if got := noJitter.Backoff(1, 0.9); got != 10*time.Millisecond {
		t.Errorf("negative jitter must disable jitter, got %v", got)
	}
}

func TestShouldRetryOnlyUnavailableAndBounded(t *testing.T) {
	p := RetryPolicy{MaxAttempts: 3}
	unavailable := status.Error(codes.Unavailable, "x")
	if !p.ShouldRetry(unavailable, 1) || !p.ShouldRetry(unavailable, 2) || p.ShouldRetry(unavailable, 3) {
		t.Fatal("UNAVAILABLE must be retried while attempts remain, and only then")
	}
	for _, c := range []codes.Code{codes.Aborted, codes.DeadlineExceeded, codes.InvalidArgument, codes.FailedPrecondition, codes.NotFound, codes.Internal, codes.ResourceExhausted, codes.Canceled} {
		if p.ShouldRetry(status.Error(c, "x"), 1) {
			t.Errorf("%v must not be retried", c)
		}
	}
	if p.ShouldRetry(nil, 1) {
		t.Error("success must not be retried")
	}
}

func TestUnaryRetriesUnavailableThenSucceeds(t *testing.T) {
	f := &fakeServer{getScript: func(_ context.Context, n int32) error {
		if n <= 2 {
			return sbStatus(t, codes.Unavailable, ReasonBackendUnavailable, nil)
		}
		return nil
	}}
	c := startFake(t, f, fastRetry)
	doc, err := c.Get(context.Background(), "c", "x")
	if err != nil {
		t.Fatal(err)
	}
	if doc.Data["n"] != float64(3) || f.getCalls.Load() != 3 {
		t.Fatalf("got data %v after %d calls", doc.Data, f.getCalls.Load())
	}
}

func TestUnaryGivesUpAfterMaxAttempts(t *testing.T) {
	f := &fakeServer{getScript: func(context.Context, int32) error {
		return sbStatus(t, codes.Unavailable, ReasonShuttingDown, nil)
	}}
	c := startFake(t, f, fastRetry)
	_, err := c.Get(context.Background(), "c", "x")
	if !IsUnavailable(err) || ReasonOf(err) != ReasonShuttingDown {
		t.Fatalf("want UNAVAILABLE/SHUTTING_DOWN, got %v", err)
	}
	if f.getCalls.Load() != 4 {
		t.Fatalf("want 4 attempts, server saw %d", f.getCalls.Load())
	}
}

func TestNonRetryableCodesAreTriedOnce(t *testing.T) {
	for _, code := range []codes.Code{codes.Aborted, codes.DeadlineExceeded, codes.InvalidArgument, codes.FailedPrecondition, codes.ResourceExhausted} {
		f := &fakeServer{getScript: func(context.Context, int32) error { return status.Error(code, "no") }}
		c := startFake(t, f, fastRetry)
		_, err := c.Get(context.Background(), "c", "x")
		if CodeOf(err) != code || f.getCalls.Load() != 1 {
			t.Errorf("%v: got %v after %d calls, want one call", code, err, f.getCalls.Load())
		}
	}
}

func TestRetryHonoursRetryInfoAndDeadline(t *testing.T) {
	hint := 150 * time.Millisecond
	f := &fakeServer{getScript: func(_ context.Context, n int32) error {
		if n == 1 {
			return sbStatus(t, codes.Unavailable, ReasonBackendUnavailable, nil, retryInfo(hint))
		}
		return nil
	}}
	// The hint is honoured up to MaxBackoff (docs/clients.md), so this client's cap is above it.
	c := startFake(t, f, WithRetryPolicy(RetryPolicy{MaxAttempts: 4, InitialBackoff: time.Millisecond, MaxBackoff: time.Second}))
	start := time.Now()
	if _, err := c.Get(context.Background(), "c", "x"); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el < hint {
		t.Fatalf("retried after %v, before the server's RetryInfo delay %v", el, hint)
	}

	// When the hint outlasts the deadline the client gives up at once.
	f2 := &fakeServer{getScript: func(context.Context, int32) error {
		return sbStatus(t, codes.Unavailable, ReasonBackendUnavailable, nil, retryInfo(10*time.Second))
	}}
	c2 := startFake(t, f2, WithRetryPolicy(RetryPolicy{MaxAttempts: 4, InitialBackoff: time.Millisecond, MaxBackoff: 30 * time.Second}))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start = time.Now()
	_, err := c2.Get(ctx, "c", "x")
	if !IsUnavailable(err) || f2.getCalls.Load() != 1 || time.Since(start) > time.Second {
		t.Fatalf("got %v after %d calls in %v", err, f2.getCalls.Load(), time.Since(start))
	}
}

func TestCallTimeoutAppliesWhenContextHasNone(t *testing.T) {
	f := &fakeServer{getScript: func(ctx context.Context, _ int32) error {
		<-ctx.Done()
		return ctx.Err()
	}}
	c := startFake(t, f, fastRetry, WithCallTimeout(100*time.Millisecond))
	start := time.Now()
	_, err := c.Get(context.Background(), "c", "x")
	if CodeOf(err) != codes.DeadlineExceeded || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want DEADLINE_EXCEEDED, got %v", err)
	}
	if el := time.Since(start); el < 100*time.Millisecond || el > 2*time.Second {
		t.Fatalf("deadline hit after %v", el)
	}
	if f.getCalls.Load() != 1 {
		t.Fatalf("DEADLINE_EXCEEDED must not be retried; %d calls", f.getCalls.Load())
	}
}

func sendFound(s grpc.ServerStreamingServer[pb.BatchGetResponse], id string) error {
	data, _ := structpb.NewStruct(map[string]any{"id": id})
	return s.Send(&pb.BatchGetResponse{Id: id, Found: true, Document: &pb.Document{Id: id, Data: data}})
}

func TestStreamRetriesBeforeFirstMessage(t *testing.T) {
	f := &fakeServer{batchScript: func(n int32, req *pb.BatchGetRequest, s grpc.ServerStreamingServer[pb.BatchGetResponse]) error {
		if n <= 2 {
			return sbStatus(t, codes.Unavailable, ReasonBackendUnavailable, nil)
		}
		for _, id := range req.GetIds() {
			if err := sendFound(s, id); err != nil {
				return err
			}
		}
		return nil
	}}
	c := startFake(t, f, fastRetry)
	res, err := c.BatchGet(context.Background(), "c", []string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 || res[0].ID != "a" || res[1].ID != "b" || res[1].Document.Data["id"] != "b" || f.batchCalls.Load() != 3 {
		t.Fatalf("got %+v after %d calls", res, f.batchCalls.Load())
	}
}

func TestStreamDoesNotRetryAfterFirstMessage(t *testing.T) {
	f := &fakeServer{batchScript: func(_ int32, _ *pb.BatchGetRequest, s grpc.ServerStreamingServer[pb.BatchGetResponse]) error {
		if err := sendFound(s, "a"); err != nil {
			return err
		}
		return sbStatus(t, codes.Unavailable, ReasonBackendUnavailable, nil)
	}}
	c := startFake(t, f, fastRetry)
	_, err := c.BatchGet(context.Background(), "c", []string{"a", "b"})
	if !IsUnavailable(err) || f.batchCalls.Load() != 1 {
		t.Fatalf("got %v after %d calls; want UNAVAILABLE after one call", err, f.batchCalls.Load())
	}
}

func TestUnreachableServerIsRetriedThenUnavailable(t *testing.T) {
	// Nothing listens on port 1 of 127.0.0.1: every attempt is UNAVAILABLE.
	c, err := Dial(context.Background(), "127.0.0.1:1", WithRetryPolicy(RetryPolicy{MaxAttempts: 3, InitialBackoff: 20 * time.Millisecond, MaxBackoff: 20 * time.Millisecond, Jitter: -1}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	_, err = c.Get(context.Background(), "c", "x")
	if !IsUnavailable(err) {
		t.Fatalf("want UNAVAILABLE, got %v", err)
	}
	if el := time.Since(start); el < 40*time.Millisecond {
		t.Fatalf("3 attempts with 20ms pauses took only %v", el)
	}
}
