package smarterbase

import (
	"context"
	"math/rand/v2"
	"time"

	"google.golang.org/grpc/codes"
)

// UpdatePolicy bounds the read-modify-write loop of Update.
type UpdatePolicy struct {
	// MaxAttempts is the most read-modify-write rounds. Default 50.
	MaxAttempts int
	// MaxBackoff is the largest random pause between rounds; each pause is
	// drawn uniformly from [0, min(MaxBackoff, 1ms*2^round)]. Default 100ms.
	MaxBackoff time.Duration
}

// DefaultUpdatePolicy is the policy used when none is given.
var DefaultUpdatePolicy = UpdatePolicy{MaxAttempts: 50, MaxBackoff: 100 * time.Millisecond}

// UpdateFunc receives the current data of a document (a fresh copy it may
// modify) and returns the new data. Returning an error stops Update, which
// returns that error unchanged. It may run several times.
type UpdateFunc func(data map[string]any) (map[string]any, error)

// Update reads the document, calls fn with its data and writes the result
// with PutIfMatch. When another writer got in between (ABORTED:
// ETAG_MISMATCH or CONCURRENT_MODIFICATION) it starts over, up to the
// client's UpdatePolicy.MaxAttempts rounds, then returns the last conflict
// error. A missing document fails with IsNotFound. opts go to each
// PutIfMatch (LockGuarded, WriteExpiry); expiry belongs to a version, so
// without WriteExpiry the new version takes the collection's default, not
// the old version's expiry.
func (c *Client) Update(ctx context.Context, collection, id string, fn UpdateFunc, opts ...WriteOption) (*Document, error) {
	p := c.updatePolicy()
	ctx, cancel := c.callCtx(ctx)
	defer cancel()
	var lastErr error
	for round := 0; round < p.MaxAttempts; round++ {
		if round > 0 {
			if err := sleepCtx(ctx, updatePause(p, round)); err != nil {
				return nil, FromError(err)
			}
		}
		cur, err := c.Get(ctx, collection, id)
		if err != nil {
			return nil, err
		}
		next, err := fn(cur.Data)
		if err != nil {
			return nil, err
		}
		doc, err := c.PutIfMatch(ctx, collection, id, next, cur.Etag, opts...)
		if err == nil {
			return doc, nil
		}
		if CodeOf(err) != codes.Aborted {
			return nil, err
		}
		lastErr = err
	}
	return nil, lastErr
}

// updatePause is the random pause before round (1-based) of Update.
func updatePause(p UpdatePolicy, round int) time.Duration {
	ceiling := time.Millisecond << min(round, 20)
	if ceiling > p.MaxBackoff {
		ceiling = p.MaxBackoff
	}
	return time.Duration(rand.Int64N(int64(ceiling) + 1))
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// updatePolicy is the client's UpdatePolicy with DefaultUpdatePolicy filling
// the fields left unset; Update and RunTransaction both use it.
func (c *Client) updatePolicy() UpdatePolicy {
	p := c.cfg.update
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = DefaultUpdatePolicy.MaxAttempts
	}
	if p.MaxBackoff <= 0 {
		p.MaxBackoff = DefaultUpdatePolicy.MaxBackoff
	}
	return p
}
