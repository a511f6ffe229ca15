package smarterbase

import (
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// Option configures a Client at Dial time.
type Option func(*config)

// config holds the Dial settings; see the With* options for defaults.
type config struct {
	creds        credentials.TransportCredentials
	retry        RetryPolicy
	callTimeout  time.Duration
	update       UpdatePolicy
	block        bool
	extraDialOps []grpc.DialOption
	// apiKey is sent as a bearer token on every call (WithAPIKey); "" for none.
	apiKey string
	// err is an option's failure (an unreadable TLS file), returned by Dial.
	err error
}

func defaultConfig() config {
	return config{
		creds:  insecure.NewCredentials(),
		retry:  DefaultRetryPolicy,
		update: DefaultUpdatePolicy,
	}
}

// WithTransportCredentials sets the transport security (for example
// credentials.NewTLS; see also WithTLS and WithTLSFiles). Default: plaintext.
func WithTransportCredentials(c credentials.TransportCredentials) Option {
	return func(cfg *config) { cfg.creds = c }
}

// WithRetryPolicy sets how UNAVAILABLE failures are retried. Default:
// DefaultRetryPolicy. RetryPolicy{MaxAttempts: 1} disables retries.
func WithRetryPolicy(p RetryPolicy) Option {
	return func(cfg *config) { cfg.retry = p }
}

// WithCallTimeout sets a deadline applied to every call whose context has
// none; it covers all retry attempts. Default 0: no deadline beyond the
// context's.
func WithCallTimeout(d time.Duration) Option {
	return func(cfg *config) { cfg.callTimeout = d }
}

// WithUpdatePolicy sets how Update retries its read-modify-write loop on
// etag conflicts. Default: DefaultUpdatePolicy.
func WithUpdatePolicy(p UpdatePolicy) Option {
	return func(cfg *config) { cfg.update = p }
}

// WithBlock makes Dial wait until the connection is ready or its context
// ends. Default: Dial returns at once and connects on the first call.
func WithBlock() Option {
	return func(cfg *config) { cfg.block = true }
}

// WithDialOptions appends raw grpc.DialOptions (for example extra
// interceptors or keepalive settings), applied after the client's own.
func WithDialOptions(opts ...grpc.DialOption) Option {
	return func(cfg *config) { cfg.extraDialOps = append(cfg.extraDialOps, opts...) }
}
