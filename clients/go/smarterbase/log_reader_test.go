package smarterbase

import (
	"context"
	"fmt"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
)

var fastReadBackoff = RetryPolicy{InitialBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond}

// takeEntries iterates r until n entries arrived (then leaves the loop) or
// it fails.
func takeEntries(r *LogReader, n int) ([]int64, error) {
	var got []int64
	for e, err := range r.All() {
		if err != nil {
			return got, err
		}
		got = append(got, e.Sequence)
		if len(got) == n {
			break
		}
	}
	return got, nil
}

func fromSequences(f *fakeLog) []int64 {
	_, _, reads, _ := f.snapshot()
	var out []int64
	for _, r := range reads {
		out = append(out, r.GetFromSequence())
	}
	return out
}

func TestReadLogResumesFromTheLastSequencePlusOneWithoutDuplicates(t *testing.T) {
	f := &fakeLog{readScripts: [][]readStep{
		{entriesMsg(0, 1, 2), entriesMsg(0, 3), {err: sbStatus(t, codes.Unavailable, ReasonShuttingDown, nil)}},
		{entriesMsg(0, 3, 4), entriesMsg(9, 5)}, // a resumed call that resends an old entry first
	}}
	c := startLogFake(t, f)
	r := c.Logs().Read(context.Background(), "audit", ReadLogOptions{Follow: true, Backoff: fastReadBackoff})
	var entries []*LogEntry
	for e, err := range r.All() {
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, e)
		if len(entries) == 5 {
			break
		}
	}
	if got := fmt.Sprintf("%d %s %d", entries[0].Sequence, entries[0].Line, entries[0].AppendTime.Unix()); got != `1 {"n":1} 1700000000` {
		t.Fatalf("first entry %s", got)
	}
	if got := fmt.Sprint(entries[4].Sequence, r.LastSequence(), r.TailSequence(), r.Resumes()); got != "5 5 9 1" {
		t.Fatalf("last, tail, resumes: %s", got)
	}
	if got := fmt.Sprint(fromSequences(f)); got != "[0 4]" {
		t.Fatalf("from_sequence of the calls %s", got)
	}
	for i, e := range entries {
		if e.Sequence != int64(i+1) {
			t.Fatalf("entry %d has sequence %d", i, e.Sequence)
		}
	}
}

func TestReadLogResumesAfterADroppedConnection(t *testing.T) {
	got8 := make(chan struct{})
	f := &fakeLog{readScripts: [][]readStep{{entriesMsg(0, 7, 8), {drop: got8}}, {entriesMsg(0, 9)}}}
	c := startLogFake(t, f)
	var got []int64
	for e, err := range c.Logs().Read(context.Background(), "audit", ReadLogOptions{FromSequence: 7, Follow: true, Backoff: fastReadBackoff}).All() {
		if err != nil {
			t.Fatal(err)
		}
		if got = append(got, e.Sequence); e.Sequence == 8 {
			close(got8)
		}
		if len(got) == 3 {
			break
		}
	}
	if fmt.Sprint(got) != "[7 8 9]" {
		t.Fatalf("entries %v", got)
	}
	if s := fmt.Sprint(fromSequences(f)); s != "[7 9]" {
		t.Fatalf("from_sequence of the calls %s", s)
	}
}

func TestReadLogWithoutFollowEndsWithTheStreamAndWithFollowResumes(t *testing.T) {
	f := &fakeLog{readScripts: [][]readStep{{entriesMsg(0, 1, 2), {end: true}}, {entriesMsg(0, 1), {end: true}}, {entriesMsg(0, 2)}}}
	c := startLogFake(t, f)
	got, err := takeEntries(c.Logs().Read(context.Background(), "audit", ReadLogOptions{Backoff: fastReadBackoff}), 100)
	if err != nil || fmt.Sprint(got) != "[1 2]" {
		t.Fatalf("entries %v err %v", got, err)
	}
	got, err = takeEntries(c.Logs().Read(context.Background(), "audit", ReadLogOptions{Follow: true, Backoff: fastReadBackoff}), 2)
	if err != nil || fmt.Sprint(got) != "[1 2]" {
		t.Fatalf("entries %v err %v", got, err)
	}
	if s := fmt.Sprint(fromSequences(f)); s != "[0 0 2]" {
		t.Fatalf("from_sequence of the calls %s", s)
	}
}

func TestReadLogFromEndResumesAfterTheReportedTail(t *testing.T) {
	f := &fakeLog{readScripts: [][]readStep{{entriesMsg(41), {err: sbStatus(t, codes.Unavailable, ReasonShuttingDown, nil)}}, {entriesMsg(0, 42)}}}
	c := startLogFake(t, f)
	got, err := takeEntries(c.Logs().Read(context.Background(), "audit", ReadLogOptions{FromEnd: true, Follow: true, ProgressInterval: 250 * time.Millisecond, Backoff: fastReadBackoff}), 1)
	if err != nil || fmt.Sprint(got) != "[42]" {
		t.Fatalf("entries %v err %v", got, err)
	}
	_, _, reads, _ := f.snapshot()
	if !reads[0].GetFromEnd() || reads[1].GetFromEnd() || reads[1].GetFromSequence() != 42 || reads[0].GetProgressInterval().AsDuration() != 250*time.Millisecond {
		t.Fatalf("requests %v", reads)
	}
}

func TestReadLogSurfacesSequenceTrimmedWithoutResuming(t *testing.T) {
	trimmed := sbStatus(t, codes.OutOfRange, ReasonSequenceTrimmed, map[string]string{"log": "audit", "requestedSequence": "1", "oldestSequence": "100"})
	f := &fakeLog{readScripts: [][]readStep{{{err: trimmed}}}}
	c := startLogFake(t, f)
	_, err := takeEntries(c.Logs().Read(context.Background(), "audit", ReadLogOptions{FromSequence: 1, Follow: true, Backoff: fastReadBackoff}), 1)
	if !IsSequenceTrimmed(err) || CodeOf(err) != codes.OutOfRange || FromError(err).Metadata["oldestSequence"] != "100" {
		t.Fatalf("err %v", err)
	}
	if _, _, reads, _ := f.snapshot(); len(reads) != 1 {
		t.Fatalf("%d calls", len(reads))
	}
}

func TestReadLogFailsWithDataLossOnAGap(t *testing.T) {
	f := &fakeLog{readScripts: [][]readStep{{entriesMsg(0, 1, 2, 4)}}}
	c := startLogFake(t, f)
	got, err := takeEntries(c.Logs().Read(context.Background(), "audit", ReadLogOptions{Follow: true, Backoff: fastReadBackoff}), 10)
	if CodeOf(err) != codes.DataLoss || fmt.Sprint(got) != "[1 2]" {
		t.Fatalf("entries %v err %v", got, err)
	}
}

func TestReadLogEndsTheServerCallWhenTheLoopIsLeftOrCtxCancelled(t *testing.T) {
	f := &fakeLog{readScripts: [][]readStep{{entriesMsg(0, 1)}, {entriesMsg(0, 1)}}}
	c := startLogFake(t, f)
	if _, err := takeEntries(c.Logs().Read(context.Background(), "audit", ReadLogOptions{Follow: true}), 1); err != nil {
		t.Fatal(err)
	}
	waitCancelled(t, f, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var last error
	for _, err := range c.Logs().Read(ctx, "audit", ReadLogOptions{Follow: true}).All() {
		if err != nil {
			last = err
			break
		}
		cancel()
	}
	if CodeOf(last) != codes.Canceled {
		t.Fatalf("err %v", last)
	}
	waitCancelled(t, f, 2)
}

func TestReadLogWithoutFollowGivesUpAfterMaxAttempts(t *testing.T) {
	down := readStep{err: sbStatus(t, codes.Unavailable, ReasonShuttingDown, nil)}
	f := &fakeLog{readScripts: [][]readStep{{down}, {down}}}
	c := startLogFake(t, f)
	backoff := fastReadBackoff
	backoff.MaxAttempts = 2
	if _, err := takeEntries(c.Logs().Read(context.Background(), "audit", ReadLogOptions{Backoff: backoff}), 1); CodeOf(err) != codes.Unavailable {
		t.Fatalf("err %v", err)
	}
	if _, _, reads, _ := f.snapshot(); len(reads) != 2 {
		t.Fatalf("%d calls", len(reads))
	}
}

// waitCancelled polls until the fake counted n ended calls (a 10 s hang
// guard, not a timing assertion).
func waitCancelled(t *testing.T, f *fakeLog, n int) {
	t.Helper()
	for range 1000 {
		if _, _, _, c := f.snapshot(); c == n {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	_, _, _, c := f.snapshot()
	t.Fatalf("%d calls ended on the server, want %d", c, n)
}
