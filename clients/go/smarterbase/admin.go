package smarterbase

import (
	"context"
	"fmt"
	"time"

	pb "github.com/smarterbase/smarterbase/clients/go/gen/smarterbase/v1"
)

// IndexKind says how an index stores values and what it can answer.
type IndexKind string

// The index kinds.
const (
	// IndexEquality answers eq / in on 1 to 4 fields; array fields index every element.
	IndexEquality IndexKind = "equality"
	// IndexUnique is an equality index that also forbids two documents sharing a value.
	IndexUnique IndexKind = "unique"
	// IndexOrdered answers ranges and order_by on exactly one field.
	IndexOrdered IndexKind = "ordered"
)

// IndexState is where an index is in its life.
type IndexState string

// The index states.
const (
	// IndexBuilding: being filled from the stored documents; not used by queries yet.
	IndexBuilding IndexState = "building"
	// IndexReady: complete and used by queries.
	IndexReady IndexState = "ready"
	// IndexFailed: the build failed; see Index.Error.
	IndexFailed IndexState = "failed"
)

var kindToProto = map[IndexKind]pb.IndexKind{
	IndexEquality: pb.IndexKind_INDEX_KIND_EQUALITY,
	IndexUnique:   pb.IndexKind_INDEX_KIND_UNIQUE,
	IndexOrdered:  pb.IndexKind_INDEX_KIND_ORDERED,
}

var stateFromProto = map[pb.IndexState]IndexState{
	pb.IndexState_INDEX_STATE_BUILDING: IndexBuilding,
	pb.IndexState_INDEX_STATE_READY:    IndexReady,
	pb.IndexState_INDEX_STATE_FAILED:   IndexFailed,
}

// IndexDefinition is what CreateIndex takes.
type IndexDefinition struct {
	// Collection is the collection the index covers.
	Collection string
	// Name is 1 to 64 characters of [a-z0-9_], starting with a letter.
	Name string
	// Fields are dotted field paths: 1 to 4 for equality/unique, exactly 1 for ordered.
	Fields []string
	// Kind is how the index stores values.
	Kind IndexKind
	// HashValues (equality/unique only) makes the server store HMAC hashes of
	// the values instead of the values (needs SB_INDEX_HASH_KEY_FILE on the
	// server): eq and in still work, ranges and order_by do not.
	HashValues bool
}

// Index is an index with its state, as the server reports it.
type Index struct {
	IndexDefinition
	// State is building, ready or failed.
	State IndexState
	// DocumentsScanned counts the documents the build has scanned so far.
	DocumentsScanned int64
	// CreateTime is when the index was created.
	CreateTime time.Time
	// Error says why the build failed, when State is IndexFailed.
	Error string
}

func indexFromProto(p *pb.Index) (*Index, error) {
	if p == nil {
		return nil, fmt.Errorf("smarterbase: the server answered without an index")
	}
	var kind IndexKind
	for k, v := range kindToProto {
		if v == p.GetKind() {
			kind = k
		}
	}
	state, ok := stateFromProto[p.GetState()]
	if kind == "" || !ok {
		return nil, fmt.Errorf("smarterbase: unknown index kind %v or state %v", p.GetKind(), p.GetState())
	}
	i := &Index{
		IndexDefinition:  IndexDefinition{Collection: p.GetCollection(), Name: p.GetName(), Fields: p.GetFields(), Kind: kind, HashValues: p.GetHashValues()},
		State:            state,
		DocumentsScanned: p.GetDocumentsScanned(),
		Error:            p.GetError(),
	}
	if p.GetCreateTime() != nil {
		i.CreateTime = p.GetCreateTime().AsTime()
	}
	return i, nil
}

// CreateIndex adds an index: ready at once on an empty collection,
// otherwise building in the background (see WaitForIndexReady). The same
// definition again is a no-op; another definition under a taken name fails
// with ReasonIndexAlreadyExists.
func (c *Client) CreateIndex(ctx context.Context, def IndexDefinition) (*Index, error) {
	kind, ok := kindToProto[def.Kind]
	if !ok {
		return nil, fmt.Errorf("smarterbase: index kind must be equality, unique or ordered, got %q", def.Kind)
	}
	ctx, cancel := c.callCtx(ctx)
	defer cancel()
	res, err := c.admin.CreateIndex(ctx, &pb.CreateIndexRequest{Index: &pb.Index{Collection: def.Collection, Name: def.Name, Fields: def.Fields, Kind: kind, HashValues: def.HashValues}})
	if err != nil {
		return nil, FromError(err)
	}
	return indexFromProto(res.GetIndex())
}

// GetIndex returns one index with its state and build progress;
// ReasonIndexNotFound when absent.
func (c *Client) GetIndex(ctx context.Context, collection, name string) (*Index, error) {
	ctx, cancel := c.callCtx(ctx)
	defer cancel()
	res, err := c.admin.GetIndex(ctx, &pb.GetIndexRequest{Collection: collection, Name: name})
	if err != nil {
		return nil, FromError(err)
	}
	return indexFromProto(res.GetIndex())
}

// ListIndexes returns the indexes of a collection, by name.
func (c *Client) ListIndexes(ctx context.Context, collection string) ([]*Index, error) {
	ctx, cancel := c.callCtx(ctx)
	defer cancel()
	res, err := c.admin.ListIndexes(ctx, &pb.ListIndexesRequest{Collection: collection})
	if err != nil {
		return nil, FromError(err)
	}
	out := make([]*Index, 0, len(res.GetIndexes()))
	for _, p := range res.GetIndexes() {
		i, err := indexFromProto(p)
		if err != nil {
			return nil, err
		}
		out = append(out, i)
	}
	return out, nil
}

// DropIndex removes an index and its entries; ReasonIndexNotFound when absent.
func (c *Client) DropIndex(ctx context.Context, collection, name string) error {
	ctx, cancel := c.callCtx(ctx)
	defer cancel()
	if _, err := c.admin.DropIndex(ctx, &pb.DropIndexRequest{Collection: collection, Name: name}); err != nil {
		return FromError(err)
	}
	return nil
}

// IndexBuildError is returned by WaitForIndexReady when the build failed.
type IndexBuildError struct {
	// Index is the failed index; Index.Error says why.
	Index *Index
}

// Error implements the error interface.
func (e *IndexBuildError) Error() string {
	return fmt.Sprintf("smarterbase: index %s of %s failed to build: %s", e.Index.Name, e.Index.Collection, e.Index.Error)
}

// WaitForIndexReady polls GetIndex every pollEvery (100 ms when <= 0) until
// the index is ready. It returns an *IndexBuildError when the build failed,
// and ctx's error when ctx ends first.
func (c *Client) WaitForIndexReady(ctx context.Context, collection, name string, pollEvery time.Duration) (*Index, error) {
	if pollEvery <= 0 {
		pollEvery = 100 * time.Millisecond
	}
	for {
		i, err := c.GetIndex(ctx, collection, name)
		if err != nil {
			return nil, err
		}
		switch i.State {
		case IndexReady:
			return i, nil
		case IndexFailed:
			return nil, &IndexBuildError{Index: i}
		}
		t := time.NewTimer(pollEvery)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

// RawAdmin returns the generated AdminService stub on the client's connection.
func (c *Client) RawAdmin() pb.AdminServiceClient { return c.admin }
