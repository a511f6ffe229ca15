package smarterbase

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"

	"google.golang.org/grpc/credentials"
)

// WithTLS makes the client speak TLS with cfg (nil: verify the server
// against the system roots, no client certificate). Set cfg.Certificates
// for mTLS and cfg.RootCAs for a private CA. Default: plaintext.
func WithTLS(cfg *tls.Config) Option {
	return func(c *config) {
		if cfg == nil {
			cfg = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		c.creds = credentials.NewTLS(cfg)
	}
}

// WithTLSFiles makes the client speak TLS with PEM files: caFile is the CA
// bundle the server's certificate must chain to ("" = the system roots);
// certFile and keyFile are the client certificate for mTLS (both "" for
// none). A file that cannot be read or parsed makes Dial fail.
func WithTLSFiles(caFile, certFile, keyFile string) Option {
	return func(c *config) {
		cfg, err := tlsConfigFromFiles(caFile, certFile, keyFile)
		if err != nil {
			c.err = errors.Join(c.err, err)
			return
		}
		c.creds = credentials.NewTLS(cfg)
	}
}

func tlsConfigFromFiles(caFile, certFile, keyFile string) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("smarterbase: TLS CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("smarterbase: TLS CA file %s holds no PEM certificate", caFile)
		}
		cfg.RootCAs = pool
	}
	if (certFile == "") != (keyFile == "") {
		return nil, errors.New("smarterbase: TLS client certificate and key files go together")
	}
	if certFile != "" {
		pair, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("smarterbase: TLS client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}

// WithAPIKey sends "authorization: Bearer <key>" metadata with every call
// (and every retry of it). The key also travels on a plaintext connection
// (a server on loopback); across a network, use it with TLS.
func WithAPIKey(key string) Option {
	return func(c *config) {
		if key == "" || strings.ContainsAny(key, "\r\n") {
			c.err = errors.Join(c.err, errors.New("smarterbase: API key must be a non-empty single line"))
			return
		}
		c.apiKey = key
	}
}

// bearer is the per-call credential of WithAPIKey.
type bearer string

// GetRequestMetadata returns the authorization header of every call.
func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(b)}, nil
}

// RequireTransportSecurity is false: see WithAPIKey.
func (bearer) RequireTransportSecurity() bool { return false }
