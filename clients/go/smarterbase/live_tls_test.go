package smarterbase_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	pb "github.com/smarterbase/smarterbase/clients/go/gen/smarterbase/v1"
	"github.com/smarterbase/smarterbase/clients/go/smarterbase"
)

// testPKI is a throwaway CA with a server certificate (localhost,
// 127.0.0.1) and a client certificate, written as PEM files into a temp dir.
type testPKI struct {
	caFile, serverCert, serverKey, clientCert, clientKey string
}

func writePEM(t *testing.T, path, kind string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

func issue(t *testing.T, dir, name string, tmpl *x509.Certificate, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, filepath.Join(dir, name+".crt"), "CERTIFICATE", der)
	writePEM(t, filepath.Join(dir, name+".key"), "PRIVATE KEY", keyDER)
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

func newPKI(t *testing.T) testPKI {
	t.Helper()
	dir := t.TempDir()
	now := time.Now()
	ca, caKey := issue(t, dir, "ca", &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Go Test CA"}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}, nil, nil)
	issue(t, dir, "server", &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}, ca, caKey)
	issue(t, dir, "client", &x509.Certificate{
		SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: "go-client"}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}, ca, caKey)
	f := func(n string) string { return filepath.Join(dir, n) }
	return testPKI{f("ca.crt"), f("server.crt"), f("server.key"), f("client.crt"), f("client.key")}
}

func TestLiveMutualTLS(t *testing.T) {
	if os.Getenv("SMARTERBASE_GRPC_ADDR") != "" {
		t.Skip("needs a server of its own with TLS settings")
	}
	p := newPKI(t)
	addr, cmd, err := startServerProcess([]string{
		"SB_TLS_CERT_FILE=" + p.serverCert, "SB_TLS_KEY_FILE=" + p.serverKey, "SB_TLS_CLIENT_CA_FILE=" + p.caFile,
	})
	defer stopProcess(cmd)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	c, err := smarterbase.Dial(ctx, addr, smarterbase.WithTLSFiles(p.caFile, p.clientCert, p.clientKey))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	col := collection(t)
	if _, err := c.Put(ctx, col, "a", map[string]any{"v": "go"}); err != nil {
		t.Fatalf("Put over mTLS: %v", err)
	}
	got, err := c.Get(ctx, col, "a")
	if err != nil || got.Data["v"] != "go" {
		t.Fatalf("Get over mTLS: %v %v", got, err)
	}

	// Without a client certificate (and, separately, without the CA) the server refuses.
	for name, opt := range map[string]smarterbase.Option{
		"no client certificate": smarterbase.WithTLSFiles(p.caFile, "", ""),
		"system roots only":     smarterbase.WithTLS(nil),
	} {
		bad, err := smarterbase.Dial(ctx, addr, opt, smarterbase.WithRetryPolicy(smarterbase.RetryPolicy{MaxAttempts: 1}))
		if err != nil {
			t.Fatal(err)
		}
		callCtx, callCancel := context.WithTimeout(ctx, 10*time.Second)
		_, err = bad.Get(callCtx, col, "a")
		callCancel()
		_ = bad.Close()
		if err == nil {
			t.Fatalf("%s: Get succeeded, want a refused connection", name)
		}
	}

	if _, err := smarterbase.Dial(ctx, addr, smarterbase.WithTLSFiles(p.caFile, p.clientCert, "")); err == nil {
		t.Fatal("Dial accepted a certificate without its key")
	}
}

// recordingDocs answers every Get UNAUTHENTICATED after recording its metadata.
type recordingDocs struct {
	pb.UnimplementedDocumentServiceServer
	mu   sync.Mutex
	auth []string
}

func (r *recordingDocs) Get(ctx context.Context, _ *pb.GetRequest) (*pb.GetResponse, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.auth = append(r.auth, md.Get("authorization")...)
	return nil, status.Error(codes.Unauthenticated, "recorded")
}

func TestAPIKeyIsSentAsBearerMetadataOverMutualTLS(t *testing.T) {
	p := newPKI(t)
	pair, err := tls.LoadX509KeyPair(p.serverCert, p.serverKey)
	if err != nil {
		t.Fatal(err)
	}
	caPEM, err := os.ReadFile(p.caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	srvCreds := credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{pair}, ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert})
	rec := &recordingDocs{}
	srv := grpc.NewServer(grpc.Creds(srvCreds))
	pb.RegisterDocumentServiceServer(srv, rec)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(lis) }()
	defer srv.Stop()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := smarterbase.Dial(ctx, lis.Addr().String(), smarterbase.WithTLSFiles(p.caFile, p.clientCert, p.clientKey), smarterbase.WithAPIKey("sbk_go.s3cr3t"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := 0; i < 2; i++ {
		if _, err := c.Get(ctx, "c", "a"); status.Code(err) != codes.Unauthenticated {
			t.Fatalf("Get: %v, want the recorder's UNAUTHENTICATED", err)
		}
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.auth) != 2 || rec.auth[0] != "Bearer sbk_go.s3cr3t" || rec.auth[1] != "Bearer sbk_go.s3cr3t" {
		t.Fatalf("authorization metadata seen: %q", rec.auth)
	}
	if _, err := smarterbase.Dial(ctx, "127.0.0.1:1", smarterbase.WithAPIKey("a\nb")); err == nil {
		t.Fatal("Dial accepted a multi-line API key")
	}
}
