package smarterbase

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"google.golang.org/grpc"

	pb "github.com/smarterbase/smarterbase/clients/go/gen/smarterbase/v1"
)

// Resumable uploads (ADR 0013 §3, §13): StartUpload opens a session any
// server can continue; the bytes go in one WriteUpload stream ending with
// finish_write. After UNAVAILABLE, a lost connection, UPLOAD_BUSY (after its
// RetryInfo delay) or UPLOAD_OFFSET_MISMATCH, the helper asks
// QueryUploadStatus for the committed size, seeks the source there and writes
// again: the server skips bytes below its committed size, so resending is
// harmless. Its unary calls skip the automatic retry (noAutoRetryKey), so
// attempts are counted here only.

// MaxObjectChunkSize is the most data bytes the server accepts per message.
const MaxObjectChunkSize = 4 << 20

// UploadProgress is one progress report of a resumable upload.
type UploadProgress struct {
	// Committed is the bytes the server confirmed durable; it never decreases.
	Committed int64
	// Sent is the highest object offset handed to the stream so far (resent
	// bytes count once); it never decreases.
	Sent int64
	// Total is the source's size.
	Total int64
}

// ResumableOptions are the optional parts of Objects.UploadResumable: the
// header options of Upload (UploadOptions.Progress, when set, is called with
// UploadProgress.Sent) plus the resume controls.
type ResumableOptions struct {
	UploadOptions
	// UploadID continues this upload (for example persisted from OnUploadID
	// before a restart) instead of starting one; the header options are then
	// ignored.
	UploadID string
	// OnUploadID, when set, is called once with the upload id before any byte
	// is sent, so that the caller can persist it.
	OnUploadID func(uploadID string)
	// MaxResumes bounds the resumes in a row that commit nothing new
	// (default 10; negative: never resume).
	MaxResumes int
	// OnProgress, when set, is called after each message sent and each
	// committed size the server confirms.
	OnProgress func(UploadProgress)
}

// UploadStatus is what QueryUploadStatus says of a resumable upload.
type UploadStatus struct {
	// Committed is the bytes durably stored.
	Committed int64
	// Object is the committed object once the upload is complete, else nil.
	Object *ObjectInfo
}

// UploadResumable stores the bytes of r (from offset 0 to its end) as the
// object (collection, id) through a resumable upload that continues by itself
// after a dropped connection, UNAVAILABLE or UPLOAD_BUSY. r's size is declared
// as the expected size unless opts set one. Use bytes.NewReader for bytes.
func (o *Objects) UploadResumable(ctx context.Context, collection, id string, r io.ReadSeeker, opts ResumableOptions) (*ObjectInfo, error) {
	total, err := r.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, fmt.Errorf("smarterbase: upload %s/%s: measuring the source: %w", collection, id, err)
	}
	if opts.ExpectedSize == 0 {
		opts.ExpectedSize = total
	}
	u := &resumable{o: o, r: r, opts: opts, total: total}
	return u.run(ctx, collection, id)
}

// UploadFileResumable uploads the file at path with UploadResumable.
func (o *Objects) UploadFileResumable(ctx context.Context, collection, id, path string, opts ResumableOptions) (*ObjectInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return o.UploadResumable(ctx, collection, id, f, opts)
}

// AbortUpload discards an unfinished resumable upload and its stored parts.
func (o *Objects) AbortUpload(ctx context.Context, uploadID string) error {
	ctx, cancel := o.c.callCtx(ctx)
	defer cancel()
	if _, err := pb.NewObjectServiceClient(o.c.conn).AbortUpload(ctx, &pb.AbortUploadRequest{UploadId: uploadID}); err != nil {
		return FromError(err)
	}
	return nil
}

// UploadStatus returns a resumable upload's committed size, and the object
// once it is complete.
func (o *Objects) UploadStatus(ctx context.Context, uploadID string) (*UploadStatus, error) {
	ctx, cancel := o.c.callCtx(ctx)
	defer cancel()
	res, err := pb.NewObjectServiceClient(o.c.conn).QueryUploadStatus(ctx, &pb.QueryUploadStatusRequest{UploadId: uploadID})
	if err != nil {
		return nil, FromError(err)
	}
	return statusOf(res.GetCommittedSize(), res.GetComplete(), res.GetObject()), nil
}

func statusOf(committed int64, complete bool, m *pb.ObjectMetadata) *UploadStatus {
	st := &UploadStatus{Committed: committed}
	if complete {
		st.Object = objectFromProto(m)
	}
	return st
}

// isUploadResumable reports whether a write that failed with err continues
// after a status query: a resumable transport error, UPLOAD_BUSY or
// UPLOAD_OFFSET_MISMATCH.
func isUploadResumable(err error) bool {
	r := ReasonOf(err)
	return isResumable(err) || r == ReasonUploadBusy || r == ReasonUploadOffsetMismatch
}

// resumable is one run of UploadResumable.
type resumable struct {
	o         *Objects
	r         io.ReadSeeker
	opts      ResumableOptions
	total     int64
	committed int64
	sent      int64
}

func (u *resumable) rpc() pb.ObjectServiceClient { return pb.NewObjectServiceClient(u.o.c.conn) }

func (u *resumable) run(ctx context.Context, collection, id string) (*ObjectInfo, error) {
	uploadID := u.opts.UploadID
	if uploadID == "" {
		h, err := u.opts.header(collection, id)
		if err != nil {
			return nil, err
		}
		cctx, cancel := u.o.c.callCtx(ctx)
		res, err := u.rpc().StartUpload(cctx, &pb.StartUploadRequest{Header: h})
		cancel()
		if err != nil {
			return nil, FromError(err)
		}
		uploadID = res.GetUploadId()
	}
	if u.opts.OnUploadID != nil {
		u.opts.OnUploadID(uploadID)
	}
	return u.loop(ctx, uploadID, u.opts.UploadID != "")
}

// loop writes from the committed size until the object commits; after a
// resumable error it waits (backoff, at least the RetryInfo delay) and asks
// the status before writing again. Resumes in a row that commit nothing are
// bounded by MaxResumes.
func (u *resumable) loop(ctx context.Context, uploadID string, needQuery bool) (*ObjectInfo, error) {
	maxResumes := u.opts.MaxResumes
	if maxResumes == 0 {
		maxResumes = 10
	}
	fruitless, mark, offset := 0, int64(-1), int64(0)
	for {
		st, err := u.attempt(ctx, uploadID, &needQuery, &offset)
		if err == nil && st.Object != nil {
			return st.Object, nil
		}
		if err == nil {
			return nil, fmt.Errorf("smarterbase: upload %s: the write ended without committing the object", uploadID)
		}
		if u.committed > mark && !needQuery {
			// the query of this attempt showed progress since the last resume
			fruitless = 0
		}
		if ctx.Err() != nil || fruitless >= maxResumes || !isUploadResumable(err) {
			return nil, err
		}
		fruitless++
		mark = u.committed
		if !u.o.c.cfg.retry.wait(ctx, fruitless, err) {
			return nil, err
		}
		needQuery = true
	}
}

// attempt asks the status when needQuery is set (a complete upload ends
// there), then writes from the committed size.
func (u *resumable) attempt(ctx context.Context, uploadID string, needQuery *bool, offset *int64) (*UploadStatus, error) {
	if *needQuery {
		st, err := u.query(ctx, uploadID)
		if err != nil || st.Object != nil {
			return st, err
		}
		*offset, *needQuery = st.Committed, false
	}
	return u.write(ctx, uploadID, *offset)
}

// query asks QueryUploadStatus once (no automatic retry).
func (u *resumable) query(ctx context.Context, uploadID string) (*UploadStatus, error) {
	ctx, cancel := u.o.c.callCtx(context.WithValue(ctx, noAutoRetryKey{}, true))
	defer cancel()
	res, err := u.rpc().QueryUploadStatus(ctx, &pb.QueryUploadStatusRequest{UploadId: uploadID})
	if err != nil {
		return nil, FromError(err)
	}
	return u.learn(res.GetCommittedSize(), res.GetComplete(), res.GetObject()), nil
}

// learn records a committed size the server confirmed.
func (u *resumable) learn(committed int64, complete bool, m *pb.ObjectMetadata) *UploadStatus {
	u.committed = max(u.committed, committed)
	u.report()
	return statusOf(committed, complete, m)
}

func (u *resumable) report() {
	if u.opts.OnProgress != nil {
		u.opts.OnProgress(UploadProgress{Committed: u.committed, Sent: u.sent, Total: u.total})
	}
}

func (u *resumable) noteSent(end int64) {
	if end <= u.sent {
		return
	}
	u.sent = end
	if u.opts.Progress != nil {
		u.opts.Progress(end)
	}
	u.report()
}

// write sends one WriteUpload stream from offset to the source's end.
func (u *resumable) write(ctx context.Context, uploadID string, offset int64) (*UploadStatus, error) {
	if _, err := u.r.Seek(offset, io.SeekStart); err != nil {
		return nil, fmt.Errorf("smarterbase: upload %s: seeking the source to %d: %w", uploadID, offset, err)
	}
	chunk := u.opts.ChunkSize
	if chunk <= 0 {
		chunk = DefaultObjectChunkSize
	}
	chunk = min(chunk, MaxObjectChunkSize)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := u.rpc().WriteUpload(ctx)
	if err != nil {
		return nil, FromError(err)
	}
	buf := make([]byte, chunk)
	at, first := offset, true
	for {
		n, rerr := io.ReadFull(u.r, buf)
		last := errors.Is(rerr, io.EOF) || errors.Is(rerr, io.ErrUnexpectedEOF)
		if rerr != nil && !last {
			return nil, fmt.Errorf("smarterbase: upload %s: reading the source: %w", uploadID, rerr)
		}
		// A fresh slice per message: grpc-go may still hold the previous one.
		m := &pb.WriteUploadRequest{Data: append([]byte(nil), buf[:n]...), FinishWrite: last}
		if first {
			m.UploadId, m.WriteOffset, first = uploadID, offset, false
		}
		if err := stream.Send(m); err != nil {
			return nil, closeWrite(stream, err)
		}
		at += int64(n)
		u.noteSent(at)
		if last {
			break
		}
	}
	res, err := stream.CloseAndRecv()
	if err != nil {
		return nil, FromError(err)
	}
	return u.learn(res.GetCommittedSize(), res.GetComplete(), res.GetObject()), nil
}

// closeWrite turns a failed Send into the call's status (see closeUpload).
func closeWrite(stream grpc.ClientStreamingClient[pb.WriteUploadRequest, pb.WriteUploadResponse], err error) error {
	if errors.Is(err, io.EOF) {
		if _, rerr := stream.CloseAndRecv(); rerr != nil {
			return FromError(rerr)
		}
	}
	return FromError(err)
}
