package smarterbase_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
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
	info, err := c.UploadFile(ctx, col, "big", path, smarterbase.UploadOptions{
		CreateOnly: true, ContentType: "application/octet-stream", Metadata: map[string]string{"k": "v"},
		Progress: func(n int64) { lastProgress = n },
	})
	if err != nil {
		t.Fatal(err)
	}
	if info.SHA256 != want || info.Size != int64(len(body)) || info.Version != 1 || lastProgress != int64(len(body)) {
		t.Fatalf("uploaded %+v (progress %d), want sha256 %s", info, lastProgress, want)
	}
	_, err = c.Upload(ctx, col, "big", bytes.NewReader([]byte("other")), smarterbase.UploadOptions{CreateOnly: true})
	if !smarterbase.HasReason(err, smarterbase.ReasonObjectAlreadyExists) {
		t.Fatalf("second create-only upload: %v", err)
	}
	out := filepath.Join(t.TempDir(), "out.bin")
	got, err := c.DownloadFile(ctx, col, "big", out, smarterbase.DownloadOptions{})
	if err != nil || got.Etag != info.Etag {
		t.Fatalf("download: %v (etag %s want %s)", err, got.Etag, info.Etag)
	}
	if read, _ := os.ReadFile(out); !bytes.Equal(read, body) {
		t.Fatal("downloaded bytes differ")
	}
	var part bytes.Buffer
	if _, err := c.Download(ctx, col, "big", &part, smarterbase.DownloadOptions{Offset: 9 << 20, Length: 1000, IfMatch: info.Etag}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(part.Bytes(), body[9<<20:9<<20+1000]) {
		t.Fatal("ranged download differs")
	}
	st, err := c.StatObject(ctx, col, "big")
	if err != nil || st.Etag != info.Etag || st.Metadata["k"] != "v" {
		t.Fatalf("stat: %+v %v", st, err)
	}
	page, err := c.ListObjects(ctx, col, smarterbase.ListObjectsOptions{})
	if err != nil || len(page.Objects) != 1 || page.Objects[0].ID != "big" {
		t.Fatalf("list: %+v %v", page, err)
	}
	if _, err := c.DeleteObject(ctx, col, "big", "stale"); !smarterbase.IsEtagMismatch(err) {
		t.Fatalf("delete with a stale etag: %v", err)
	}
	if deleted, err := c.DeleteObject(ctx, col, "big", info.Etag); err != nil || !deleted {
		t.Fatalf("delete: %v %v", deleted, err)
	}
	if _, err := c.StatObject(ctx, col, "big"); !smarterbase.HasReason(err, smarterbase.ReasonObjectNotFound) {
		t.Fatalf("stat after delete: %v", err)
	}
}
