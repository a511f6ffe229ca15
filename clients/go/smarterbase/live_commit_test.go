package smarterbase_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/structpb"

	pb "github.com/smarterbase/smarterbase/clients/go/gen/smarterbase/v1"
	"github.com/smarterbase/smarterbase/clients/go/smarterbase"
)

// These live tests need DocumentService.Commit on the server: against a
// server without it they fail (UNIMPLEMENTED), they do not skip.

func TestLiveCommitAcrossCollections(t *testing.T) {
	c := liveClient(t)
	acc, cfg := collection(t), collection(t)
	a := mustPut(t, c, acc, "a", map[string]any{"balance": 10})
	mustPut(t, c, acc, "b", map[string]any{"balance": 3})
	k := mustPut(t, c, cfg, "k", map[string]any{"open": true})

	res, err := c.Transaction().
		Set(acc, "a", map[string]any{"balance": 13}, smarterbase.IfEtag(a.Etag)).
		Delete(acc, "b", smarterbase.IfExists()).
		Check(cfg, "k", smarterbase.IfEtag(k.Etag)).
		Set(cfg, "new", map[string]any{"made": "in tx"}, smarterbase.IfNotExists()).
		Commit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.TransactionID == "" || res.CommitTime.IsZero() || res.RequestID == "" || len(res.Results) != 4 {
		t.Fatalf("result %+v", res)
	}

	gotA, err := c.Get(ctx, acc, "a")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotA.Data, map[string]any{"balance": 13.0}) || gotA.Version != 2 {
		t.Fatalf("a = %+v", gotA)
	}
	newDoc, err := c.Get(ctx, cfg, "new")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(newDoc.Data, map[string]any{"made": "in tx"}) || newDoc.Version != 1 {
		t.Fatalf("new = %+v", newDoc)
	}
	if ok, _, err := c.Exists(ctx, acc, "b"); err != nil || ok {
		t.Fatalf("b still exists: %v %v", ok, err)
	}
	gotK, err := c.Get(ctx, cfg, "k")
	if err != nil || gotK.Etag != k.Etag || gotK.Version != 1 {
		t.Fatalf("checked k changed: %+v %v", gotK, err)
	}

	want := []smarterbase.TransactionWriteResult{
		{Collection: acc, ID: "a", Etag: gotA.Etag, Version: 2},
		{Collection: acc, ID: "b"},
		{Collection: cfg, ID: "k", Etag: k.Etag, Version: 1},
		{Collection: cfg, ID: "new", Etag: newDoc.Etag, Version: 1},
	}
	if !reflect.DeepEqual(res.Results, want) {
		t.Fatalf("results\n got %+v\nwant %+v", res.Results, want)
	}
}

func TestLiveCommitPreconditionFailureWritesNothing(t *testing.T) {
	c := liveClient(t)
	acc, cfg := collection(t), collection(t)
	a1 := mustPut(t, c, acc, "a", map[string]any{"v": 1})
	a2 := mustPut(t, c, acc, "a", map[string]any{"v": 2}) // a1.Etag is now stale
	mustPut(t, c, cfg, "taken", map[string]any{"v": 1})

	_, err := c.Transaction().
		Set(acc, "fresh", map[string]any{"v": "should not appear"}).
		Set(acc, "a", map[string]any{"v": "stale write"}, smarterbase.IfEtag(a1.Etag)).
		Delete(cfg, "taken").
		Check(cfg, "taken", smarterbase.IfNotExists()).
		Commit(ctx)
	if !smarterbase.IsInvalidArgument(err) {
		t.Fatalf("two writes to one document must be refused: %v", err)
	}

	_, err = c.Transaction().
		Set(acc, "fresh", map[string]any{"v": "should not appear"}).
		Set(acc, "a", map[string]any{"v": "stale write"}, smarterbase.IfEtag(a1.Etag)).
		Delete(cfg, "taken").
		Check(cfg, "missing", smarterbase.IfExists()).
		Set(acc, "b", map[string]any{"v": 1}, smarterbase.IfNotExists()).
		Commit(ctx)
	var pe *smarterbase.Error
	if !errors.As(err, &pe) || !smarterbase.IsPreconditionFailed(err) || pe.Code != codes.Aborted {
		t.Fatalf("err = %v", err)
	}
	type v struct {
		typ string
		idx int
	}
	var got []v
	for _, pv := range pe.PreconditionViolations {
		if pv.Description == "" {
			t.Fatalf("violation without description: %+v", pv)
		}
		got = append(got, v{pv.Type, pv.WriteIndex()})
	}
	want := []v{{smarterbase.ViolationEtag, 1}, {smarterbase.ViolationExists, 3}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("violations %+v, want %+v (%+v)", got, want, pe.PreconditionViolations)
	}

	if ok, _, err := c.Exists(ctx, acc, "fresh"); err != nil || ok {
		t.Fatalf("fresh was written: %v %v", ok, err)
	}
	if ok, _, err := c.Exists(ctx, acc, "b"); err != nil || ok {
		t.Fatalf("b was written: %v %v", ok, err)
	}
	if got, err := c.Get(ctx, acc, "a"); err != nil || got.Etag != a2.Etag || !reflect.DeepEqual(got.Data, map[string]any{"v": 2.0}) {
		t.Fatalf("a changed: %+v %v", got, err)
	}
	if ok, _, err := c.Exists(ctx, cfg, "taken"); err != nil || !ok {
		t.Fatalf("taken was deleted: %v %v", ok, err)
	}
}

func TestLiveCommitRequestIDRetryReturnsSameTransaction(t *testing.T) {
	c := liveClient(t)
	col := collection(t)
	rid := "go-live-" + col
	build := func() *smarterbase.Transaction {
		return c.Transaction().
			Set(col, "x", map[string]any{"n": 1}).
			Delete(col, "y")
	}
	first, err := build().Commit(ctx, smarterbase.WithRequestID(rid))
	if err != nil {
		t.Fatal(err)
	}
	if first.RequestID != rid {
		t.Fatalf("request id %q, want %q", first.RequestID, rid)
	}
	x1, err := c.Get(ctx, col, "x")
	if err != nil {
		t.Fatal(err)
	}
	// Someone else writes y; a replay must not delete it again.
	mustPut(t, c, col, "y", map[string]any{"later": true})

	again, err := build().Commit(ctx, smarterbase.WithRequestID(rid))
	if err != nil {
		t.Fatal(err)
	}
	if again.TransactionID != first.TransactionID || !again.CommitTime.Equal(first.CommitTime) || !reflect.DeepEqual(again.Results, first.Results) {
		t.Fatalf("replay\n got %+v\nwant %+v", again, first)
	}
	if x2, err := c.Get(ctx, col, "x"); err != nil || x2.Version != x1.Version || x2.Etag != x1.Etag {
		t.Fatalf("replay wrote x again: %+v %v", x2, err)
	}
	if ok, _, err := c.Exists(ctx, col, "y"); err != nil || !ok {
		t.Fatalf("replay deleted y: %v %v", ok, err)
	}

	_, err = c.Transaction().Set(col, "x", map[string]any{"n": 2}).Commit(ctx, smarterbase.WithRequestID(rid))
	if !smarterbase.IsInvalidArgument(err) || smarterbase.ReasonOf(err) != smarterbase.ReasonRequestIDReused {
		t.Fatalf("same request id, other writes: %v", err)
	}

	// Without WithRequestID every Commit is a new transaction.
	t1, err := c.Transaction().Set(col, "z", map[string]any{"n": 1}).Commit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t2, err := c.Transaction().Set(col, "z", map[string]any{"n": 1}).Commit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if t1.TransactionID == t2.TransactionID || t1.RequestID == t2.RequestID || t2.Results[0].Version != 2 {
		t.Fatalf("two commits without request id: %+v %+v", t1, t2)
	}
}

func TestLiveRunTransactionConcurrentIncrements(t *testing.T) {
	setup := liveClient(t)
	acc, audit := collection(t), collection(t)
	mustPut(t, setup, acc, "counter", map[string]any{"n": 0})
	const workers, perWorker = 8, 10
	var wg sync.WaitGroup
	var runs, maxRuns atomic.Int64
	errs := make(chan error, workers*perWorker)
	for w := 0; w < workers; w++ {
		c := liveClient(t)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perWorker; i++ {
				var mine int64
				_, err := c.RunTransaction(ctx, func(ctx context.Context, tx *smarterbase.Transaction) error {
					mine++
					cur, err := c.Get(ctx, acc, "counter")
					if err != nil {
						return err
					}
					n := cur.Data["n"].(float64) + 1
					tx.Set(acc, "counter", map[string]any{"n": n}, smarterbase.IfEtag(cur.Etag))
					// A second collection in the same transaction: one audit
					// document per value the counter takes.
					tx.Set(audit, "n-"+strconv.Itoa(int(n)), map[string]any{"n": n}, smarterbase.IfNotExists())
					return nil
				})
				runs.Add(mine)
				for m := maxRuns.Load(); mine > m && !maxRuns.CompareAndSwap(m, mine); m = maxRuns.Load() {
				}
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	t.Logf("%d increments took %d rounds of fn (at most %d for one)", workers*perWorker, runs.Load(), maxRuns.Load())
	for err := range errs {
		t.Fatal(err)
	}
	got, err := setup.Get(ctx, acc, "counter")
	if err != nil {
		t.Fatal(err)
	}
	if got.Data["n"] != float64(workers*perWorker) || got.Version != workers*perWorker+1 {
		t.Fatalf("counter %+v, want n=%d at version %d", got, workers*perWorker, workers*perWorker+1)
	}
	ids := make([]string, 0, workers*perWorker)
	for i := 1; i <= workers*perWorker; i++ {
		ids = append(ids, "n-"+strconv.Itoa(i))
	}
	ex, err := setup.BatchExists(ctx, audit, ids)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range ex {
		if !r.Exists {
			t.Fatalf("audit %s missing: a committed increment lost its other write", r.ID)
		}
	}
}

// TestLiveCommitRetriedAfterCommitPointIsIdempotent runs its own server
// whose every Commit fails with UNAVAILABLE just after the commit point
// (SB_FAILPOINTS=txn.after-commit-point=error): the client's UNAVAILABLE
// retry re-sends the same generated request id and gets the committed
// result instead of committing twice.
func TestLiveCommitRetriedAfterCommitPointIsIdempotent(t *testing.T) {
	addr := spawnFailpointServer(t, "txn.after-commit-point=error")
	var mu sync.Mutex
	var sent []string
	count := func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if r, ok := req.(*pb.CommitRequest); ok {
			mu.Lock()
			sent = append(sent, r.GetRequestId())
			mu.Unlock()
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	}
	c, err := smarterbase.Dial(ctx, addr, smarterbase.WithBlock(), smarterbase.WithCallTimeout(30*time.Second),
		smarterbase.WithDialOptions(grpc.WithChainUnaryInterceptor(count)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	col := collection(t)
	d := mustPut(t, c, col, "d", map[string]any{"n": 1})

	// Not idempotent by itself: run twice, the second IfEtag would fail.
	res, err := c.Transaction().
		Set(col, "d", map[string]any{"n": 2}, smarterbase.IfEtag(d.Etag)).
		Set(col, "e", map[string]any{"n": 1}, smarterbase.IfNotExists()).
		Commit(ctx)
	if err != nil {
		t.Fatalf("commit: %v (attempts %v)", err, sent)
	}
	if len(sent) < 2 {
		t.Fatalf("the failpoint did not force a retry: attempts %v", sent)
	}
	for _, id := range sent {
		if id != sent[0] || id != res.RequestID || id == "" {
			t.Fatalf("attempts used request ids %v, result %q", sent, res.RequestID)
		}
	}
	got, err := c.Get(ctx, col, "d")
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 2 || got.Data["n"] != 2.0 || res.Results[0] != (smarterbase.TransactionWriteResult{Collection: col, ID: "d", Etag: got.Etag, Version: 2}) {
		t.Fatalf("d = %+v, result %+v", got, res.Results)
	}
	if e, err := c.Get(ctx, col, "e"); err != nil || e.Version != 1 || res.Results[1].Version != 1 {
		t.Fatalf("e = %+v %v, result %+v", e, err, res.Results)
	}

	// The control: the same retry without a request id (raw stub) commits
	// on the first attempt, then fails its own precondition on the retry.
	// (Two writes: a single write without request id needs no intent and
	// never reaches the commit-point failpoint.)
	data, _ := structpb.NewStruct(map[string]any{"n": 3})
	_, err = c.Raw().Commit(ctx, &pb.CommitRequest{Writes: []*pb.TransactionWrite{{
		Collection: col, Id: "d",
		Operation:    &pb.TransactionWrite_Set{Set: &pb.SetOperation{Data: data}},
		Precondition: &pb.Precondition{Condition: &pb.Precondition_Etag{Etag: got.Etag}},
	}, {
		Collection: col, Id: "f",
		Operation: &pb.TransactionWrite_Set{Set: &pb.SetOperation{Data: data}},
	}}})
	if err == nil || !smarterbase.IsPreconditionFailed(smarterbase.FromError(err)) {
		t.Fatalf("retry without request id: %v", err)
	}
	if got, err := c.Get(ctx, col, "d"); err != nil || got.Version != 3 || got.Data["n"] != 3.0 {
		t.Fatalf("d after the raw commit = %+v %v", got, err)
	}
}

// spawnFailpointServer starts a memory-storage server with SB_FAILPOINTS
// set, for this test only, and returns its gRPC address.
func spawnFailpointServer(t *testing.T, failpoints string) string {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	main := filepath.Join(root, "dist", "server", "src", "main.js")
	if _, err := os.Stat(main); err != nil {
		t.Fatalf("%s is missing: run npm run build in %s", main, root)
	}
	cmd := exec.Command("node", main, "--storage", "memory", "--grpc-port", "0", "--http-port", "0", "--metrics-port", "0")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "SB_FAILPOINTS="+failpoints)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	port := make(chan int, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			var line struct {
				Msg      string  `json:"msg"`
				GRPCPort float64 `json:"grpcPort"`
			}
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "listening" && line.GRPCPort > 0 {
				port <- int(line.GRPCPort)
			}
		}
		close(port)
	}()
	select {
	case p, ok := <-port:
		if !ok {
			t.Fatal("failpoint server exited before logging \"listening\"")
		}
		return fmt.Sprintf("127.0.0.1:%d", p)
	case <-time.After(30 * time.Second):
		t.Fatal("failpoint server did not log \"listening\" within 30s")
	}
	return ""
}
