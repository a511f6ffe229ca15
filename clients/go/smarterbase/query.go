package smarterbase

import (
	"context"
	"errors"
	"io"
	"iter"

	pb "github.com/smarterbase/smarterbase/clients/go/gen/smarterbase/v1"
)

// QueryOptions selects, orders and pages the documents of a query.
// Evaluation is always Filter → OrderBy → Offset → Limit.
type QueryOptions struct {
	// Filter is a typed filter (zero: every document). At most one of Filter
	// and FilterExpression may be set.
	Filter Filter
	// FilterExpression is the filter as a string, e.g.
	// `status = "active" AND age >= 21` (syntax in docs/queries.md).
	FilterExpression string
	// OrderBy lists the sort keys (at most 8); none: id order.
	OrderBy []OrderBy
	// Limit is the most documents returned; 0: no limit.
	Limit int32
	// Offset skips that many matching documents after sorting.
	Offset int32
	// StartAfter is a resume token of an earlier stream of the same query:
	// the results continue after that document (Offset is then ignored).
	StartAfter string
	// Projection keeps only these dotted field paths of each document.
	Projection []string
	// RequireIndex fails with ReasonIndexRequired instead of scanning.
	RequireIndex bool
}

func (o QueryOptions) request(collection string) (*pb.QueryRequest, error) {
	f, err := o.Filter.Proto()
	if err != nil {
		return nil, err
	}
	req := &pb.QueryRequest{
		Collection:       collection,
		Filter:           f,
		FilterExpression: o.FilterExpression,
		OrderBy:          orderByProto(o.OrderBy),
		Limit:            o.Limit,
		Offset:           o.Offset,
		StartAfter:       o.StartAfter,
		RequireIndex:     o.RequireIndex,
	}
	if len(o.Projection) > 0 {
		req.Projection = &pb.DocumentMask{FieldPaths: o.Projection}
	}
	return req, nil
}

// Query is one query's result stream. Iterate it once with All; while and
// after iterating, ResumeToken, SkippedResults, ReadRevision and Done
// describe the stream.
type Query struct {
	c       *Client
	ctx     context.Context
	req     *pb.QueryRequest
	err     error
	started bool
	resume  string
	skipped int64
	done    bool
	readRev int64
}

// Query prepares a query of collection; the call starts when All is
// iterated. Example:
//
//	q := client.Query(ctx, "users", smarterbase.QueryOptions{Filter: smarterbase.Eq("status", "active")})
//	for doc, err := range q.All() {
//		if err != nil { return err }
//		...
//	}
func (c *Client) Query(ctx context.Context, collection string, opts QueryOptions) *Query {
	req, err := opts.request(collection)
	return &Query{c: c, ctx: ctx, req: req, err: err}
}

// All streams the matching documents in order. On failure it yields
// (nil, err) once and stops; breaking out of the loop cancels the call.
func (q *Query) All() iter.Seq2[*Document, error] {
	return func(yield func(*Document, error) bool) {
		if q.err != nil {
			yield(nil, q.err)
			return
		}
		if q.started {
			yield(nil, errors.New("smarterbase: a Query can be iterated only once"))
			return
		}
		q.started = true
		ctx, cancel := q.c.callCtx(q.ctx)
		defer cancel()
		ctx, stop := context.WithCancel(ctx)
		defer stop()
		stream, err := q.c.query.Query(ctx, q.req)
		if err != nil {
			yield(nil, FromError(err))
			return
		}
		for {
			msg, err := stream.Recv()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				yield(nil, FromError(err))
				return
			}
			if msg.GetResumeToken() != "" {
				q.resume = msg.GetResumeToken()
			}
			q.skipped = msg.GetSkippedResults()
			if r := msg.GetReadRevision(); r != 0 {
				q.readRev = r
			}
			if msg.GetDone() {
				q.done = true
				continue
			}
			if !yield(fromProto(msg.GetDocument()), nil) {
				return
			}
		}
	}
}

// Collect returns every document (use only for small results).
func (q *Query) Collect() ([]*Document, error) {
	var out []*Document
	for d, err := range q.All() {
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// ResumeToken is the token of the last message received ("" before the
// first): pass it as QueryOptions.StartAfter to continue after a broken stream.
func (q *Query) ResumeToken() string { return q.resume }

// SkippedResults counts index hits the server dropped because the document
// no longer matched or existed.
func (q *Query) SkippedResults() int64 { return q.skipped }

// ReadRevision is the read's revision once a message arrived (0 before, or
// unknown): every change up to it was stored before the query began. Watch
// from it to follow the collection with no gap.
func (q *Query) ReadRevision() int64 { return q.readRev }

// Done reports whether the server's final message arrived (the result is complete).
func (q *Query) Done() bool { return q.done }

// CountOptions selects the documents Count counts.
type CountOptions struct {
	// Filter is a typed filter (zero: every document).
	Filter Filter
	// FilterExpression is the filter as a string.
	FilterExpression string
	// RequireIndex fails with ReasonIndexRequired instead of scanning.
	RequireIndex bool
}

// CountResult is the answer of Count.
type CountResult struct {
	// Count is the number of matching documents.
	Count int64
	// StorageRequests is how many object-storage requests counting took
	// (0 when indexes answered alone).
	StorageRequests int64
}

// Count counts the matching documents.
func (c *Client) Count(ctx context.Context, collection string, opts CountOptions) (CountResult, error) {
	f, err := opts.Filter.Proto()
	if err != nil {
		return CountResult{}, err
	}
	ctx, cancel := c.callCtx(ctx)
	defer cancel()
	res, err := c.query.Count(ctx, &pb.CountRequest{Collection: collection, Filter: f, FilterExpression: opts.FilterExpression, RequireIndex: opts.RequireIndex})
	if err != nil {
		return CountResult{}, FromError(err)
	}
	return CountResult{Count: res.GetCount(), StorageRequests: res.GetStorageRequests()}, nil
}

// QueryPlan is how the server executes (or would execute) a query.
type QueryPlan struct {
	// IndexesUsed names the indexes read.
	IndexesUsed []string
	// CandidateCount is how many candidates the indexes yield.
	CandidateCount int64
	// StorageRequests estimates the object-storage requests of the plan.
	StorageRequests int64
	// Scan is true when every document of the collection is read.
	Scan bool
	// SortedByIndex is true when the order comes from an ordered index.
	SortedByIndex bool
	// ResidualFilter is the part of the filter checked on fetched documents.
	ResidualFilter string
	// Description is a human-readable description of the plan.
	Description string
}

// Explain returns the plan of a query (StartAfter, Projection and
// RequireIndex are not part of it) without running it.
func (c *Client) Explain(ctx context.Context, collection string, opts QueryOptions) (*QueryPlan, error) {
	req, err := opts.request(collection)
	if err != nil {
		return nil, err
	}
	ctx, cancel := c.callCtx(ctx)
	defer cancel()
	res, err := c.query.Explain(ctx, &pb.ExplainRequest{
		Collection: collection, Filter: req.Filter, FilterExpression: req.FilterExpression,
		OrderBy: req.OrderBy, Limit: req.Limit, Offset: req.Offset,
	})
	if err != nil {
		return nil, FromError(err)
	}
	p := res.GetPlan()
	return &QueryPlan{
		IndexesUsed: p.GetIndexesUsed(), CandidateCount: p.GetCandidateCount(), StorageRequests: p.GetStorageRequests(),
		Scan: p.GetScan(), SortedByIndex: p.GetSortedByIndex(), ResidualFilter: p.GetResidualFilter(), Description: p.GetDescription(),
	}, nil
}

// RawQuery returns the generated QueryService stub on the client's connection.
func (c *Client) RawQuery() pb.QueryServiceClient { return c.query }
