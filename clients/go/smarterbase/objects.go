package smarterbase

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"time"

	"google.golang.org/grpc/codes"

	pb "github.com/smarterbase/smarterbase/clients/go/gen/smarterbase/v1"
)

// DefaultObjectChunkSize is how many bytes Upload sends per message (the
// server accepts up to 4 MiB).
const DefaultObjectChunkSize = 1 << 20

// ObjectInfo describes one stored object (ObjectService, docs/streams.md "Objects").
type ObjectInfo struct {
	Collection string
	ID         string
	// Etag changes on every write; pass it to UploadOptions.IfMatch,
	// DeleteObject or DownloadOptions.IfMatch.
	Etag string
	// Version is 1 when created, +1 on every later write.
	Version int64
	// Size is the object's length in bytes.
	Size int64
	// SHA256 is the lowercase hex SHA-256 of the whole object.
	SHA256      string
	ContentType string
	Metadata    map[string]string
	CreateTime  time.Time
	UpdateTime  time.Time
}

func objectFromProto(m *pb.ObjectMetadata) *ObjectInfo {
	if m == nil {
		return nil
	}
	return &ObjectInfo{
		Collection: m.GetCollection(), ID: m.GetId(), Etag: m.GetEtag(), Version: m.GetVersion(),
		Size: m.GetSizeBytes(), SHA256: m.GetSha256(), ContentType: m.GetContentType(), Metadata: m.GetMetadata(),
		CreateTime: m.GetCreateTime().AsTime(), UpdateTime: m.GetUpdateTime().AsTime(),
	}
}

// UploadOptions are the optional parts of an upload. At most one of
// CreateOnly, IfMatch and MustExist may be set.
type UploadOptions struct {
	// ContentType is the media type (default application/octet-stream).
	ContentType string
	// Metadata is user metadata: at most 64 entries, 2 KiB in all.
	Metadata map[string]string
	// CreateOnly fails with OBJECT_ALREADY_EXISTS when the object exists.
	CreateOnly bool
	// IfMatch replaces only that version (ETAG_MISMATCH otherwise).
	IfMatch string
	// MustExist replaces only an existing object (OBJECT_NOT_FOUND otherwise).
	MustExist bool
	// ExpectedSize, when > 0, is verified by the server before commit.
	ExpectedSize int64
	// ExpectedSHA256 (lowercase hex), when set, is verified by the server before commit.
	ExpectedSHA256 string
	// ChunkSize is the bytes per message (default DefaultObjectChunkSize).
	ChunkSize int
	// Progress, when set, is called with the bytes handed to the stream so far.
	Progress func(sent int64)
}

func (o UploadOptions) header(collection, id string) (*pb.UploadHeader, error) {
	set := 0
	h := &pb.UploadHeader{Collection: collection, Id: id, ContentType: o.ContentType, Metadata: o.Metadata,
		ExpectedSize: o.ExpectedSize, ExpectedSha256: o.ExpectedSHA256}
	if o.CreateOnly {
		set++
		h.Precondition = &pb.Precondition{Condition: &pb.Precondition_Exists{Exists: false}}
	}
	if o.IfMatch != "" {
		set++
		h.Precondition = &pb.Precondition{Condition: &pb.Precondition_Etag{Etag: o.IfMatch}}
	}
	if o.MustExist {
		set++
		h.Precondition = &pb.Precondition{Condition: &pb.Precondition_Exists{Exists: true}}
	}
	if set > 1 {
		return nil, errors.New("smarterbase: UploadOptions: set at most one of CreateOnly, IfMatch and MustExist")
	}
	return h, nil
}

// Upload stores the bytes of r as the object (collection, id) in one
// stream: nothing is visible unless it returns nil. It is not retried
// automatically (the reader cannot be rewound); on UNAVAILABLE upload again.
func (c *Client) Upload(ctx context.Context, collection, id string, r io.Reader, opts UploadOptions) (*ObjectInfo, error) {
	h, err := opts.header(collection, id)
	if err != nil {
		return nil, err
	}
	chunk := opts.ChunkSize
	if chunk <= 0 {
		chunk = DefaultObjectChunkSize
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := pb.NewObjectServiceClient(c.conn).Upload(ctx)
	if err != nil {
		return nil, FromError(err)
	}
	if err := stream.Send(&pb.UploadRequest{Kind: &pb.UploadRequest_Header{Header: h}}); err != nil {
		return nil, closeUpload(stream, err)
	}
	buf := make([]byte, chunk)
	var sent int64
	for {
		n, rerr := io.ReadFull(r, buf)
		if n > 0 {
			// A fresh slice per message: grpc-go may still hold the previous one.
			data := append([]byte(nil), buf[:n]...)
			if err := stream.Send(&pb.UploadRequest{Kind: &pb.UploadRequest_Data{Data: data}}); err != nil {
				return nil, closeUpload(stream, err)
			}
			sent += int64(n)
			if opts.Progress != nil {
				opts.Progress(sent)
			}
		}
		if errors.Is(rerr, io.EOF) || errors.Is(rerr, io.ErrUnexpectedEOF) {
			break
		}
		if rerr != nil {
			return nil, fmt.Errorf("smarterbase: upload %s/%s: reading the source: %w", collection, id, rerr)
		}
	}
	if err := stream.Send(&pb.UploadRequest{FinishWrite: true}); err != nil {
		return nil, closeUpload(stream, err)
	}
	res, err := stream.CloseAndRecv()
	if err != nil {
		return nil, FromError(err)
	}
	return objectFromProto(res.GetObject()), nil
}

// closeUpload turns a failed Send into the call's status: grpc-go reports
// io.EOF from Send when the server ended the call; its error is in CloseAndRecv.
func closeUpload(stream pb.ObjectService_UploadClient, err error) error {
	if errors.Is(err, io.EOF) {
		if _, rerr := stream.CloseAndRecv(); rerr != nil {
			return FromError(rerr)
		}
	}
	return FromError(err)
}

// UploadFile uploads the file at path, declaring its size (the server
// refuses a different byte count).
func (c *Client) UploadFile(ctx context.Context, collection, id, path string, opts UploadOptions) (*ObjectInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if opts.ExpectedSize == 0 {
		opts.ExpectedSize = st.Size()
	}
	return c.Upload(ctx, collection, id, f, opts)
}

// StatObject returns an object's metadata (OBJECT_NOT_FOUND when none).
func (c *Client) StatObject(ctx context.Context, collection, id string) (*ObjectInfo, error) {
	ctx, cancel := c.callCtx(ctx)
	defer cancel()
	res, err := pb.NewObjectServiceClient(c.conn).StatObject(ctx, &pb.StatObjectRequest{Collection: collection, Id: id})
	if err != nil {
		return nil, FromError(err)
	}
	return objectFromProto(res.GetObject()), nil
}

// DeleteObject deletes an object; with etag != "" only that version
// (ETAG_MISMATCH when stale, OBJECT_NOT_FOUND when missing). Without etag it
// is idempotent: deleted is false when nothing existed.
func (c *Client) DeleteObject(ctx context.Context, collection, id, etag string) (deleted bool, err error) {
	ctx, cancel := c.callCtx(ctx)
	defer cancel()
	res, err := pb.NewObjectServiceClient(c.conn).DeleteObject(ctx, &pb.DeleteObjectRequest{Collection: collection, Id: id, Etag: etag})
	if err != nil {
		return false, FromError(err)
	}
	return res.GetDeleted(), nil
}

// ListObjectsOptions select one page of ListObjects.
type ListObjectsOptions struct {
	PageSize  int32
	PageToken string
	IDPrefix  string
	// KeysOnly returns only collection and id (no metadata reads).
	KeysOnly bool
}

// ObjectPage is one page of ListObjects; NextPageToken is empty at the end.
type ObjectPage struct {
	Objects       []*ObjectInfo
	NextPageToken string
}

// ListObjects lists one page of a collection's objects in id order.
func (c *Client) ListObjects(ctx context.Context, collection string, opts ListObjectsOptions) (*ObjectPage, error) {
	ctx, cancel := c.callCtx(ctx)
	defer cancel()
	res, err := pb.NewObjectServiceClient(c.conn).ListObjects(ctx, &pb.ListObjectsRequest{
		Collection: collection, PageSize: opts.PageSize, PageToken: opts.PageToken, IdPrefix: opts.IDPrefix, KeysOnly: opts.KeysOnly,
	})
	if err != nil {
		return nil, FromError(err)
	}
	page := &ObjectPage{NextPageToken: res.GetNextPageToken()}
	for _, m := range res.GetObjects() {
		page.Objects = append(page.Objects, objectFromProto(m))
	}
	return page, nil
}

// ErrObjectChecksum is returned by Download when the bytes received do not
// hash to the object's recorded SHA-256 (nothing should trust them).
var ErrObjectChecksum = errors.New("smarterbase: downloaded bytes do not match the object's SHA-256")

// hashOf returns a SHA-256 hash when the download covers the whole object.
func hashOf(offset, length int64) hash.Hash {
	if offset == 0 && length == 0 {
		return sha256.New()
	}
	return nil
}

// checkHash compares the hash of the bytes received with the object's.
func checkHash(h hash.Hash, info *ObjectInfo) error {
	if h == nil || info == nil || info.SHA256 == "" {
		return nil
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != info.SHA256 {
		return fmt.Errorf("%w: got %s, object %s/%s has %s", ErrObjectChecksum, got, info.Collection, info.ID, info.SHA256)
	}
	return nil
}

// isResumable reports whether a download interrupted by err may continue
// from the bytes received: UNAVAILABLE, or the connection lost.
func isResumable(err error) bool {
	return IsCode(err, codes.Unavailable) || (IsCode(err, codes.Canceled) || IsCode(err, codes.Internal)) && ReasonOf(err) == ""
}
