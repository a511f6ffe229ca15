package smarterbase

import (
	"context"
	"fmt"

	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/smarterbase/smarterbase/clients/go/gen/smarterbase/v1"
)

// BatchItem is one write of BatchWrite or BatchDelete. Build it with
// PutItem or DeleteItem.
type BatchItem struct {
	id         string
	isDelete   bool
	data       map[string]any
	createOnly bool
	etag       string
	expiration *pb.Expiration
}

// ID is the document id the item writes.
func (it BatchItem) ID() string { return it.id }

// IsDelete reports whether the item is a delete (false: a put).
func (it BatchItem) IsDelete() bool { return it.isDelete }

// ItemOption modifies a PutItem or DeleteItem.
type ItemOption func(*BatchItem)

// ItemCreateOnly makes a PutItem write only when no document has the id;
// the item otherwise fails with IsAlreadyExists (DOCUMENT_ALREADY_EXISTS).
// Not allowed on a DeleteItem, nor together with ItemIfMatch.
func ItemCreateOnly() ItemOption {
	return func(it *BatchItem) { it.createOnly = true }
}

// ItemIfMatch makes a PutItem or DeleteItem apply only if the document's
// current etag is etag; the item otherwise fails with IsEtagMismatch.
func ItemIfMatch(etag string) ItemOption {
	return func(it *BatchItem) { it.etag = etag }
}

// PutItem builds a put of BatchWrite: an upsert of data as the whole
// content of id, or create-only / compare-and-swap with ItemCreateOnly /
// ItemIfMatch; ItemExpiry sets when it expires.
func PutItem(id string, data map[string]any, opts ...ItemOption) BatchItem {
	it := BatchItem{id: id, data: data}
	for _, o := range opts {
		o(&it)
	}
	return it
}

// DeleteItem builds a delete of BatchWrite or BatchDelete, conditional on
// the etag with ItemIfMatch.
func DeleteItem(id string, opts ...ItemOption) BatchItem {
	it := BatchItem{id: id, isDelete: true}
	for _, o := range opts {
		o(&it)
	}
	return it
}

func (it BatchItem) toProto() (*pb.BatchWriteItem, error) {
	if it.isDelete {
		if it.createOnly {
			return nil, fmt.Errorf("smarterbase: delete item %q: ItemCreateOnly applies to puts only", it.id)
		}
		if it.expiration != nil {
			return nil, fmt.Errorf("smarterbase: delete item %q: ItemExpiry applies to puts only", it.id)
		}
		return &pb.BatchWriteItem{Operation: &pb.BatchWriteItem_Delete{Delete: &pb.BatchDeleteItem{Id: it.id, Etag: it.etag}}}, nil
	}
	if it.createOnly && it.etag != "" {
		return nil, fmt.Errorf("smarterbase: put item %q: ItemCreateOnly and ItemIfMatch are mutually exclusive", it.id)
	}
	s, err := toStruct(it.data)
	if err != nil {
		return nil, fmt.Errorf("smarterbase: put item %q: %w", it.id, err)
	}
	put := &pb.BatchPut{Id: it.id, Data: s, CreateOnly: it.createOnly, Etag: it.etag, Expiration: it.expiration}
	return &pb.BatchWriteItem{Operation: &pb.BatchWriteItem_Put{Put: put}}, nil
}

// BatchWriteResult is the outcome of one item of BatchWrite or
// BatchDelete, in request order.
type BatchWriteResult struct {
	// ID is the item's document id.
	ID string
	// Err is nil when the item succeeded; otherwise the *Error the single
	// call (Put, PutIfMatch, Delete) would have returned, so IsAlreadyExists,
	// IsEtagMismatch, ReasonOf and errors.As work on it.
	Err error
	// Document is, for a successful put, the document as stored.
	Document *Document
	// Deleted is, for a successful delete, whether a document was deleted.
	Deleted bool
}

// OK reports whether the item succeeded.
func (r BatchWriteResult) OK() bool { return r.Err == nil }

// ExistsResult is the answer for one id of BatchExists.
type ExistsResult struct {
	// ID is the id asked about.
	ID string
	// Exists is true when the document exists.
	Exists bool
	// Etag is its current etag when it exists.
	Etag string
}

// ErrorFromStatus decodes one per-item google.rpc.Status of a batch
// response into the *Error the single call would return (code, ErrorInfo
// reason and metadata, RetryInfo, BadRequest). It returns nil for a nil or
// OK status.
func ErrorFromStatus(s *spb.Status) error {
	if s == nil || codes.Code(s.GetCode()) == codes.OK {
		return nil
	}
	return fromStatus(status.FromProto(s))
}

func fromProtoWriteResult(r *pb.BatchWriteResult) BatchWriteResult {
	out := BatchWriteResult{ID: r.GetId(), Err: ErrorFromStatus(r.GetStatus())}
	if out.Err == nil {
		out.Document = fromProto(r.GetDocument())
		out.Deleted = r.GetDeleted()
	}
	return out
}

// BatchWrite applies puts and deletes (PutItem, DeleteItem) of one
// collection, NOT atomically, and returns one result per item in request
// order; a failed item's Err is what the single call would return. The
// returned error is non-nil only when the whole request failed.
func (c *Client) BatchWrite(ctx context.Context, collection string, items []BatchItem) ([]BatchWriteResult, error) {
	req := &pb.BatchWriteRequest{Collection: collection, Writes: make([]*pb.BatchWriteItem, 0, len(items))}
	for _, it := range items {
		p, err := it.toProto()
		if err != nil {
			return nil, err
		}
		req.Writes = append(req.Writes, p)
	}
	ctx, cancel := c.callCtx(ctx)
	defer cancel()
	res, err := c.rpc.BatchWrite(ctx, req)
	if err != nil {
		return nil, FromError(err)
	}
	return fromProtoWriteResults(res.GetResults()), nil
}

// BatchExists tells, for each id, whether the document exists and its
// etag, in request order.
func (c *Client) BatchExists(ctx context.Context, collection string, ids []string) ([]ExistsResult, error) {
	ctx, cancel := c.callCtx(ctx)
	defer cancel()
	res, err := c.rpc.BatchExists(ctx, &pb.BatchExistsRequest{Collection: collection, Ids: ids})
	if err != nil {
		return nil, FromError(err)
	}
	out := make([]ExistsResult, 0, len(res.GetResults()))
	for _, r := range res.GetResults() {
		out = append(out, ExistsResult{ID: r.GetId(), Exists: r.GetExists(), Etag: r.GetEtag()})
	}
	return out, nil
}

// BatchDelete deletes many documents (DeleteItem items, each optionally
// conditional with ItemIfMatch), NOT atomically, and returns one result
// per item in request order.
func (c *Client) BatchDelete(ctx context.Context, collection string, items []BatchItem) ([]BatchWriteResult, error) {
	req := &pb.BatchDeleteRequest{Collection: collection, Items: make([]*pb.BatchDeleteItem, 0, len(items))}
	for _, it := range items {
		if !it.isDelete || it.createOnly {
			return nil, fmt.Errorf("smarterbase: BatchDelete takes DeleteItem items only (item %q)", it.id)
		}
		req.Items = append(req.Items, &pb.BatchDeleteItem{Id: it.id, Etag: it.etag})
	}
	ctx, cancel := c.callCtx(ctx)
	defer cancel()
	res, err := c.rpc.BatchDelete(ctx, req)
	if err != nil {
		return nil, FromError(err)
	}
	return fromProtoWriteResults(res.GetResults()), nil
}

// fromProtoWriteResults converts the per-item results of BatchWrite and BatchDelete, in order.
func fromProtoWriteResults(rs []*pb.BatchWriteResult) []BatchWriteResult {
	out := make([]BatchWriteResult, 0, len(rs))
	for _, r := range rs {
		out = append(out, fromProtoWriteResult(r))
	}
	return out
}
