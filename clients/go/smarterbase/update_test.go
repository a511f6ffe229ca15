package smarterbase

import (
	"context"
	"errors"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	pb "github.com/smarterbase/smarterbase/clients/go/gen/smarterbase/v1"
)

var fastUpdate = WithUpdatePolicy(UpdatePolicy{MaxAttempts: 5, MaxBackoff: time.Millisecond})

func TestUpdateRereadsAfterEtagMismatch(t *testing.T) {
	f := &fakeServer{putIfMatchScript: func(n int32, req *pb.PutIfMatchRequest) error {
		if n <= 2 {
			return sbStatus(t, codes.Aborted, ReasonEtagMismatch, map[string]string{"currentEtag": "other"})
		}
		return nil
	}}
	c := startFake(t, f, fastRetry, fastUpdate)
	var seen []float64
	doc, err := c.Update(context.Background(), "c", "x", func(d map[string]any) (map[string]any, error) {
		seen = append(seen, d["n"].(float64))
		d["n"] = d["n"].(float64) + 100
		return d, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Each round read a fresh document (the fake numbers its Gets).
	if len(seen) != 3 || seen[0] != 1 || seen[2] != 3 || doc.Data["n"] != float64(103) || doc.Etag != "e2" {
		t.Fatalf("rounds saw %v, result %+v", seen, doc)
	}
}

func TestUpdateGivesUpAfterMaxAttempts(t *testing.T) {
	f := &fakeServer{putIfMatchScript: func(int32, *pb.PutIfMatchRequest) error {
		return sbStatus(t, codes.Aborted, ReasonConcurrentModification, nil)
	}}
	c := startFake(t, f, fastRetry, fastUpdate)
	_, err := c.Update(context.Background(), "c", "x", func(d map[string]any) (map[string]any, error) { return d, nil })
	if ReasonOf(err) != ReasonConcurrentModification || f.putCalls.Load() != 5 {
		t.Fatalf("got %v after %d writes, want the conflict after 5", err, f.putCalls.Load())
	}
}

func TestUpdateStopsOnOtherErrorsAndOnFnError(t *testing.T) {
	f := &fakeServer{putIfMatchScript: func(int32, *pb.PutIfMatchRequest) error {
		return sbStatus(t, codes.NotFound, ReasonDocumentNotFound, nil)
	}}
	c := startFake(t, f, fastRetry, fastUpdate)
	_, err := c.Update(context.Background(), "c", "x", func(d map[string]any) (map[string]any, error) { return d, nil })
	if !IsNotFound(err) || f.putCalls.Load() != 1 {
		t.Fatalf("got %v after %d writes", err, f.putCalls.Load())
	}
	mine := errors.New("refuse")
	_, err = c.Update(context.Background(), "c", "x", func(map[string]any) (map[string]any, error) { return nil, mine })
	if err != mine || f.putCalls.Load() != 1 {
		t.Fatalf("fn error must be returned unchanged without writing; got %v", err)
	}
}

func TestToStructFallsBackToJSONForTypedValues(t *testing.T) {
	type point struct {
		X int `json:"x"`
	}
	s, err := toStruct(map[string]any{"tags": []string{"a", "b"}, "p": point{X: 3}, "m": map[string]int{"k": 1}})
	if err != nil {
		t.Fatal(err)
	}
	m := s.AsMap()
	if m["tags"].([]any)[1] != "b" || m["p"].(map[string]any)["x"] != float64(3) || m["m"].(map[string]any)["k"] != float64(1) {
		t.Fatalf("converted to %v", m)
	}
	if _, err := toStruct(nil); err == nil {
		t.Fatal("nil data must be rejected")
	}
	if _, err := toStruct(map[string]any{"c": make(chan int)}); err == nil {
		t.Fatal("a channel cannot be JSON and must be rejected")
	}
}
