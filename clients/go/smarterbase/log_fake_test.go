package smarterbase

import (
	"context"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/smarterbase/smarterbase/clients/go/gen/smarterbase/v1"
)

// appendStep scripts one Append call of fakeLog: fail before storing (err),
// store then fail (afterStore: the client cannot know it landed), or store
// then hang until the client gives up (hang).
type appendStep struct {
	err        error
	afterStore error
	hang       bool
}

// readStep is one scripted step of a fake ReadLog call: send msg, fail
// with err, end the stream (end), or wait for drop and then close every TCP
// connection of the server (as a crashing server does).
type readStep struct {
	msg  *pb.ReadLogResponse
	err  error
	end  bool
	drop <-chan struct{}
}

// fakeLog is a LogService on loopback. Append keeps one log in memory with
// the server's request-id rule (a repeated id answers the first attempt's
// sequences, Deduplicated) and fails a line containing BAD with
// INVALID_LOG_LINE; appendScript[n] overrides call n. ReadLog call n plays
// readScripts[n], then stays open until the client cancels; the
// cancellations are counted when the call's context ends (its termination),
// not after its last message.
type fakeLog struct {
	pb.UnimplementedLogServiceServer
	t            *testing.T
	lis          *trackingListener
	mu           sync.Mutex
	appendScript []appendStep
	readScripts  [][]readStep
	appends      []*pb.AppendRequest
	lines        []string
	byID         map[string][2]int64
	inFlight     int
	maxInFlight  int
	reads        []*pb.ReadLogRequest
	cancelled    int
}

func (f *fakeLog) Append(ctx context.Context, req *pb.AppendRequest) (*pb.AppendResponse, error) {
	f.mu.Lock()
	n := len(f.appends)
	f.appends = append(f.appends, req)
	var step appendStep
	if n < len(f.appendScript) {
		step = f.appendScript[n]
	}
	f.inFlight++
	f.maxInFlight = max(f.maxInFlight, f.inFlight)
	f.mu.Unlock()
	defer func() { f.mu.Lock(); f.inFlight--; f.mu.Unlock() }()
	time.Sleep(time.Millisecond) // lets calls overlap, if a client sends them concurrently
	if step.err != nil {
		return nil, step.err
	}
	for i, l := range req.GetLines() {
		if strings.Contains(l, "BAD") {
			return nil, sbStatus(f.t, codes.InvalidArgument, ReasonInvalidLogLine, map[string]string{"field": "lines[" + strconv.Itoa(i) + "]"})
		}
	}
	res := f.store(req)
	if step.afterStore != nil {
		return nil, step.afterStore
	}
	if step.hang {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return res, nil
}

func (f *fakeLog) store(req *pb.AppendRequest) *pb.AppendResponse {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r, ok := f.byID[req.GetRequestId()]; ok {
		return &pb.AppendResponse{FirstSequence: r[0], LastSequence: r[1], Deduplicated: true}
	}
	first := int64(len(f.lines)) + 1
	f.lines = append(f.lines, req.GetLines()...)
	last := int64(len(f.lines))
	if req.GetRequestId() != "" {
		f.byID[req.GetRequestId()] = [2]int64{first, last}
	}
	return &pb.AppendResponse{FirstSequence: first, LastSequence: last}
}

func (f *fakeLog) ReadLog(req *pb.ReadLogRequest, s grpc.ServerStreamingServer[pb.ReadLogResponse]) error {
	f.mu.Lock()
	n := len(f.reads)
	f.reads = append(f.reads, req)
	var script []readStep
	if n < len(f.readScripts) {
		script = f.readScripts[n]
	}
	f.mu.Unlock()
	defer func() {
		if s.Context().Err() != nil { // the call was ended by the client (or the connection)
			f.mu.Lock()
			f.cancelled++
			f.mu.Unlock()
		}
	}()
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
	return s.Context().Err()
}

func (f *fakeLog) snapshot() (appends []*pb.AppendRequest, lines []string, reads []*pb.ReadLogRequest, cancelled int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*pb.AppendRequest(nil), f.appends...), append([]string(nil), f.lines...), append([]*pb.ReadLogRequest(nil), f.reads...), f.cancelled
}

// startLogFake serves f on 127.0.0.1:0 and returns a client without its own
// UNAVAILABLE retry unless opts say otherwise.
func startLogFake(t *testing.T, f *fakeLog, opts ...Option) *Client {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f.t, f.lis, f.byID = t, &trackingListener{Listener: l}, map[string][2]int64{}
	srv := grpc.NewServer()
	pb.RegisterLogServiceServer(srv, f)
	go func() { _ = srv.Serve(f.lis) }()
	t.Cleanup(srv.Stop)
	c, err := Dial(context.Background(), l.Addr().String(), append([]Option{WithRetryPolicy(RetryPolicy{MaxAttempts: 1})}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// entriesMsg is a ReadLog message with the entries of these sequences (line
// {"n":seq}) and tail (default: the last of them).
func entriesMsg(tail int64, seqs ...int64) readStep {
	m := &pb.ReadLogResponse{TailSequence: tail}
	for _, s := range seqs {
		m.Entries = append(m.Entries, &pb.LogEntry{Sequence: s, Line: `{"n":` + itoa(s) + `}`, AppendTime: timestamppb.New(time.Unix(1_700_000_000, 0))})
	}
	if tail == 0 && len(seqs) > 0 {
		m.TailSequence = seqs[len(seqs)-1]
	}
	return readStep{msg: m}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
