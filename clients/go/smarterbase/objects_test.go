package smarterbase

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/smarterbase/smarterbase/clients/go/gen/smarterbase/v1"
)

// fakeObjects is an in-process ObjectService: Upload keeps what it received,
// Download serves `body` and fails call n as failAt[n] says (after that many
// data bytes), recording each Download request.
type fakeObjects struct {
	pb.UnimplementedObjectServiceServer
	mu        sync.Mutex
	uploaded  []byte
	header    *pb.UploadHeader
	finished  bool
	messages  int
	body      []byte
	sha       string
	etag      string
	failAt    map[int]int
	downloads []*pb.DownloadRequest
}

func (f *fakeObjects) Upload(s grpc.ClientStreamingServer[pb.UploadRequest, pb.UploadResponse]) error {
	for {
		m, err := s.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		f.mu.Lock()
		f.messages++
		if h := m.GetHeader(); h != nil {
			f.header = h
		}
		f.uploaded = append(f.uploaded, m.GetData()...)
		f.finished = f.finished || m.GetFinishWrite()
		f.mu.Unlock()
	}
	sum := sha256.Sum256(f.uploaded)
	return s.SendAndClose(&pb.UploadResponse{Object: &pb.ObjectMetadata{
		Collection: f.header.GetCollection(), Id: f.header.GetId(), Etag: "e1", Version: 1,
		SizeBytes: int64(len(f.uploaded)), Sha256: hex.EncodeToString(sum[:]),
	}})
}

func (f *fakeObjects) Download(req *pb.DownloadRequest, s grpc.ServerStreamingServer[pb.DownloadResponse]) error {
	f.mu.Lock()
	f.downloads = append(f.downloads, req)
	n := len(f.downloads)
	f.mu.Unlock()
	if req.GetIfMatch() != "" && req.GetIfMatch() != f.etag {
		return sbStatusPlain(codes.Aborted, ReasonEtagMismatch)
	}
	meta := &pb.ObjectMetadata{Collection: req.GetCollection(), Id: req.GetId(), Etag: f.etag, SizeBytes: int64(len(f.body)), Sha256: f.sha}
	if err := s.Send(&pb.DownloadResponse{Object: meta, Offset: req.GetOffset()}); err != nil {
		return err
	}
	end := int64(len(f.body))
	if req.GetLength() > 0 && req.GetOffset()+req.GetLength() < end {
		end = req.GetOffset() + req.GetLength()
	}
	limit, failing := f.failAt[n]
	sent := 0
	for off := req.GetOffset(); off < end; off += 1000 {
		stop := min(off+1000, end)
		if failing && sent+int(stop-off) > limit {
			return sbStatusPlain(codes.Unavailable, ReasonBackendUnavailable)
		}
		if err := s.Send(&pb.DownloadResponse{Offset: off, Data: f.body[off:stop]}); err != nil {
			return err
		}
		sent += int(stop - off)
	}
	return nil
}

// sbStatusPlain is a server status with ErrorInfo, built inside a handler (no *testing.T there).
func sbStatusPlain(code codes.Code, reason Reason) error {
	st, err := status.New(code, "scripted "+string(reason)).WithDetails(&errdetails.ErrorInfo{Reason: string(reason), Domain: ErrorDomain})
	if err != nil {
		return status.Error(codes.Internal, err.Error())
	}
	return st.Err()
}

func startObjects(t *testing.T, f *fakeObjects) *Client {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	pb.RegisterObjectServiceServer(srv, f)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	c, err := Dial(context.Background(), lis.Addr().String(), fastRetry)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func fakeBody(n int) ([]byte, string) {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/256)
	}
	sum := sha256.Sum256(b)
	return b, hex.EncodeToString(sum[:])
}

func TestUploadSendsHeaderChunksAndFinish(t *testing.T) {
	f := &fakeObjects{}
	c := startObjects(t, f)
	body, sha := fakeBody(2500)
	var progress []int64
	info, err := c.Upload(context.Background(), "c", "x", bytes.NewReader(body), UploadOptions{
		CreateOnly: true, ContentType: "text/plain", ChunkSize: 1000, Progress: func(n int64) { progress = append(progress, n) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if info.SHA256 != sha || info.Size != 2500 || !bytes.Equal(f.uploaded, body) || !f.finished {
		t.Fatalf("uploaded %d bytes (finished %v), info %+v", len(f.uploaded), f.finished, info)
	}
	if f.messages != 5 || f.header.GetPrecondition().GetExists() || f.header.GetPrecondition() == nil || f.header.GetContentType() != "text/plain" {
		t.Fatalf("messages %d, header %v", f.messages, f.header)
	}
	if len(progress) != 3 || progress[2] != 2500 {
		t.Fatalf("progress %v", progress)
	}
}

func TestUploadRefusesTwoPreconditions(t *testing.T) {
	c := startObjects(t, &fakeObjects{})
	if _, err := c.Upload(context.Background(), "c", "x", bytes.NewReader(nil), UploadOptions{CreateOnly: true, IfMatch: "e"}); err == nil {
		t.Fatal("expected an error")
	}
}

func TestDownloadResumesFromTheBytesReceivedPinnedToTheEtag(t *testing.T) {
	body, sha := fakeBody(10_000)
	f := &fakeObjects{body: body, sha: sha, etag: "v7", failAt: map[int]int{1: 3000, 2: 4000}}
	c := startObjects(t, f)
	var out bytes.Buffer
	info, err := c.Download(context.Background(), "c", "x", &out, DownloadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes(), body) || info.Etag != "v7" {
		t.Fatalf("got %d bytes, info %+v", out.Len(), info)
	}
	if len(f.downloads) != 3 {
		t.Fatalf("%d calls", len(f.downloads))
	}
	for i, want := range []int64{0, 3000, 7000} {
		d := f.downloads[i]
		if d.GetOffset() != want || (i > 0 && d.GetIfMatch() != "v7") {
			t.Fatalf("call %d: offset %d if_match %q", i+1, d.GetOffset(), d.GetIfMatch())
		}
	}
}

func TestDownloadFailsOnAChecksumMismatchAndKeepsNoFile(t *testing.T) {
	body, _ := fakeBody(5000)
	f := &fakeObjects{body: body, sha: "00", etag: "v1"}
	c := startObjects(t, f)
	path := filepath.Join(t.TempDir(), "out.bin")
	_, err := c.DownloadFile(context.Background(), "c", "x", path, DownloadOptions{})
	if !errors.Is(err, ErrObjectChecksum) {
		t.Fatalf("err %v", err)
	}
	if _, serr := os.Stat(path); !os.IsNotExist(serr) {
		t.Fatalf("file left behind: %v", serr)
	}
	if _, serr := os.Stat(path + ".part"); !os.IsNotExist(serr) {
		t.Fatalf("part file left behind: %v", serr)
	}
}

func TestDownloadRangeIsNotHashedAndStopsAtItsLength(t *testing.T) {
	body, _ := fakeBody(5000)
	f := &fakeObjects{body: body, sha: "00", etag: "v1", failAt: map[int]int{1: 1500}}
	c := startObjects(t, f)
	var out bytes.Buffer
	if _, err := c.Download(context.Background(), "c", "x", &out, DownloadOptions{Offset: 1000, Length: 2500}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes(), body[1000:3500]) {
		t.Fatalf("got %d bytes", out.Len())
	}
	if d := f.downloads[1]; d.GetOffset() != 2000 || d.GetLength() != 1500 {
		t.Fatalf("resume asked offset %d length %d", d.GetOffset(), d.GetLength())
	}
}

func TestDownloadGivesUpOnANonRetryableError(t *testing.T) {
	body, sha := fakeBody(100)
	f := &fakeObjects{body: body, sha: sha, etag: "v1"}
	c := startObjects(t, f)
	_, err := c.Download(context.Background(), "c", "x", io.Discard, DownloadOptions{IfMatch: "stale"})
	if !IsEtagMismatch(err) || len(f.downloads) != 1 {
		t.Fatalf("err %v after %d calls", err, len(f.downloads))
	}
}
