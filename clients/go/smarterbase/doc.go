// Package smarterbase is a thin, idiomatic Go client for the SmarterBase
// document database (gRPC service smarterbase.v1.DocumentService).
//
// A Client is created with Dial and is safe for concurrent use. Document data
// is exchanged as map[string]any with JSON semantics: numbers come back as
// float64, nested objects as map[string]any and arrays as []any.
//
// Every failed call returns an *Error carrying the gRPC code, the
// machine-readable Reason sent by the server (for example
// ReasonEtagMismatch) and its metadata; branch on them with errors.As or the
// helpers IsNotFound, IsEtagMismatch and IsAlreadyExists.
//
// Calls that fail with UNAVAILABLE are retried automatically with bounded
// exponential backoff and jitter (see RetryPolicy); no other code is retried.
// Per-call deadlines come from the context, with an optional default set by
// WithCallTimeout.
package smarterbase
