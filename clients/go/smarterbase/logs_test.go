package smarterbase

import (
	"context"
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"
)

func TestLogsAppendSendsLinesWithARequestIDAndReturnsTheSequences(t *testing.T) {
	f := &fakeLog{}
	c := startLogFake(t, f)
	ctx := context.Background()
	if _, err := c.Logs().Append(ctx, "audit", []string{`{"a":1}`}); err != nil {
		t.Fatal(err)
	}
	res, err := c.Logs().AppendValues(ctx, "audit", []any{"s", map[string]any{"b": []int{1, 2}}, 3, nil}, AppendRequestID("r1"))
	if err != nil {
		t.Fatal(err)
	}
	if *res != (AppendResult{FirstSequence: 2, LastSequence: 5, RequestID: "r1"}) {
		t.Fatalf("result %+v", res)
	}
	appends, _, _, _ := f.snapshot()
	if got := fmt.Sprint(appends[1].GetLines()); got != `["s" {"b":[1,2]} 3 null]` {
		t.Fatalf("lines %s", got)
	}
	if len(appends[0].GetRequestId()) != 36 {
		t.Fatalf("no random request id: %q", appends[0].GetRequestId())
	}
	again, err := c.Logs().AppendValues(ctx, "audit", []any{"s", map[string]any{"b": []int{1, 2}}, 3, nil}, AppendRequestID("r1"))
	if err != nil || !again.Deduplicated || again.FirstSequence != 2 {
		t.Fatalf("repeat %+v %v", again, err)
	}
}

func TestLogsAppendReturnsInvalidLogLine(t *testing.T) {
	f := &fakeLog{}
	c := startLogFake(t, f)
	_, err := c.Logs().Append(context.Background(), "audit", []string{"1", `"BAD"`})
	if !HasReason(err, ReasonInvalidLogLine) || CodeOf(err) != codes.InvalidArgument || FromError(err).Metadata["field"] != "lines[1]" {
		t.Fatalf("err %v", err)
	}
	if _, err := c.Logs().AppendValues(context.Background(), "audit", []any{make(chan int)}); err == nil {
		t.Fatal("a value JSON cannot hold was accepted")
	}
}
