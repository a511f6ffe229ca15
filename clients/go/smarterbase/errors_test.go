package smarterbase

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/smarterbase/smarterbase/clients/go/gen/smarterbase/v1"
)

func TestReasonsMatchTheProtoEnum(t *testing.T) {
	want := map[string]bool{}
	for _, name := range pb.ErrorReason_name {
		if name != "ERROR_REASON_UNSPECIFIED" {
			want[strings.TrimPrefix(name, "ERROR_REASON_")] = true
		}
	}
	got := map[string]bool{}
	for _, r := range Reasons() {
		got[string(r)] = true
		if !want[string(r)] {
			t.Errorf("Reason %q is not in the proto ErrorReason enum", r)
		}
	}
	for name := range want {
		if !got[name] {
			t.Errorf("proto ErrorReason %q has no Reason constant", name)
		}
	}
}

func TestFromErrorDecodesAllDetails(t *testing.T) {
	st, err := status.New(codes.InvalidArgument, "bad id").WithDetails(
		&errdetails.ErrorInfo{Reason: "INVALID_ID", Domain: ErrorDomain, Metadata: map[string]string{"field": "id"}},
		&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{{Field: "id", Description: "contains /"}}},
		retryInfo(1500*time.Millisecond),
	)
	if err != nil {
		t.Fatal(err)
	}
	e := FromError(st.Err())
	if e.Code != codes.InvalidArgument || e.Reason != ReasonInvalidID || e.Domain != ErrorDomain || e.Message != "bad id" {
		t.Fatalf("decoded %+v", e)
	}
	if e.Metadata["field"] != "id" || e.RetryDelay != 1500*time.Millisecond {
		t.Fatalf("metadata %v, retry delay %v", e.Metadata, e.RetryDelay)
	}
	if len(e.FieldViolations) != 1 || e.FieldViolations[0] != (FieldViolation{Field: "id", Description: "contains /"}) {
		t.Fatalf("field violations %+v", e.FieldViolations)
	}
	if status.Code(e) != codes.InvalidArgument || !IsInvalidArgument(e) {
		t.Fatal("GRPCStatus does not expose the code")
	}
	if got := e.Error(); got != "INVALID_ARGUMENT INVALID_ID: bad id" {
		t.Fatalf("Error() = %q", got)
	}
	if w := FromError(fmt.Errorf("wrapped: %w", st.Err())); w.Reason != ReasonInvalidID || w.Metadata["field"] != "id" {
		t.Fatalf("a wrapped status error decoded as %+v", w)
	}
}

func TestFromErrorWithoutDetailsAndNonGRPCErrors(t *testing.T) {
	if FromError(nil) != nil {
		t.Fatal("nil must stay nil")
	}
	e := FromError(status.Error(codes.Unavailable, "conn refused"))
	if e.Code != codes.Unavailable || e.Reason != "" || e.Metadata == nil {
		t.Fatalf("decoded %+v", e)
	}
	if again := FromError(e); again != e {
		t.Fatal("an *Error must be returned unchanged")
	}
	d := FromError(context.DeadlineExceeded)
	if d.Code != codes.DeadlineExceeded || !errors.Is(d, context.DeadlineExceeded) {
		t.Fatalf("deadline decoded as %+v", d)
	}
	if u := FromError(errors.New("boom")); u.Code != codes.Unknown {
		t.Fatalf("plain error decoded as %v", u.Code)
	}
}

func TestHelpers(t *testing.T) {
	mk := func(c codes.Code, r Reason) error { return &Error{Code: c, Reason: r, Metadata: map[string]string{}} }
	cases := []struct {
		err                          error
		notFound, exists, etag, unav bool
	}{
		{mk(codes.NotFound, ReasonDocumentNotFound), true, false, false, false},
		{mk(codes.AlreadyExists, ReasonDocumentAlreadyExists), false, true, false, false},
		{mk(codes.Aborted, ReasonEtagMismatch), false, false, true, false},
		{mk(codes.Aborted, ReasonConcurrentModification), false, false, false, false},
		// Reason-based: another reason with the same code is not a missing or existing document.
		{mk(codes.NotFound, ReasonIndexNotFound), false, false, false, false},
		{mk(codes.AlreadyExists, ReasonUniqueViolation), false, false, false, false},
		{fmt.Errorf("ctx: %w", mk(codes.Unavailable, ReasonBackendUnavailable)), false, false, false, true},
		{nil, false, false, false, false},
		{errors.New("other"), false, false, false, false},
	}
	for i, c := range cases {
		if IsNotFound(c.err) != c.notFound || IsAlreadyExists(c.err) != c.exists || IsEtagMismatch(c.err) != c.etag || IsUnavailable(c.err) != c.unav {
			t.Errorf("case %d (%v): helpers disagree", i, c.err)
		}
	}
	if !IsCode(mk(codes.NotFound, ReasonIndexNotFound), codes.NotFound) || IsCode(nil, codes.OK) {
		t.Error("IsCode must test the code whatever the reason, and never match nil")
	}
	if got := FromError(status.Error(codes.Canceled, "gone")).Error(); got != "CANCELLED: gone" {
		t.Errorf("Error() without a reason = %q", got)
	}
	if CodeOf(nil) != codes.OK {
		t.Error("CodeOf(nil) must be OK")
	}
}

func TestErrorsCrossTheWireWithDetails(t *testing.T) {
	f := &fakeServer{getScript: func(context.Context, int32) error {
		return sbStatus(t, codes.Aborted, ReasonEtagMismatch, map[string]string{"currentEtag": "e9", "expectedEtag": "e1"})
	}}
	c := startFake(t, f, fastRetry)
	_, err := c.Get(context.Background(), "c", "x")
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("want *Error, got %T %v", err, err)
	}
	if !IsEtagMismatch(err) || e.Metadata["currentEtag"] != "e9" || e.Metadata["expectedEtag"] != "e1" || e.Domain != ErrorDomain {
		t.Fatalf("decoded %+v", e)
	}
	if f.getCalls.Load() != 1 {
		t.Fatalf("ABORTED must not be retried; server saw %d calls", f.getCalls.Load())
	}
}
