package smarterbase

import (
	"context"
	"errors"
	"regexp"
	"sync"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/smarterbase/smarterbase/clients/go/gen/smarterbase/v1"
)

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// commitRecorder is a commitScript that records every request and answers
// with answer(n, req), or a success echoing the writes when answer is nil.
type commitRecorder struct {
	mu     sync.Mutex
	reqs   []*pb.CommitRequest
	answer func(n int32, req *pb.CommitRequest) error
}

func (r *commitRecorder) script(n int32, req *pb.CommitRequest) (*pb.CommitResponse, error) {
	r.mu.Lock()
	r.reqs = append(r.reqs, proto.Clone(req).(*pb.CommitRequest))
	r.mu.Unlock()
	if r.answer != nil {
		if err := r.answer(n, req); err != nil {
			return nil, err
		}
	}
	res := &pb.CommitResponse{TransactionId: "tx-" + req.GetRequestId(), CommitTime: timestamppb.New(time.Unix(1700000000, 5).UTC())}
	for i, w := range req.GetWrites() {
		r := &pb.TransactionWriteResult{Collection: w.GetCollection(), Id: w.GetId()}
		if w.GetDelete() == nil {
			r.Etag, r.Version = "e"+string(rune('0'+i)), int64(i+1)
		}
		res.Results = append(res.Results, r)
	}
	return res, nil
}

func (r *commitRecorder) requests() []*pb.CommitRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*pb.CommitRequest(nil), r.reqs...)
}

func preconditionFailed(t *testing.T, subjects ...string) error {
	t.Helper()
	pf := &errdetails.PreconditionFailure{}
	for _, s := range subjects {
		pf.Violations = append(pf.Violations, &errdetails.PreconditionFailure_Violation{Type: ViolationEtag, Subject: s, Description: "acc/" + s + " has etag x, not y"})
	}
	return sbStatus(t, codes.Aborted, ReasonPreconditionFailed, nil, pf)
}

func TestCommitBuildsRequestAndMapsResponse(t *testing.T) {
	rec := &commitRecorder{}
	c := startFake(t, &fakeServer{commitScript: rec.script})
	res, err := c.Transaction().
		Set("acc", "a", map[string]any{"balance": 5}, IfEtag("etag-a")).
		Delete("acc", "b", IfExists()).
		Check("cfg", "k", IfNotExists()).
		Set("acc", "c", map[string]any{"x": []int{1, 2}}).
		Commit(context.Background(), WithRequestID("req-1"), WithLockGuard(LockGuard{Name: "L", FencingToken: 7}))
	if err != nil {
		t.Fatal(err)
	}
	reqs := rec.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	dataA, _ := structpb.NewStruct(map[string]any{"balance": 5})
	dataC, _ := structpb.NewStruct(map[string]any{"x": []any{1.0, 2.0}})
	want := &pb.CommitRequest{
		RequestId: "req-1",
		LockGuard: &pb.LockGuard{Name: "L", FencingToken: 7},
		Writes: []*pb.TransactionWrite{
			{Collection: "acc", Id: "a", Operation: &pb.TransactionWrite_Set{Set: &pb.SetOperation{Data: dataA}}, Precondition: &pb.Precondition{Condition: &pb.Precondition_Etag{Etag: "etag-a"}}},
			{Collection: "acc", Id: "b", Operation: &pb.TransactionWrite_Delete{Delete: &pb.DeleteOperation{}}, Precondition: &pb.Precondition{Condition: &pb.Precondition_Exists{Exists: true}}},
			{Collection: "cfg", Id: "k", Operation: &pb.TransactionWrite_Check{Check: &pb.CheckOperation{}}, Precondition: &pb.Precondition{Condition: &pb.Precondition_Exists{Exists: false}}},
			{Collection: "acc", Id: "c", Operation: &pb.TransactionWrite_Set{Set: &pb.SetOperation{Data: dataC}}},
		},
	}
	if !proto.Equal(reqs[0], want) {
		t.Fatalf("request\n got %v\nwant %v", reqs[0], want)
	}
	wantResults := []TransactionWriteResult{{"acc", "a", "e0", 1}, {"acc", "b", "", 0}, {"cfg", "k", "e2", 3}, {"acc", "c", "e3", 4}}
	if len(res.Results) != len(wantResults) {
		t.Fatalf("results %+v", res.Results)
	}
	for i := range wantResults {
		if res.Results[i] != wantResults[i] {
			t.Fatalf("result %d = %+v, want %+v", i, res.Results[i], wantResults[i])
		}
	}
	if res.TransactionID != "tx-req-1" || res.RequestID != "req-1" || !res.CommitTime.Equal(time.Unix(1700000000, 5)) {
		t.Fatalf("result %+v", res)
	}
}

func TestCommitGeneratesRequestIDAndRetriesUnavailableWithIt(t *testing.T) {
	rec := &commitRecorder{answer: func(n int32, _ *pb.CommitRequest) error {
		if n <= 2 {
			return sbStatus(t, codes.Unavailable, ReasonBackendUnavailable, nil)
		}
		return nil
	}}
	f := &fakeServer{commitScript: rec.script}
	c := startFake(t, f, fastRetry)
	tx := c.Transaction().Set("acc", "a", map[string]any{"v": 1})
	res, err := tx.Commit(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	reqs := rec.requests()
	if len(reqs) != 3 {
		t.Fatalf("%d attempts, want 3", len(reqs))
	}
	id := reqs[0].GetRequestId()
	if !uuidV4.MatchString(id) {
		t.Fatalf("generated request id %q is not a UUIDv4", id)
	}
	for i, r := range reqs {
		if r.GetRequestId() != id {
			t.Fatalf("attempt %d sent request id %q, first %q", i+1, r.GetRequestId(), id)
		}
	}
	if res.RequestID != id || res.TransactionID != "tx-"+id {
		t.Fatalf("result %+v", res)
	}
	// Committing the same Transaction again sends the same request id (the
	// server then returns the first outcome); a new Transaction gets a new one.
	if _, err := tx.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	if again := rec.requests()[3].GetRequestId(); again != id {
		t.Fatalf("second Commit of the same Transaction sent request id %q, first %q", again, id)
	}
	if _, err := c.Transaction().Set("acc", "a", map[string]any{"v": 1}).Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	if next := rec.requests()[4].GetRequestId(); next == id || !uuidV4.MatchString(next) {
		t.Fatalf("a new Transaction's request id %q (first %q)", next, id)
	}
}

func TestCommitPreconditionFailureIsInspectableAndNotRetried(t *testing.T) {
	rec := &commitRecorder{answer: func(int32, *pb.CommitRequest) error { return preconditionFailed(t, "writes[0]", "writes[2]") }}
	f := &fakeServer{commitScript: rec.script}
	c := startFake(t, f, fastRetry)
	_, err := c.Transaction().
		Set("acc", "a", map[string]any{"v": 1}, IfEtag("old")).
		Set("acc", "b", map[string]any{"v": 1}).
		Delete("acc", "c", IfEtag("old")).
		Commit(context.Background())
	var pe *Error
	if !errors.As(err, &pe) || !IsPreconditionFailed(err) || IsTransactionContention(err) || pe.Code != codes.Aborted {
		t.Fatalf("err = %v", err)
	}
	if f.commitCalls.Load() != 1 {
		t.Fatalf("ABORTED was retried: %d calls", f.commitCalls.Load())
	}
	if len(pe.PreconditionViolations) != 2 {
		t.Fatalf("violations %+v", pe.PreconditionViolations)
	}
	for i, want := range []int{0, 2} {
		v := pe.PreconditionViolations[i]
		if v.WriteIndex() != want || v.Type != ViolationEtag || v.Description == "" {
			t.Fatalf("violation %d = %+v (index %d)", i, v, v.WriteIndex())
		}
	}
}

func TestPreconditionViolationWriteIndex(t *testing.T) {
	for subject, want := range map[string]int{
		"writes[0]": 0, "writes[17]": 17, "writes[]": -1, "writes[-1]": -1, "writes[01]": -1,
		"writes[1].id": -1, "writes[x]": -1, "5]": -1, "writes[3": -1, "": -1,
	} {
		if got := (PreconditionViolation{Subject: subject}).WriteIndex(); got != want {
			t.Errorf("WriteIndex(%q) = %d, want %d", subject, got, want)
		}
	}
}

func TestTransactionBuilderErrorsStopBeforeTheServer(t *testing.T) {
	f := &fakeServer{commitScript: (&commitRecorder{}).script}
	c := startFake(t, f)
	cases := map[string]*Transaction{
		"two preconditions": c.Transaction().Set("a", "1", map[string]any{}, IfExists(), IfEtag("e")),
		"empty etag":        c.Transaction().Delete("a", "1", IfEtag("")),
		"zero precondition": c.Transaction().Check("a", "1", Precondition{}),
		"nil data":          c.Transaction().Set("a", "1", nil),
		"unencodable data":  c.Transaction().Set("a", "1", map[string]any{"f": func() {}}),
		"error then writes": c.Transaction().Set("a", "1", nil).Set("a", "2", map[string]any{"ok": true}),
	}
	for name, tx := range cases {
		if tx.Err() == nil {
			t.Errorf("%s: no builder error", name)
			continue
		}
		if _, err := tx.Commit(context.Background()); err == nil || !errors.Is(err, tx.Err()) {
			t.Errorf("%s: Commit err %v, builder err %v", name, err, tx.Err())
		}
	}
	if cases["error then writes"].Len() != 0 {
		t.Errorf("writes were added after a builder error")
	}
	if f.commitCalls.Load() != 0 {
		t.Fatalf("%d Commit calls reached the server", f.commitCalls.Load())
	}
}

func TestRunTransactionRerunsOnAborts(t *testing.T) {
	rec := &commitRecorder{answer: func(n int32, _ *pb.CommitRequest) error {
		switch n {
		case 1:
			return preconditionFailed(t, "writes[0]")
		case 2:
			return sbStatus(t, codes.Aborted, ReasonTransactionContention, nil, retryInfo(30*time.Millisecond))
		}
		return nil
	}}
	c := startFake(t, &fakeServer{commitScript: rec.script}, fastUpdate)
	runs := 0
	start := time.Now()
	res, err := c.RunTransaction(context.Background(), func(ctx context.Context, tx *Transaction) error {
		runs++
		tx.Set("acc", "a", map[string]any{"run": runs}, IfEtag("e"))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if runs != 3 || len(rec.requests()) != 3 {
		t.Fatalf("fn ran %d times, %d commits; want 3", runs, len(rec.requests()))
	}
	if time.Since(start) < 30*time.Millisecond {
		t.Fatalf("the contention RetryDelay (30ms) was not honoured: %v", time.Since(start))
	}
	ids := map[string]bool{}
	for i, r := range rec.requests() {
		ids[r.GetRequestId()] = true
		if got := r.GetWrites()[0].GetSet().GetData().AsMap()["run"]; got != float64(i+1) {
			t.Fatalf("commit %d carried run %v: fn's fresh writes were not used", i+1, got)
		}
	}
	if len(ids) != 3 {
		t.Fatalf("request ids were reused across rounds: %v", ids)
	}
	if res.TransactionID != "tx-"+rec.requests()[2].GetRequestId() {
		t.Fatalf("result %+v", res)
	}
}

func TestRunTransactionStopsOnOtherErrors(t *testing.T) {
	ctx := context.Background()
	invalid := &commitRecorder{answer: func(int32, *pb.CommitRequest) error {
		return sbStatus(t, codes.InvalidArgument, ReasonTransactionTooLarge, map[string]string{"limit": "100"})
	}}
	c := startFake(t, &fakeServer{commitScript: invalid.script}, fastUpdate)
	runs := 0
	_, err := c.RunTransaction(ctx, func(_ context.Context, tx *Transaction) error {
		runs++
		tx.Delete("a", "1")
		return nil
	})
	if ReasonOf(err) != ReasonTransactionTooLarge || runs != 1 {
		t.Fatalf("err %v after %d runs", err, runs)
	}

	boom := errors.New("boom")
	runs = 0
	if _, err := c.RunTransaction(ctx, func(context.Context, *Transaction) error { runs++; return boom }); err != boom || runs != 1 {
		t.Fatalf("fn error: %v after %d runs", err, runs)
	}
	before := len(invalid.requests())
	if res, err := c.RunTransaction(ctx, func(context.Context, *Transaction) error { return nil }); err != nil || res == nil || res.TransactionID != "" || len(invalid.requests()) != before {
		t.Fatalf("empty transaction: %+v, %v (%d commits sent)", res, err, len(invalid.requests())-before)
	}
}

func TestRunTransactionGivesUpWithTheLastAbort(t *testing.T) {
	rec := &commitRecorder{answer: func(int32, *pb.CommitRequest) error { return preconditionFailed(t, "writes[0]") }}
	c := startFake(t, &fakeServer{commitScript: rec.script}, fastUpdate)
	_, err := c.RunTransaction(context.Background(), func(_ context.Context, tx *Transaction) error {
		tx.Set("a", "1", map[string]any{}, IfNotExists())
		return nil
	}, WithRequestID("fixed"))
	reqs := rec.requests()
	if !IsPreconditionFailed(err) || len(reqs) != 5 {
		t.Fatalf("err %v after %d commits, want PRECONDITION_FAILED after 5", err, len(reqs))
	}
	for _, r := range reqs {
		if r.GetRequestId() != "fixed" {
			t.Fatalf("WithRequestID not used on every round: %q", r.GetRequestId())
		}
	}
}
