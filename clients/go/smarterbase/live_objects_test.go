package smarterbase_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/smarterbase/smarterbase/clients/go/smarterbase"
)

// Objects against the live server (S3 + Redis in CI): a 20 MiB object (a
// multipart upload above the 8 MiB part size) round trips with its SHA-256,
// create-only refuses a second upload, stat/list/delete follow the etag.

func TestLiveObjectRoundTripCreateOnlyAndConditionalDelete(t *testing.T) {
	c := liveClient(t)
	col := collection(t)
	body := make([]byte, 20<<20)
	for i := range body {
		body[i] = byte(i*31 + i>>12)
	}
	sum := sha256.Sum256(body)
	want := hex.EncodeToString(sum[:])
	path := filepath.Join(t.TempDir(), "in.bin")
	if err := os.WriteFile(path, body, 0o600); err != nil {
		t.Fatal(err)
	}
	var lastProgress int64
	info, err := c.Objects().UploadFile(ctx, col, "big", path, smarterbase.UploadOptions{
		CreateOnly: true, ContentType: "application/octet-stream", Metadata: map[string]string{"k": "v"},
		Progress: func(n int64) { lastProgress = n },
	})
	if err != nil {
		t.Fatal(err)
	}
	if info.SHA256 != want || info.Size != int64(len(body)) || info.Version != 1 || lastProgress != int64(len(body)) {
		t.Fatalf("uploaded %+v (progress %d), want sha256 %s", info, lastProgress, want)
	}
	_, err = c.Objects().Upload(ctx, col, "big", bytes.NewReader([]byte("other")), smarterbase.UploadOptions{CreateOnly: true})
	if !smarterbase.HasReason(err, smarterbase.ReasonObjectAlreadyExists) {
		t.Fatalf("second create-only upload: %v", err)
	}
	out := filepath.Join(t.TempDir(), "out.bin")
	got, err := c.Objects().DownloadFile(ctx, col, "big", out, smarterbase.DownloadOptions{})
	if err != nil || got.Etag != info.Etag {
		t.Fatalf("download: %v (etag %s want %s)", err, got.Etag, info.Etag)
	}
	if read, _ := os.ReadFile(out); !bytes.Equal(read, body) {
		t.Fatal("downloaded bytes differ")
	}
	var part bytes.Buffer
	if _, err := c.Objects().Download(ctx, col, "big", &part, smarterbase.DownloadOptions{Offset: 9 << 20, Length: 1000, IfMatch: info.Etag}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(part.Bytes(), body[9<<20:9<<20+1000]) {
		t.Fatal("ranged download differs")
	}
	st, err := c.Objects().Stat(ctx, col, "big")
	if err != nil || st.Etag != info.Etag || st.Metadata["k"] != "v" {
		t.Fatalf("stat: %+v %v", st, err)
	}
	page, err := c.Objects().List(ctx, col, smarterbase.ListObjectsOptions{})
	if err != nil || len(page.Objects) != 1 || page.Objects[0].ID != "big" {
		t.Fatalf("list: %+v %v", page, err)
	}
	if _, err := c.Objects().Delete(ctx, col, "big", "stale"); !smarterbase.IsEtagMismatch(err) {
		t.Fatalf("delete with a stale etag: %v", err)
	}
	if deleted, err := c.Objects().Delete(ctx, col, "big", info.Etag); err != nil || !deleted {
		t.Fatalf("delete: %v %v", deleted, err)
	}
	if _, err := c.Objects().Stat(ctx, col, "big"); !smarterbase.HasReason(err, smarterbase.ReasonObjectNotFound) {
		t.Fatalf("stat after delete: %v", err)
	}
}

// failingReader is a ReadSeeker whose reads fail once the offset reaches
// failAt (the first attempt of a process that dies mid-upload), until heal.
type failingReader struct {
	*bytes.Reader
	failAt int64
	failed bool
}

func (r *failingReader) Read(p []byte) (int, error) {
	pos, _ := r.Seek(0, io.SeekCurrent)
	if r.failAt > 0 && pos+int64(len(p)) > r.failAt {
		r.failed = true
		return 0, errors.New("the source process died")
	}
	return r.Reader.Read(p)
}

// A resumable upload of 20 MiB stops at 12 MiB (the source fails, as when the
// uploading process dies); continued by its id it commits the exact bytes,
// without a second StartUpload. AbortUpload makes an id unknown.
func TestLiveResumableUploadContinuesByID(t *testing.T) {
	c := liveClient(t)
	col := collection(t)
	body := make([]byte, 20<<20)
	for i := range body {
		body[i] = byte(i*13 + i>>10)
	}
	sum := sha256.Sum256(body)
	src := &failingReader{Reader: bytes.NewReader(body), failAt: 12 << 20}
	var uploadID string
	_, err := c.Objects().UploadResumable(ctx, col, "resumed", src, smarterbase.ResumableOptions{
		UploadOptions: smarterbase.UploadOptions{CreateOnly: true},
		MaxResumes:    -1,
		OnUploadID:    func(id string) { uploadID = id },
	})
	if err == nil || !src.failed || uploadID == "" {
		t.Fatalf("first attempt: err %v, failed %v, id %q", err, src.failed, uploadID)
	}
	st, err := c.Objects().UploadStatus(ctx, uploadID)
	if err != nil || st.Committed > 12<<20 || st.Object != nil {
		t.Fatalf("status after the stop: %+v %v", st, err)
	}
	src.failAt = 0
	var ps []smarterbase.UploadProgress
	info, err := c.Objects().UploadResumable(ctx, col, "resumed", src, smarterbase.ResumableOptions{
		UploadID:   uploadID,
		OnProgress: func(p smarterbase.UploadProgress) { ps = append(ps, p) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if info.SHA256 != hex.EncodeToString(sum[:]) || info.Size != int64(len(body)) || info.Version != 1 {
		t.Fatalf("object %+v", info)
	}
	if last := ps[len(ps)-1]; last.Committed != int64(len(body)) {
		t.Fatalf("last progress %+v", last)
	}
	var got bytes.Buffer
	if _, err := c.Objects().Download(ctx, col, "resumed", &got, smarterbase.DownloadOptions{}); err != nil || !bytes.Equal(got.Bytes(), body) {
		t.Fatalf("download: %v (equal %v)", err, bytes.Equal(got.Bytes(), body))
	}
	var abortID string
	_, _ = c.Objects().UploadResumable(ctx, col, "aborted", &failingReader{Reader: bytes.NewReader(body), failAt: 1 << 20},
		smarterbase.ResumableOptions{MaxResumes: -1, OnUploadID: func(id string) { abortID = id }})
	if err := c.Objects().AbortUpload(ctx, abortID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Objects().UploadStatus(ctx, abortID); !smarterbase.HasReason(err, smarterbase.ReasonUploadNotFound) {
		t.Fatalf("status after abort: %v", err)
	}
	if _, err := c.Objects().Stat(ctx, col, "aborted"); !smarterbase.HasReason(err, smarterbase.ReasonObjectNotFound) {
		t.Fatalf("stat of the aborted object: %v", err)
	}
}
