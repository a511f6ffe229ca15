package smarterbase

import (
	"context"
	"errors"
	"testing"

	"google.golang.org/grpc/codes"

	pb "github.com/smarterbase/smarterbase/clients/go/gen/smarterbase/v1"
)

func snapshotPage(rev int64, ids ...string) watchStep {
	var docs []*pb.Document
	for _, id := range ids {
		docs = append(docs, &pb.Document{Collection: "c", Id: id, Etag: "e-" + id, Revision: 3})
	}
	return watchStep{msg: &pb.WatchResponse{Revision: rev, Kind: &pb.WatchResponse_Snapshot{Snapshot: &pb.SnapshotPage{Documents: docs}}}}
}

func snapshotComplete(rev int64) watchStep {
	return watchStep{msg: &pb.WatchResponse{Revision: rev, Kind: &pb.WatchResponse_Snapshot{Snapshot: &pb.SnapshotPage{Complete: true}}}}
}

func TestWatchInitialSnapshotThenResumesWithoutSnapshot(t *testing.T) {
	withPrevious := watchStep{msg: &pb.WatchResponse{Revision: 7, Kind: &pb.WatchResponse_Changes{Changes: &pb.ChangeBatch{Events: []*pb.ChangeEvent{
		{Type: pb.ChangeType_CHANGE_TYPE_PUT, Id: "a", Revision: 7, PreviousRevision: 3, Document: &pb.Document{Id: "a", Etag: "e7"}, PreviousDocument: &pb.Document{Id: "a", Etag: "e-a", Revision: 3}},
		{Type: pb.ChangeType_CHANGE_TYPE_DELETE, Id: "b", Revision: 7, PreviousRevision: 2, PreviousUnavailable: true},
	}}}}}
	c, f := startWatchFake(t,
		[]watchStep{snapshotPage(5, "a", "b"), snapshotPage(5, "c"), withPrevious, snapshotComplete(8), change(9), {err: sbStatus(t, codes.Unavailable, ReasonShuttingDown, nil)}},
		[]watchStep{change(9), change(10)},
	)
	w := c.Watch(context.Background(), "c", WatchOptions{InitialSnapshot: true, IncludePrevious: true, Backoff: fastWatchBackoff})
	got, err := takeBatches(t, w, 6, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !sameInts(revs(got), []int64{5, 5, 7, 8, 9, 10}) {
		t.Fatalf("revisions %v", revs(got))
	}
	if len(got[0].Snapshot) != 2 || got[0].Snapshot[1].ID != "b" || got[0].Snapshot[1].Revision != 3 || len(got[1].Snapshot) != 1 || !got[3].SnapshotComplete {
		t.Fatalf("snapshot batches wrong: %+v %+v %+v", got[0], got[1], got[3])
	}
	a, b := got[2].Changes[0], got[2].Changes[1]
	if a.PreviousDocument == nil || a.PreviousDocument.Etag != "e-a" || a.PreviousUnavailable || b.PreviousDocument != nil || !b.PreviousUnavailable {
		t.Fatalf("previous documents wrong: %+v %+v", a, b)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.reqs) != 2 || !f.reqs[0].GetInitialSnapshot() || f.reqs[1].GetInitialSnapshot() || f.reqs[1].GetAfterRevision() != 9 || !f.reqs[1].GetIncludePrevious() {
		t.Fatalf("requests %v", f.reqs)
	}
}

func TestWatchSnapshotCutBeforeCompleteEndsWithTheError(t *testing.T) {
	c, f := startWatchFake(t,
		[]watchStep{snapshotPage(5, "a"), change(6), {err: sbStatus(t, codes.Unavailable, ReasonShuttingDown, nil)}},
		[]watchStep{change(7)},
	)
	got, err := takeBatches(t, c.Watch(context.Background(), "c", WatchOptions{InitialSnapshot: true, Backoff: fastWatchBackoff}), 10, nil)
	var e *Error
	if !errors.As(err, &e) || e.Code != codes.Unavailable || e.Reason != ReasonShuttingDown {
		t.Fatalf("error %v, want UNAVAILABLE SHUTTING_DOWN", err)
	}
	if len(got) != 2 || got[0].Snapshot == nil || len(got[1].Changes) != 1 {
		t.Fatalf("batches %v", revs(got))
	}
	if a := f.afterRevisions(); len(a) != 1 {
		t.Fatalf("calls %v: a cut snapshot must not resume", a)
	}
}
