package smarterbase

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"

	pb "github.com/smarterbase/smarterbase/clients/go/gen/smarterbase/v1"
)

// writeStep scripts one WriteUpload call of fakeResumable: busy fails it at
// once with UPLOAD_BUSY and a RetryInfo delay; otherwise, once after bytes
// were received in the call, it keeps them minus lose (bytes the server never
// made durable) and fails with UNAVAILABLE, or by cutting every connection
// when drop is set.
type writeStep struct {
	busy  time.Duration
	after int
	lose  int
	drop  bool
}

// fakeUpload is one session of fakeResumable.
type fakeUpload struct {
	header   *pb.UploadHeader
	data     []byte
	complete bool
}

// fakeResumable keeps resumable uploads in memory with the server's offset
// rules (ADR 0013 §3): a write starts at most at the committed size (above:
// UPLOAD_OFFSET_MISMATCH), bytes below it are skipped, data after completion
// is UPLOAD_FINISHED, an unknown id UPLOAD_NOT_FOUND. Write call n (0-based)
// plays script[n].
type fakeResumable struct {
	pb.UnimplementedObjectServiceServer
	t       *testing.T
	lis     *trackingListener
	mu      sync.Mutex
	script  []writeStep
	uploads map[string]*fakeUpload
	offsets []int64 // the write_offset of each WriteUpload call
	started int
	queries int
}

func (f *fakeResumable) session(id string) (*fakeUpload, error) {
	u := f.uploads[id]
	if u == nil {
		return nil, sbStatus(f.t, codes.NotFound, ReasonUploadNotFound, nil)
	}
	return u, nil
}

func (f *fakeResumable) meta(u *fakeUpload) *pb.ObjectMetadata {
	if !u.complete {
		return nil
	}
	sum := sha256.Sum256(u.data)
	return &pb.ObjectMetadata{Collection: u.header.GetCollection(), Id: u.header.GetId(), Etag: "e1", Version: 1,
		SizeBytes: int64(len(u.data)), Sha256: hex.EncodeToString(sum[:])}
}

func (f *fakeResumable) StartUpload(_ context.Context, req *pb.StartUploadRequest) (*pb.StartUploadResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.started++
	id := fmt.Sprintf("u%d", f.started)
	f.uploads[id] = &fakeUpload{header: req.GetHeader()}
	return &pb.StartUploadResponse{UploadId: id, PartSizeBytes: 8 << 20}, nil
}

func (f *fakeResumable) WriteUpload(s grpc.ClientStreamingServer[pb.WriteUploadRequest, pb.WriteUploadResponse]) error {
	var u *fakeUpload
	var step writeStep
	var at int64
	received := 0
	for {
		m, err := s.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		f.mu.Lock()
		if u == nil {
			if u, err = f.session(m.GetUploadId()); err != nil {
				f.mu.Unlock()
				return err
			}
			at = m.GetWriteOffset()
			if n := len(f.offsets); n < len(f.script) {
				step = f.script[n]
			}
			f.offsets = append(f.offsets, at)
			if step.busy > 0 {
				f.mu.Unlock()
				return sbStatus(f.t, codes.Aborted, ReasonUploadBusy, nil, retryInfo(step.busy))
			}
		}
		err = f.accept(u, at, m.GetData())
		at += int64(len(m.GetData()))
		received += len(m.GetData())
		if err == nil && step.after > 0 && received >= step.after {
			u.data = u.data[:max(0, len(u.data)-step.lose)]
			err = sbStatus(f.t, codes.Unavailable, ReasonBackendUnavailable, nil)
			if step.drop {
				f.lis.closeAll()
			}
		}
		if err == nil && m.GetFinishWrite() {
			u.complete = true
		}
		f.mu.Unlock()
		if err != nil {
			return err
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if u == nil {
		return sbStatus(f.t, codes.InvalidArgument, ReasonUploadNotFound, nil)
	}
	return s.SendAndClose(&pb.WriteUploadResponse{CommittedSize: int64(len(u.data)), Complete: u.complete, Object: f.meta(u)})
}

// accept appends data at object offset at under the offset rules.
func (f *fakeResumable) accept(u *fakeUpload, at int64, data []byte) error {
	if u.complete {
		return sbStatus(f.t, codes.FailedPrecondition, ReasonUploadFinished, nil)
	}
	if at > int64(len(u.data)) {
		return sbStatus(f.t, codes.FailedPrecondition, ReasonUploadOffsetMismatch, nil)
	}
	if skip := int64(len(u.data)) - at; skip < int64(len(data)) {
		u.data = append(u.data, data[skip:]...)
	}
	return nil
}

func (f *fakeResumable) QueryUploadStatus(_ context.Context, req *pb.QueryUploadStatusRequest) (*pb.QueryUploadStatusResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queries++
	u, err := f.session(req.GetUploadId())
	if err != nil {
		return nil, err
	}
	return &pb.QueryUploadStatusResponse{CommittedSize: int64(len(u.data)), Complete: u.complete, Object: f.meta(u)}, nil
}

func (f *fakeResumable) AbortUpload(_ context.Context, req *pb.AbortUploadRequest) (*pb.AbortUploadResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.session(req.GetUploadId()); err != nil {
		return nil, err
	}
	delete(f.uploads, req.GetUploadId())
	return &pb.AbortUploadResponse{}, nil
}

func (f *fakeResumable) stored(id string) []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]byte(nil), f.uploads[id].data...)
}

func startResumable(t *testing.T, script ...writeStep) (*Client, *fakeResumable) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeResumable{t: t, lis: &trackingListener{Listener: l}, script: script, uploads: map[string]*fakeUpload{}}
	srv := grpc.NewServer()
	pb.RegisterObjectServiceServer(srv, f)
	go func() { _ = srv.Serve(f.lis) }()
	t.Cleanup(srv.Stop)
	c, err := Dial(context.Background(), l.Addr().String(), fastRetry)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c, f
}

// monotone fails the test when a progress report goes backwards.
func monotone(t *testing.T, ps []UploadProgress) {
	t.Helper()
	for i := 1; i < len(ps); i++ {
		if ps[i].Committed < ps[i-1].Committed || ps[i].Sent < ps[i-1].Sent {
			t.Fatalf("progress went backwards: %+v then %+v", ps[i-1], ps[i])
		}
	}
}

func TestUploadResumableStreamsWithHeaderIDAndProgress(t *testing.T) {
	c, f := startResumable(t)
	body, sum := fakeBody(5000)
	var ids []string
	var ps []UploadProgress
	info, err := c.Objects().UploadResumable(context.Background(), "c", "x", bytes.NewReader(body), ResumableOptions{
		UploadOptions: UploadOptions{CreateOnly: true, ContentType: "text/plain", ChunkSize: 1000},
		OnUploadID:    func(id string) { ids = append(ids, id) },
		OnProgress:    func(p UploadProgress) { ps = append(ps, p) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if info.SHA256 != sum || info.Size != 5000 || !reflect.DeepEqual(ids, []string{"u1"}) || !reflect.DeepEqual(f.offsets, []int64{0}) {
		t.Fatalf("info %+v ids %v offsets %v", info, ids, f.offsets)
	}
	h := f.uploads["u1"].header
	if h.GetExpectedSize() != 5000 || h.GetContentType() != "text/plain" || h.GetPrecondition().GetExists() {
		t.Fatalf("header %v", h)
	}
	monotone(t, ps)
	if last := ps[len(ps)-1]; last != (UploadProgress{Committed: 5000, Sent: 5000, Total: 5000}) {
		t.Fatalf("last progress %+v", last)
	}
}

func TestUploadResumableResumesAfterUnavailableDropAndBusy(t *testing.T) {
	c, f := startResumable(t, writeStep{after: 3000}, writeStep{after: 4000, drop: true}, writeStep{busy: 3 * time.Millisecond})
	body, sum := fakeBody(20_000)
	var ps []UploadProgress
	info, err := c.Objects().UploadResumable(context.Background(), "c", "x", bytes.NewReader(body), ResumableOptions{
		UploadOptions: UploadOptions{ChunkSize: 1000},
		OnProgress:    func(p UploadProgress) { ps = append(ps, p) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if info.SHA256 != sum || !bytes.Equal(f.stored("u1"), body) {
		t.Fatal("stored bytes differ from the source")
	}
	if !reflect.DeepEqual(f.offsets, []int64{0, 3000, 7000, 7000}) || f.started != 1 || f.queries != 3 {
		t.Fatalf("offsets %v started %d queries %d", f.offsets, f.started, f.queries)
	}
	monotone(t, ps)
}

func TestUploadResumableResendsFromALowerCommittedSize(t *testing.T) {
	c, f := startResumable(t, writeStep{after: 6000, lose: 2500})
	body, _ := fakeBody(10_000)
	if _, err := c.Objects().UploadResumable(context.Background(), "c", "x", bytes.NewReader(body), ResumableOptions{UploadOptions: UploadOptions{ChunkSize: 1000}}); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(f.offsets, []int64{0, 3500}) || !bytes.Equal(f.stored("u1"), body) {
		t.Fatalf("offsets %v", f.offsets)
	}
}

func TestUploadResumableBoundsFruitlessResumes(t *testing.T) {
	script := make([]writeStep, 10)
	for i := range script {
		script[i] = writeStep{after: 1, lose: 1000}
	}
	c, f := startResumable(t, script...)
	body, _ := fakeBody(100)
	_, err := c.Objects().UploadResumable(context.Background(), "c", "x", bytes.NewReader(body), ResumableOptions{MaxResumes: 3})
	if !IsCode(err, codes.Unavailable) || !reflect.DeepEqual(f.offsets, []int64{0, 0, 0, 0}) {
		t.Fatalf("err %v offsets %v", err, f.offsets)
	}
	_, err = c.Objects().UploadResumable(context.Background(), "c", "x", bytes.NewReader(body), ResumableOptions{UploadID: "nope"})
	if ReasonOf(err) != ReasonUploadNotFound || len(f.offsets) != 4 {
		t.Fatalf("err %v offsets %v", err, f.offsets)
	}
}

func TestUploadResumableContinuesByIDAndAborts(t *testing.T) {
	// write 3 (the second upload) keeps nothing and fails
	c, f := startResumable(t, writeStep{after: 4000, drop: true}, writeStep{}, writeStep{after: 1, lose: 100_000})
	body, _ := fakeBody(12_345)
	path := filepath.Join(t.TempDir(), "src.bin")
	if err := os.WriteFile(path, body, 0o600); err != nil {
		t.Fatal(err)
	}
	var saved string
	opts := ResumableOptions{UploadOptions: UploadOptions{ChunkSize: 1000}, MaxResumes: -1, OnUploadID: func(id string) { saved = id }}
	if _, err := c.Objects().UploadFileResumable(context.Background(), "c", "x", path, opts); err == nil || saved != "u1" {
		t.Fatalf("first attempt: err %v, id %q", err, saved)
	}
	info, err := c.Objects().UploadFileResumable(context.Background(), "c", "x", path, ResumableOptions{UploadID: saved, UploadOptions: UploadOptions{ChunkSize: 1000}})
	if err != nil {
		t.Fatal(err)
	}
	if info.Size != 12_345 || f.started != 1 || !reflect.DeepEqual(f.offsets, []int64{0, 4000}) || !bytes.Equal(f.stored("u1"), body) {
		t.Fatalf("info %+v started %d offsets %v", info, f.started, f.offsets)
	}
	// An unfinished upload: its status, then abort; a second abort finds nothing.
	var other string
	_, _ = c.Objects().UploadResumable(context.Background(), "c", "y", bytes.NewReader(body), ResumableOptions{
		MaxResumes: -1, OnUploadID: func(id string) { other = id },
	})
	st, err := c.Objects().UploadStatus(context.Background(), other)
	if err != nil || st.Committed != 0 || st.Object != nil {
		t.Fatalf("status %+v err %v", st, err)
	}
	if err := c.Objects().AbortUpload(context.Background(), other); err != nil {
		t.Fatal(err)
	}
	if err := c.Objects().AbortUpload(context.Background(), other); ReasonOf(err) != ReasonUploadNotFound {
		t.Fatalf("second abort: %v", err)
	}
}
