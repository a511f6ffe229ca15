package smarterbase_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/smarterbase/smarterbase/clients/go/smarterbase"
)

// Logs against the live server (S3 + Redis in CI): appended lines read back
// byte for byte with dense sequences, a retried request id is deduplicated,
// a bad line appends nothing, and an appender's 1,000 lines reach a follower
// started before them, in order.

func TestLiveLogAppendReadDeduplicateAndRefuse(t *testing.T) {
	c := liveClient(t)
	log := collection(t)
	lines := []string{`{"n":1}`, `12345678901234567890`, `"text"`, `{"nested":{"a":[1,2,3]}}`}
	first, err := c.Logs().Append(ctx, log, lines, smarterbase.AppendRequestID("rid-1"))
	if err != nil || first.FirstSequence != 1 || first.LastSequence != 4 || first.Deduplicated {
		t.Fatalf("append: %+v %v", first, err)
	}
	again, err := c.Logs().Append(ctx, log, lines, smarterbase.AppendRequestID("rid-1"))
	if err != nil || !again.Deduplicated || again.FirstSequence != 1 || again.LastSequence != 4 {
		t.Fatalf("retried append: %+v %v", again, err)
	}
	_, err = c.Logs().Append(ctx, log, []string{`{"ok":true}`, `{not json`})
	if !smarterbase.HasReason(err, smarterbase.ReasonInvalidLogLine) {
		t.Fatalf("bad line: %v", err)
	}
	var got []string
	var seqs []int64
	for e, err := range c.Logs().Read(ctx, log, smarterbase.ReadLogOptions{}).All() {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, e.Line)
		seqs = append(seqs, e.Sequence)
	}
	if fmt.Sprint(got) != fmt.Sprint(lines) || fmt.Sprint(seqs) != "[1 2 3 4]" {
		t.Fatalf("read %v at %v", got, seqs)
	}
}

func TestLiveLogFollowerSeesAnAppendersLinesInOrder(t *testing.T) {
	c := liveClient(t)
	log := collection(t)
	if _, err := c.Logs().Append(ctx, log, []string{`"start"`}); err != nil {
		t.Fatal(err)
	}
	fctx, cancel := context.WithTimeout(ctx, 120*time.Second)
	defer cancel()
	const n = 1000
	seen := make(chan []int64, 1)
	go func() {
		var s []int64
		for e, err := range c.Logs().Read(fctx, log, smarterbase.ReadLogOptions{FromSequence: 2, Follow: true}).All() {
			if err != nil {
				break
			}
			s = append(s, e.Sequence)
			if e.Line != fmt.Sprintf(`{"i":%d}`, len(s)-1) {
				break
			}
			if len(s) == n {
				break
			}
		}
		seen <- s
	}()
	a := c.Logs().Appender(log, smarterbase.AppenderOptions{MaxLines: 100})
	for i := 0; i < n; i++ {
		a.Add(fmt.Sprintf(`{"i":%d}`, i))
	}
	if err := a.Close(ctx); err != nil {
		t.Fatal(err)
	}
	s := <-seen
	if len(s) != n || s[0] != 2 || s[n-1] != n+1 {
		t.Fatalf("follower saw %d lines (first %v)", len(s), s[:min(len(s), 3)])
	}
	for i, q := range s {
		if q != int64(i+2) {
			t.Fatalf("sequence %d at position %d", q, i)
		}
	}
}
