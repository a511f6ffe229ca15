package smarterbase_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/smarterbase/smarterbase/clients/go/smarterbase"
)

// cutProxy forwards 127.0.0.1:<port> to the live server; cut closes every
// open connection (new ones pass), as a network failure would.
type cutProxy struct {
	lis   net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func startCutProxy(t *testing.T, upstream string) *cutProxy {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{lis: lis}
	go func() {
		for {
			c, err := lis.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", upstream)
			if err != nil {
				_ = c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, u)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(u, c); _ = u.Close() }()
			go func() { _, _ = io.Copy(c, u); _ = c.Close() }()
		}
	}()
	t.Cleanup(func() { _ = lis.Close(); p.cut() })
	return p
}

func (p *cutProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		_ = c.Close()
	}
	p.conns = nil
}

// cuttingReader cuts the proxy when a read passes each offset of cuts.
type cuttingReader struct {
	*bytes.Reader
	p    *cutProxy
	cuts []int64
}

func (r *cuttingReader) Read(b []byte) (int, error) {
	pos, _ := r.Seek(0, io.SeekCurrent)
	if len(r.cuts) > 0 && pos >= r.cuts[0] {
		r.cuts = r.cuts[1:]
		r.p.cut()
	}
	return r.Reader.Read(b)
}

// A 24 MiB resumable upload through a proxy cut at 30, 60 and 90 %
// resumes by itself (query, seek, write) to the exact bytes.
func TestLiveResumableUploadSurvivesCutConnections(t *testing.T) {
	c := liveClient(t) // starts the server when needed
	p := startCutProxy(t, serverAddr)
	dctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	viaProxy, err := smarterbase.Dial(dctx, p.lis.Addr().String(), smarterbase.WithCallTimeout(30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer viaProxy.Close()
	body := make([]byte, 24<<20)
	for i := range body {
		body[i] = byte(i*29 + i>>9)
	}
	n := int64(len(body))
	src := &cuttingReader{Reader: bytes.NewReader(body), p: p, cuts: []int64{n * 3 / 10, n * 6 / 10, n * 9 / 10}}
	col := collection(t)
	info, err := viaProxy.Objects().UploadResumable(ctx, col, "cut", src, smarterbase.ResumableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(body)
	if len(src.cuts) != 0 || info.Size != n || info.SHA256 != hex.EncodeToString(sum[:]) {
		t.Fatalf("cuts left %v, object %+v", src.cuts, info)
	}
	var got bytes.Buffer
	if _, err := c.Objects().Download(ctx, col, "cut", &got, smarterbase.DownloadOptions{}); err != nil || !bytes.Equal(got.Bytes(), body) {
		t.Fatalf("download: %v", err)
	}
}
