package smarterbase

import (
	"encoding/json"
	"fmt"
	"time"

	"google.golang.org/protobuf/types/known/structpb"

	pb "github.com/smarterbase/smarterbase/clients/go/gen/smarterbase/v1"
)

// Document is one stored JSON object with its output-only fields.
type Document struct {
	// Collection is the document's collection.
	Collection string
	// ID is the document's id.
	ID string
	// Data is the JSON object; numbers are float64. Nil on keys-only listings.
	Data map[string]any
	// Etag changes on every successful write; pass it to PutIfMatch or
	// DeleteIfMatch. Empty on keys-only listings.
	Etag string
	// Version is 1 on creation and grows by one on every write.
	Version int64
	// CreateTime is when the document was created (since its last delete).
	CreateTime time.Time
	// UpdateTime is when the document was last written.
	UpdateTime time.Time
	// Revision is the collection revision of the write that made this
	// version (docs/streams.md); 0 for a version stored without one. A watch
	// change with a revision at or below it is already in this document.
	Revision int64
	// ExpireTime is when this version expires (docs/streams.md, "Document
	// expiry (TTL)"); the zero time when it does not.
	ExpireTime time.Time
}

// Decode stores the document's data into v (a pointer, typically to a
// struct) through encoding/json.
func (d *Document) Decode(v any) error {
	raw, err := json.Marshal(d.Data)
	if err != nil {
		return fmt.Errorf("smarterbase: decode %s/%s: %w", d.Collection, d.ID, err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("smarterbase: decode %s/%s: %w", d.Collection, d.ID, err)
	}
	return nil
}

// fromProto converts a wire document; nil stays nil.
func fromProto(p *pb.Document) *Document {
	if p == nil {
		return nil
	}
	d := &Document{
		Collection: p.GetCollection(),
		ID:         p.GetId(),
		Etag:       p.GetEtag(),
		Version:    p.GetVersion(),
		Revision:   p.GetRevision(),
	}
	if p.GetData() != nil {
		d.Data = p.GetData().AsMap()
	}
	if p.GetCreateTime() != nil {
		d.CreateTime = p.GetCreateTime().AsTime()
	}
	if p.GetUpdateTime() != nil {
		d.UpdateTime = p.GetUpdateTime().AsTime()
	}
	if p.GetExpireTime() != nil {
		d.ExpireTime = p.GetExpireTime().AsTime()
	}
	return d
}

// toStruct converts document data to a protobuf Struct. Values structpb
// accepts directly (map[string]any, []any, string, bool, nil, Go numbers)
// are converted as they are; anything else (typed slices and maps, structs
// nested in the map) goes through a JSON round trip first.
func toStruct(data map[string]any) (*structpb.Struct, error) {
	if data == nil {
		return nil, fmt.Errorf("smarterbase: document data must not be nil")
	}
	s, err := structpb.NewStruct(data)
	if err == nil {
		return s, nil
	}
	raw, jerr := json.Marshal(data)
	if jerr != nil {
		return nil, fmt.Errorf("smarterbase: encode data: %w", jerr)
	}
	var generic map[string]any
	if jerr := json.Unmarshal(raw, &generic); jerr != nil {
		return nil, fmt.Errorf("smarterbase: encode data: %w", jerr)
	}
	s, err = structpb.NewStruct(generic)
	if err != nil {
		return nil, fmt.Errorf("smarterbase: encode data: %w", err)
	}
	return s, nil
}
