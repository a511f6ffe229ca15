package smarterbase

import (
	"context"
	"iter"

	pb "github.com/smarterbase/smarterbase/clients/go/gen/smarterbase/v1"
)

// ListOptions selects what List returns. The zero value lists everything
// with the server's default page size (100).
type ListOptions struct {
	// PageSize is the most documents per page, 1 to 1000; 0 means 100.
	PageSize int32
	// PageToken continues a listing: the NextPageToken of the previous page.
	// The other options must be the same as for that page.
	PageToken string
	// IDPrefix keeps only ids starting with it.
	IDPrefix string
	// KeysOnly returns only Collection and ID of each document: much faster.
	KeysOnly bool
}

// ListPage is one page of a listing.
type ListPage struct {
	// Documents of this page, in ascending id order (UTF-8 byte order).
	Documents []*Document
	// NextPageToken continues the listing; "" on the last page. A page may
	// be shorter than PageSize without being the last.
	NextPageToken string
	// ReadRevision: every change of the collection up to this revision was
	// stored before this page was read (0: unknown). Watch from it to follow
	// the collection with no gap (docs/streams.md).
	ReadRevision int64
}

// List returns one page of the documents of a collection.
func (c *Client) List(ctx context.Context, collection string, opts ListOptions) (*ListPage, error) {
	ctx, cancel := c.callCtx(ctx)
	defer cancel()
	res, err := c.rpc.List(ctx, &pb.ListRequest{
		Collection: collection,
		PageSize:   opts.PageSize,
		PageToken:  opts.PageToken,
		IdPrefix:   opts.IDPrefix,
		KeysOnly:   opts.KeysOnly,
	})
	if err != nil {
		return nil, FromError(err)
	}
	page := &ListPage{NextPageToken: res.GetNextPageToken(), ReadRevision: res.GetReadRevision(), Documents: make([]*Document, 0, len(res.GetDocuments()))}
	for _, d := range res.GetDocuments() {
		page.Documents = append(page.Documents, fromProto(d))
	}
	return page, nil
}

// ListAll iterates over every document of a collection, fetching pages as
// needed (starting at opts.PageToken). On failure it yields (nil, err) once
// and stops:
//
//	for doc, err := range client.ListAll(ctx, "users", smarterbase.ListOptions{}) {
//		if err != nil { return err }
//		...
//	}
func (c *Client) ListAll(ctx context.Context, collection string, opts ListOptions) iter.Seq2[*Document, error] {
	return func(yield func(*Document, error) bool) {
		for {
			page, err := c.List(ctx, collection, opts)
			if err != nil {
				yield(nil, err)
				return
			}
			for _, d := range page.Documents {
				if !yield(d, nil) {
					return
				}
			}
			if page.NextPageToken == "" {
				return
			}
			opts.PageToken = page.NextPageToken
		}
	}
}
