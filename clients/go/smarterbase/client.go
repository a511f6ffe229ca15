package smarterbase

import (
	"context"
	"errors"
	"fmt"
	"io"

	"google.golang.org/grpc"
	"google.golang.org/grpc/connectivity"

	pb "github.com/smarterbase/smarterbase/clients/go/gen/smarterbase/v1"
)

// Client talks to one SmarterBase server. It is safe for concurrent use;
// create one per process and Close it when done.
type Client struct {
	conn  *grpc.ClientConn
	rpc   pb.DocumentServiceClient
	query pb.QueryServiceClient
	admin pb.AdminServiceClient
	locks pb.LockServiceClient
	watch pb.StreamServiceClient
	logs  pb.LogServiceClient
	cfg   config
}

// Dial creates a Client for addr ("host:port"). It installs the retry
// interceptors and, with WithBlock, waits until the connection is ready or
// ctx ends; otherwise it connects lazily and ctx is not used.
func Dial(ctx context.Context, addr string, opts ...Option) (*Client, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.err != nil {
		return nil, fmt.Errorf("smarterbase: dial %s: %w", addr, cfg.err)
	}
	dialOpts := []grpc.DialOption{
		grpc.WithTransportCredentials(cfg.creds),
		grpc.WithChainUnaryInterceptor(UnaryRetryInterceptor(cfg.retry)),
		grpc.WithChainStreamInterceptor(StreamRetryInterceptor(cfg.retry)),
	}
	if cfg.apiKey != "" {
		dialOpts = append(dialOpts, grpc.WithPerRPCCredentials(bearer(cfg.apiKey)))
	}
	dialOpts = append(dialOpts, cfg.extraDialOps...)
	conn, err := grpc.NewClient(addr, dialOpts...)
	if err != nil {
		return nil, fmt.Errorf("smarterbase: dial %s: %w", addr, err)
	}
	if cfg.block {
		if err := waitReady(ctx, conn); err != nil {
			_ = conn.Close()
			return nil, fmt.Errorf("smarterbase: dial %s: %w", addr, err)
		}
	}
	return &Client{
		conn:  conn,
		rpc:   pb.NewDocumentServiceClient(conn),
		query: pb.NewQueryServiceClient(conn),
		admin: pb.NewAdminServiceClient(conn),
		locks: pb.NewLockServiceClient(conn),
		watch: pb.NewStreamServiceClient(conn),
		logs:  pb.NewLogServiceClient(conn),
		cfg:   cfg,
	}, nil
}

func waitReady(ctx context.Context, conn *grpc.ClientConn) error {
	conn.Connect()
	for {
		s := conn.GetState()
		if s == connectivity.Ready {
			return nil
		}
		if !conn.WaitForStateChange(ctx, s) {
			return ctx.Err()
		}
	}
}

// Close closes the connection; calls in flight fail with CANCELED.
func (c *Client) Close() error { return c.conn.Close() }

// Raw returns the generated stub on the client's connection (with the retry
// interceptors), for features the wrapper does not cover.
func (c *Client) Raw() pb.DocumentServiceClient { return c.rpc }

// callCtx applies the default call timeout when ctx has no deadline.
func (c *Client) callCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok || c.cfg.callTimeout <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, c.cfg.callTimeout)
}

// Get returns one document; an *Error with IsNotFound when it is absent.
func (c *Client) Get(ctx context.Context, collection, id string) (*Document, error) {
	doc, _, err := c.GetWithReadRevision(ctx, collection, id)
	return doc, err
}

// GetWithReadRevision is Get that also returns the read's revision: every
// change of the collection up to it was stored before the read began (0:
// unknown). Watch from it to follow the collection with no gap.
func (c *Client) GetWithReadRevision(ctx context.Context, collection, id string) (*Document, int64, error) {
	ctx, cancel := c.callCtx(ctx)
	defer cancel()
	res, err := c.rpc.Get(ctx, &pb.GetRequest{Collection: collection, Id: id})
	if err != nil {
		return nil, 0, FromError(err)
	}
	return fromProto(res.GetDocument()), res.GetReadRevision(), nil
}

// PutOption modifies a Put.
type PutOption func(*pb.PutRequest)

// CreateOnly makes Put write only when no document has the id; otherwise it
// fails with IsAlreadyExists (reason DOCUMENT_ALREADY_EXISTS).
func CreateOnly() PutOption {
	return func(r *pb.PutRequest) { r.CreateOnly = true }
}

// PutLockGuarded makes Put write only while g is the lock's latest grant;
// otherwise it fails with IsLockNotHeld (reason LOCK_NOT_HELD).
func PutLockGuarded(g LockGuard) PutOption {
	return func(r *pb.PutRequest) { r.LockGuard = g.proto() }
}

// WriteOption modifies PutIfMatch, Update, Delete and DeleteIfMatch.
type WriteOption func(*writeOptions)

type writeOptions struct {
	guard      *pb.LockGuard
	expiration *pb.Expiration
}

// LockGuarded makes PutIfMatch, Delete or DeleteIfMatch write only while g
// is the lock's latest grant; otherwise it fails with IsLockNotHeld.
func LockGuarded(g LockGuard) WriteOption {
	return func(o *writeOptions) { o.guard = g.proto() }
}

func writeOpts(opts []WriteOption) writeOptions {
	var o writeOptions
	for _, f := range opts {
		f(&o)
	}
	return o
}

// Put writes data as the whole content of (collection, id), creating or
// replacing it, and returns the stored document.
func (c *Client) Put(ctx context.Context, collection, id string, data map[string]any, opts ...PutOption) (*Document, error) {
	s, err := toStruct(data)
	if err != nil {
		return nil, err
	}
	req := &pb.PutRequest{Collection: collection, Id: id, Data: s}
	for _, o := range opts {
		o(req)
	}
	ctx, cancel := c.callCtx(ctx)
	defer cancel()
	res, err := c.rpc.Put(ctx, req)
	if err != nil {
		return nil, FromError(err)
	}
	return fromProto(res.GetDocument()), nil
}

// PutIfMatch replaces the document only if its current etag is etag
// (compare-and-swap). A stale etag fails with IsEtagMismatch, the current
// etag in Metadata["currentEtag"]; a missing document with IsNotFound.
func (c *Client) PutIfMatch(ctx context.Context, collection, id string, data map[string]any, etag string, opts ...WriteOption) (*Document, error) {
	s, err := toStruct(data)
	if err != nil {
		return nil, err
	}
	ctx, cancel := c.callCtx(ctx)
	defer cancel()
	o := writeOpts(opts)
	res, err := c.rpc.PutIfMatch(ctx, &pb.PutIfMatchRequest{Collection: collection, Id: id, Data: s, Etag: etag, LockGuard: o.guard, Expiration: o.expiration})
	if err != nil {
		return nil, FromError(err)
	}
	return fromProto(res.GetDocument()), nil
}

// Create stores a new document. With id "" the server assigns a UUIDv7 id
// (read it from the returned Document); a taken id fails with
// IsAlreadyExists. CreateExpiry sets when it expires.
func (c *Client) Create(ctx context.Context, collection, id string, data map[string]any, opts ...CreateOption) (*Document, error) {
	s, err := toStruct(data)
	if err != nil {
		return nil, err
	}
	req := &pb.CreateRequest{Collection: collection, Id: id, Data: s}
	for _, o := range opts {
		o(req)
	}
	ctx, cancel := c.callCtx(ctx)
	defer cancel()
	res, err := c.rpc.Create(ctx, req)
	if err != nil {
		return nil, FromError(err)
	}
	return fromProto(res.GetDocument()), nil
}

// Delete removes the document. It is idempotent: deleted is false when
// there was nothing to delete.
func (c *Client) Delete(ctx context.Context, collection, id string, opts ...WriteOption) (deleted bool, err error) {
	return c.DeleteIfMatch(ctx, collection, id, "", opts...)
}

// DeleteIfMatch removes the document only if its current etag is etag
// (any version when etag is ""). A stale etag fails with IsEtagMismatch, a
// missing document with IsNotFound.
func (c *Client) DeleteIfMatch(ctx context.Context, collection, id, etag string, opts ...WriteOption) (deleted bool, err error) {
	deleted, _, err = c.DeleteWithRevision(ctx, collection, id, etag, opts...)
	return deleted, err
}

// DeleteWithRevision is DeleteIfMatch that also returns the delete's
// revision (its change in a Watch; 0 when nothing was deleted): watch from
// it to follow what came after your write.
func (c *Client) DeleteWithRevision(ctx context.Context, collection, id, etag string, opts ...WriteOption) (deleted bool, revision int64, err error) {
	o := writeOpts(opts)
	if o.expiration != nil {
		return false, 0, fmt.Errorf("smarterbase: delete %s/%s: WriteExpiry applies to writes of a version, not to deletes", collection, id)
	}
	ctx, cancel := c.callCtx(ctx)
	defer cancel()
	res, err := c.rpc.Delete(ctx, &pb.DeleteRequest{Collection: collection, Id: id, Etag: etag, LockGuard: o.guard})
	if err != nil {
		return false, 0, FromError(err)
	}
	return res.GetDeleted(), res.GetRevision(), nil
}

// Exists tells whether the document exists and, if so, its current etag.
func (c *Client) Exists(ctx context.Context, collection, id string) (exists bool, etag string, err error) {
	ctx, cancel := c.callCtx(ctx)
	defer cancel()
	res, err := c.rpc.Exists(ctx, &pb.ExistsRequest{Collection: collection, Id: id})
	if err != nil {
		return false, "", FromError(err)
	}
	return res.GetExists(), res.GetEtag(), nil
}

// BatchResult is the answer for one id of a BatchGet.
type BatchResult struct {
	// ID is the requested id.
	ID string
	// Found is true when the document exists.
	Found bool
	// Document is the document when Found, nil otherwise.
	Document *Document
	// ReadRevision: every change of the collection up to this revision was
	// stored before the read began (0: unknown); watch from it.
	ReadRevision int64
}

// BatchGet reads many documents of one collection at once (1 to 1000 ids,
// duplicates allowed) and returns one result per id, in request order.
func (c *Client) BatchGet(ctx context.Context, collection string, ids []string) ([]BatchResult, error) {
	ctx, cancel := c.callCtx(ctx)
	defer cancel()
	stream, err := c.rpc.BatchGet(ctx, &pb.BatchGetRequest{Collection: collection, Ids: ids})
	if err != nil {
		return nil, FromError(err)
	}
	out := make([]BatchResult, 0, len(ids))
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, FromError(err)
		}
		out = append(out, BatchResult{ID: msg.GetId(), Found: msg.GetFound(), Document: fromProto(msg.GetDocument()), ReadRevision: msg.GetReadRevision()})
	}
}
