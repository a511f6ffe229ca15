package smarterbase

import (
	"context"
	"encoding/json"
	"fmt"

	pb "github.com/smarterbase/smarterbase/clients/go/gen/smarterbase/v1"
)

// Logs holds the LogService calls of a Client (client.Logs()): Append, an
// Appender that batches, and Read, a follower that resumes by itself.
//
// A line is one JSON text, given as a string and sent byte for byte (so
// `{"a":1}` appends that object and `"hi"` the JSON string "hi"), without a
// raw line break. AppendValues and Appender.AddValue take Go values and
// encode them with encoding/json instead. The server refuses a line that is
// not one JSON text (INVALID_ARGUMENT / INVALID_LOG_LINE, Metadata["field"]
// = "lines[i]"), and then appends no line of that request.
type Logs struct {
	c *Client
}

// Logs returns the log calls of the client.
func (c *Client) Logs() *Logs { return &Logs{c: c} }

// AppendResult is what Append returns.
type AppendResult struct {
	// FirstSequence is the sequence number of the first line; the others
	// follow, consecutive.
	FirstSequence int64
	// LastSequence is the sequence number of the last line.
	LastSequence int64
	// Deduplicated is true when the request id matched an earlier append:
	// nothing new was written, these are that append's sequences.
	Deduplicated bool
	// RequestID is the request id sent (to retry the append exactly once).
	RequestID string
}

// AppendOption modifies an Append.
type AppendOption func(*pb.AppendRequest)

// AppendRequestID sets the append's request id (default: a random UUID):
// a retry with the same id and lines within 10 minutes returns the first
// attempt's sequences (Deduplicated) instead of appending again.
func AppendRequestID(id string) AppendOption {
	return func(r *pb.AppendRequest) { r.RequestId = id }
}

// Append adds 1 to 1000 lines (JSON texts) to log, in order, as one
// request: they get consecutive sequence numbers, or none is appended. A
// random request id is sent unless AppendRequestID is given, so the
// automatic UNAVAILABLE retry never appends twice.
func (l *Logs) Append(ctx context.Context, log string, lines []string, opts ...AppendOption) (*AppendResult, error) {
	req := &pb.AppendRequest{Log: log, Lines: lines, RequestId: newRequestID()}
	for _, o := range opts {
		o(req)
	}
	ctx, cancel := l.c.callCtx(ctx)
	defer cancel()
	res, err := l.c.logs.Append(ctx, req)
	if err != nil {
		return nil, FromError(err)
	}
	return &AppendResult{FirstSequence: res.GetFirstSequence(), LastSequence: res.GetLastSequence(), Deduplicated: res.GetDeduplicated(), RequestID: req.GetRequestId()}, nil
}

// AppendValues is Append of values encoded with encoding/json (one line
// each; a string value becomes a JSON string).
func (l *Logs) AppendValues(ctx context.Context, log string, values []any, opts ...AppendOption) (*AppendResult, error) {
	lines := make([]string, len(values))
	for i, v := range values {
		line, err := jsonLine(v)
		if err != nil {
			return nil, fmt.Errorf("smarterbase: append to %s: value %d: %w", log, i, err)
		}
		lines[i] = line
	}
	return l.Append(ctx, log, lines, opts...)
}

// jsonLine encodes v as one JSON text (encoding/json never writes a raw
// line break).
func jsonLine(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// IsSequenceTrimmed reports SEQUENCE_TRIMMED (OUT_OF_RANGE): a log read from
// lines retention deleted (Metadata["oldestSequence"]), or past the tail.
func IsSequenceTrimmed(err error) bool { return HasReason(err, ReasonSequenceTrimmed) }
