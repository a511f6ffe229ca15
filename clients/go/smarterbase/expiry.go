package smarterbase

import (
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/smarterbase/smarterbase/clients/go/gen/smarterbase/v1"
)

// Expiry is when a written version expires (docs/streams.md, "Document
// expiry (TTL)"): build it with ExpireAt, ExpireAfter or NeverExpire and
// pass it with PutExpiry, WriteExpiry (PutIfMatch, Update), CreateExpiry,
// ItemExpiry (BatchWrite puts) or Transaction.SetExpiring. A write without
// one takes its collection's default TTL, or never expires. From its
// expire time on, reads treat the document as absent; it is purged soon
// after with one ChangeExpire in watches. The server validates the values
// (a TTL of at least 1 s); the client passes them through.
type Expiry struct {
	p *pb.Expiration
}

// ExpireAt makes the version expire at t (a time in the past hides it at once).
func ExpireAt(t time.Time) Expiry {
	return Expiry{&pb.Expiration{Expiration: &pb.Expiration_ExpireTime{ExpireTime: timestamppb.New(t)}}}
}

// ExpireAfter makes the version expire ttl after the write, by the server's clock.
func ExpireAfter(ttl time.Duration) Expiry {
	return Expiry{&pb.Expiration{Expiration: &pb.Expiration_Ttl{Ttl: durationpb.New(ttl)}}}
}

// NeverExpire makes the version never expire, even when its collection has
// a default TTL.
func NeverExpire() Expiry {
	return Expiry{&pb.Expiration{Expiration: &pb.Expiration_Never{Never: true}}}
}

// proto is the Expiration message; nil for the zero Expiry (no expiry given).
func (e Expiry) proto() *pb.Expiration { return e.p }

// PutExpiry sets when the version Put writes expires.
func PutExpiry(e Expiry) PutOption {
	return func(r *pb.PutRequest) { r.Expiration = e.proto() }
}

// WriteExpiry sets when the version PutIfMatch (or Update) writes expires.
// Delete and DeleteIfMatch fail with an error when given it.
func WriteExpiry(e Expiry) WriteOption {
	return func(o *writeOptions) { o.expiration = e.proto() }
}

// CreateOption modifies a Create.
type CreateOption func(*pb.CreateRequest)

// CreateExpiry sets when the document Create writes expires.
func CreateExpiry(e Expiry) CreateOption {
	return func(r *pb.CreateRequest) { r.Expiration = e.proto() }
}

// ItemExpiry sets when the version a PutItem writes expires. Not allowed on
// a DeleteItem.
func ItemExpiry(e Expiry) ItemOption {
	return func(it *BatchItem) { it.expiration = e.proto() }
}
