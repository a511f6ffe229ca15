package smarterbase

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
)

var fastAppendRetry = &RetryPolicy{MaxAttempts: 4, InitialBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond}

// waitAll waits for every pending line and returns their sequences.
func waitAll(t *testing.T, ps []*PendingLine) []int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second) // a hang guard
	defer cancel()
	out := make([]int64, len(ps))
	for i, p := range ps {
		seq, err := p.Wait(ctx)
		if err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		out[i] = seq
	}
	return out
}

func oneTo(n int) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = int64(i + 1)
	}
	return out
}

func TestAppenderFormsBatchesAndResolvesSequencesInAddOrder(t *testing.T) {
	f := &fakeLog{}
	c := startLogFake(t, f)
	a := c.Logs().Appender("audit", AppenderOptions{MaxLines: 100, MaxDelay: time.Minute})
	var ps []*PendingLine
	for i := range 1000 {
		ps = append(ps, a.Add(`{"i":`+strconv.Itoa(i)+`}`))
	}
	if err := a.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := waitAll(t, ps); fmt.Sprint(got) != fmt.Sprint(oneTo(1000)) {
		t.Fatalf("sequences %v", got)
	}
	appends, lines, _, _ := f.snapshot()
	if len(appends) != 10 {
		t.Fatalf("%d Append calls, want 10", len(appends))
	}
	for i, l := range lines {
		if l != `{"i":`+strconv.Itoa(i)+`}` {
			t.Fatalf("line %d is %s", i, l)
		}
	}
}

func TestAppenderSendsAPartialBatchAfterMaxDelay(t *testing.T) {
	f := &fakeLog{}
	c := startLogFake(t, f)
	a := c.Logs().Appender("audit", AppenderOptions{MaxDelay: 5 * time.Millisecond})
	defer func() { _ = a.Close(context.Background()) }()
	ps := []*PendingLine{a.Add("1"), a.Add("2"), a.Add("3")}
	if got := waitAll(t, ps); fmt.Sprint(got) != "[1 2 3]" {
		t.Fatalf("sequences %v", got)
	}
	if appends, _, _, _ := f.snapshot(); len(appends) != 1 {
		t.Fatalf("%d calls, want 1", len(appends))
	}
}

func TestAppenderKeepsOneBatchInFlightSoAddOrderHolds(t *testing.T) {
	f := &fakeLog{}
	c := startLogFake(t, f)
	a := c.Logs().Appender("audit", AppenderOptions{MaxLines: 3, MaxDelay: -1})
	var ps []*PendingLine
	for i := range 30 {
		ps = append(ps, a.Add(strconv.Itoa(i)))
	}
	if err := a.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := waitAll(t, ps); fmt.Sprint(got) != fmt.Sprint(oneTo(30)) {
		t.Fatalf("sequences %v", got)
	}
	_, lines, _, _ := f.snapshot()
	for i, l := range lines {
		if l != strconv.Itoa(i) {
			t.Fatalf("line %d is %s", i, l)
		}
	}
	f.mu.Lock()
	maxInFlight := f.maxInFlight
	f.mu.Unlock()
	if maxInFlight != 1 {
		t.Fatalf("%d calls in flight at once, want 1", maxInFlight)
	}
}

func TestAppenderResendsAnUnavailableBatchWithTheSameRequestID(t *testing.T) {
	f := &fakeLog{appendScript: []appendStep{{afterStore: sbStatus(t, codes.Unavailable, ReasonBackendUnavailable, nil)}}}
	c := startLogFake(t, f)
	retries := 0
	a := c.Logs().Appender("audit", AppenderOptions{MaxDelay: time.Minute, Retry: fastAppendRetry, OnRetry: func(int, error, time.Duration) { retries++ }})
	ps := []*PendingLine{a.Add(`"x"`), a.Add(`"y"`)}
	if err := a.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := waitAll(t, ps); fmt.Sprint(got) != "[1 2]" {
		t.Fatalf("sequences %v", got)
	}
	appends, lines, _, _ := f.snapshot()
	if len(appends) != 2 || appends[0].GetRequestId() != appends[1].GetRequestId() || fmt.Sprint(appends[0].GetLines()) != fmt.Sprint(appends[1].GetLines()) {
		t.Fatalf("calls %v", appends)
	}
	if fmt.Sprint(lines) != `["x" "y"]` || retries != 1 {
		t.Fatalf("log %v retries %d", lines, retries)
	}
}

func TestAppenderResendsAfterDeadlineExceededWithoutTheClientRetry(t *testing.T) {
	f := &fakeLog{appendScript: []appendStep{{hang: true}}}
	c := startLogFake(t, f, WithCallTimeout(300*time.Millisecond), WithRetryPolicy(RetryPolicy{InitialBackoff: time.Millisecond}))
	a := c.Logs().Appender("audit", AppenderOptions{MaxDelay: -1, Retry: fastAppendRetry})
	defer func() { _ = a.Close(context.Background()) }()
	if got := waitAll(t, []*PendingLine{a.Add(`"x"`)}); got[0] != 1 {
		t.Fatalf("sequence %d", got[0])
	}
	appends, lines, _, _ := f.snapshot()
	if len(appends) != 2 || appends[0].GetRequestId() != appends[1].GetRequestId() || len(lines) != 1 {
		t.Fatalf("calls %v log %v", appends, lines)
	}
}

func TestAppenderFailsOnlyTheBatchANonRetryableErrorRefused(t *testing.T) {
	f := &fakeLog{}
	c := startLogFake(t, f)
	a := c.Logs().Appender("audit", AppenderOptions{MaxLines: 2, MaxDelay: time.Minute, Retry: fastAppendRetry})
	ps := []*PendingLine{a.Add(`"a"`), a.Add(`"BAD"`), a.Add(`"c"`), a.Add(`"d"`)}
	if err := a.Flush(context.Background()); !HasReason(err, ReasonInvalidLogLine) {
		t.Fatalf("flush: %v", err)
	}
	for _, p := range ps[:2] {
		if _, err := p.Wait(context.Background()); !HasReason(err, ReasonInvalidLogLine) {
			t.Fatalf("line of the failed batch: %v", err)
		}
	}
	if got := waitAll(t, ps[2:]); fmt.Sprint(got) != "[1 2]" {
		t.Fatalf("sequences %v", got)
	}
	if appends, _, _, _ := f.snapshot(); len(appends) != 2 {
		t.Fatalf("%d calls (a refused batch is not resent)", len(appends))
	}
	if err := a.Close(context.Background()); err != nil {
		t.Fatalf("close reported the failure again: %v", err)
	}
	if _, err := a.Add("1").Wait(context.Background()); err != ErrAppenderClosed {
		t.Fatalf("add after close: %v", err)
	}
}

func TestAppenderFailsABatchAfterMaxAttemptsAndGoesOn(t *testing.T) {
	down := appendStep{err: sbStatus(t, codes.Unavailable, ReasonBackendUnavailable, nil)}
	f := &fakeLog{appendScript: []appendStep{down, down, down, down}}
	c := startLogFake(t, f)
	a := c.Logs().Appender("audit", AppenderOptions{MaxDelay: -1, Retry: fastAppendRetry})
	if _, err := a.Add(`"x"`).Wait(context.Background()); CodeOf(err) != codes.Unavailable {
		t.Fatalf("err %v", err)
	}
	if got := waitAll(t, []*PendingLine{a.Add(`"y"`)}); got[0] != 1 {
		t.Fatalf("sequence %d", got[0])
	}
	appends, _, _, _ := f.snapshot()
	if len(appends) != 5 || appends[0].GetRequestId() != appends[3].GetRequestId() {
		t.Fatalf("calls %d", len(appends))
	}
	if err := a.Close(context.Background()); CodeOf(err) != codes.Unavailable {
		t.Fatalf("close: %v", err)
	}
}

func TestAppenderCloseSendsWhatWaits(t *testing.T) {
	f := &fakeLog{}
	c := startLogFake(t, f)
	a := c.Logs().Appender("audit", AppenderOptions{MaxDelay: time.Hour})
	ps := []*PendingLine{a.Add("1"), a.Add("2")}
	if appends, _, _, _ := f.snapshot(); len(appends) != 0 {
		t.Fatal("sent before its delay")
	}
	if err := a.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := waitAll(t, ps); fmt.Sprint(got) != "[1 2]" {
		t.Fatalf("sequences %v", got)
	}
	select {
	case <-a.exited:
	case <-time.After(10 * time.Second):
		t.Fatal("the appender's goroutine did not stop")
	}
}

func TestAppenderTurnsTheClientRetryOffForItsCalls(t *testing.T) {
	down := appendStep{err: sbStatus(t, codes.Unavailable, ReasonBackendUnavailable, nil)}
	f := &fakeLog{appendScript: []appendStep{down, down, down, down, down, down, down, down}}
	c := startLogFake(t, f, WithRetryPolicy(RetryPolicy{MaxAttempts: 4, InitialBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond}))
	a := c.Logs().Appender("audit", AppenderOptions{MaxDelay: -1, Retry: &RetryPolicy{MaxAttempts: 2, InitialBackoff: time.Millisecond}})
	defer func() { _ = a.Close(context.Background()) }()
	if _, err := a.Add(`"x"`).Wait(context.Background()); CodeOf(err) != codes.Unavailable {
		t.Fatalf("err %v", err)
	}
	if appends, _, _, _ := f.snapshot(); len(appends) != 2 {
		t.Fatalf("%d calls, want 2 (attempts must not multiply)", len(appends))
	}
	if _, err := c.Logs().Append(context.Background(), "audit", []string{`"y"`}); CodeOf(err) != codes.Unavailable {
		t.Fatalf("err %v", err)
	}
	if appends, _, _, _ := f.snapshot(); len(appends) != 6 {
		t.Fatalf("%d calls, want 6 (a plain Append keeps the client's 4 attempts)", len(appends))
	}
}
