package smarterbase

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	pb "github.com/smarterbase/smarterbase/clients/go/gen/smarterbase/v1"
)

// DownloadOptions are the optional parts of a download.
type DownloadOptions struct {
	// Offset is the first byte to send (0: the start).
	Offset int64
	// Length is the most bytes to send (0: to the end).
	Length int64
	// IfMatch downloads only that version (ETAG_MISMATCH otherwise).
	IfMatch string
	// MaxResumes bounds how often an interrupted download continues from
	// the bytes received (default 5; negative: never).
	MaxResumes int
	// Progress, when set, is called with the bytes written so far.
	Progress func(received int64)
}

// Download writes the object (or the range of it that opts select) to w and
// returns its metadata. An interruption (UNAVAILABLE, a lost connection)
// continues from the bytes already written, pinned to the first message's
// etag, so the bytes never mix two versions (a replaced object then fails
// ETAG_MISMATCH). A whole-object download is checked against the object's
// SHA-256 (ErrObjectChecksum); the server also ends a corrupt one with
// DATA_LOSS / OBJECT_CORRUPT.
func (c *Client) Download(ctx context.Context, collection, id string, w io.Writer, opts DownloadOptions) (*ObjectInfo, error) {
	maxResumes := opts.MaxResumes
	if maxResumes == 0 {
		maxResumes = 5
	}
	h := hashOf(opts.Offset, opts.Length)
	var info *ObjectInfo
	var received int64
	ifMatch := opts.IfMatch
	for attempt := 0; ; attempt++ {
		req := &pb.DownloadRequest{Collection: collection, Id: id, Offset: opts.Offset + received, IfMatch: ifMatch}
		if opts.Length > 0 {
			req.Length = opts.Length - received
		}
		got, first, err := c.downloadOnce(ctx, req, w, h, &received, opts.Progress)
		if info == nil && first != nil {
			info = first
			ifMatch = first.Etag
		}
		if err == nil {
			return info, checkHash(h, info)
		}
		if ctx.Err() != nil || attempt >= maxResumes || !isResumable(err) {
			return info, err
		}
		if got == 0 && !c.cfg.retry.wait(ctx, attempt+1, err) {
			return info, err
		}
	}
}

// downloadOnce runs one Download call, writing its data to w; it returns the
// data bytes this call wrote and the first message's metadata.
func (c *Client) downloadOnce(ctx context.Context, req *pb.DownloadRequest, w io.Writer, h io.Writer, received *int64, progress func(int64)) (int64, *ObjectInfo, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := pb.NewObjectServiceClient(c.conn).Download(ctx, req)
	if err != nil {
		return 0, nil, FromError(err)
	}
	var first *ObjectInfo
	var got int64
	for {
		m, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return got, first, nil
		}
		if err != nil {
			return got, first, FromError(err)
		}
		if first == nil && m.GetObject() != nil {
			first = objectFromProto(m.GetObject())
		}
		if want := req.GetOffset() + got; m.GetOffset() != want && len(m.GetData()) > 0 {
			return got, first, fmt.Errorf("smarterbase: download %s/%s: data at offset %d, expected %d", req.GetCollection(), req.GetId(), m.GetOffset(), want)
		}
		data := m.GetData()
		if len(data) == 0 {
			continue
		}
		if _, err := w.Write(data); err != nil {
			return got, first, fmt.Errorf("smarterbase: download %s/%s: writing: %w", req.GetCollection(), req.GetId(), err)
		}
		if h != nil {
			_, _ = h.Write(data)
		}
		got += int64(len(data))
		*received += int64(len(data))
		if progress != nil {
			progress(*received)
		}
	}
}

// DownloadFile downloads the whole object into path: the bytes go to
// path + ".part", renamed to path once complete and verified (a failed
// download leaves path untouched).
func (c *Client) DownloadFile(ctx context.Context, collection, id, path string, opts DownloadOptions) (*ObjectInfo, error) {
	part := path + ".part"
	f, err := os.Create(part)
	if err != nil {
		return nil, err
	}
	info, err := c.Download(ctx, collection, id, f, opts)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(part)
		return info, err
	}
	return info, os.Rename(part, path)
}
