package smarterbase_test

// The Go runner of the client conformance scenarios
// (test/conformance/scenarios.json, shared with the TS and Python runners):
// every scenario runs against the live server in a fresh collection, and each
// step's result or error is checked against the file.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/smarterbase/smarterbase/clients/go/smarterbase"
)

// confStep is one step of a scenario (see the "calls" section of the file).
type confStep struct {
	Call   string            `json:"call"`
	Args   map[string]any    `json:"args"`
	Expect map[string]any    `json:"expect"`
	Save   map[string]string `json:"save"`
	Error  map[string]any    `json:"error"`
}

// confFile is the part of scenarios.json the runner reads.
type confFile struct {
	Predicates []string `json:"predicates"`
	Scenarios  []struct {
		Name  string     `json:"name"`
		Steps []confStep `json:"steps"`
	} `json:"scenarios"`
}

// confPredicates maps the file's predicate names to this client's functions.
var confPredicates = map[string]func(error) bool{
	"notFound":              smarterbase.IsNotFound,
	"alreadyExists":         smarterbase.IsAlreadyExists,
	"etagMismatch":          smarterbase.IsEtagMismatch,
	"lockHeld":              smarterbase.IsLockHeld,
	"lockNotHeld":           smarterbase.IsLockNotHeld,
	"preconditionFailed":    smarterbase.IsPreconditionFailed,
	"transactionContention": smarterbase.IsTransactionContention,
	"unavailable":           smarterbase.IsUnavailable,
}

func loadConformance(t *testing.T) confFile {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(root, "test", "conformance", "scenarios.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f confFile
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	return f
}

// resolve replaces "$name" strings (deeply) with saved variables.
func resolve(t *testing.T, v any, vars map[string]any) any {
	switch x := v.(type) {
	case string:
		if strings.HasPrefix(x, "$") {
			val, ok := vars[x[1:]]
			if !ok {
				t.Fatalf("variable %s is not set", x)
			}
			return val
		}
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = resolve(t, e, vars)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = resolve(t, e, vars)
		}
		return out
	}
	return v
}

// subset reports whether want is contained in got (maps by key, lists element-wise).
func subset(want, got any) bool {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return false
		}
		for k, wv := range w {
			if !subset(wv, g[k]) {
				return false
			}
		}
		return true
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for i := range w {
			if !subset(w[i], g[i]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(want, got)
}

// normalize round-trips v through JSON so that it compares with the file's values.
func normalize(t *testing.T, v any) map[string]any {
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func confDoc(d *smarterbase.Document) map[string]any {
	return map[string]any{"id": d.ID, "data": d.Data, "etag": d.Etag, "version": d.Version}
}

func confCondition(w map[string]any) []smarterbase.Precondition {
	if e, ok := w["ifEtag"].(string); ok {
		return []smarterbase.Precondition{smarterbase.IfEtag(e)}
	}
	if w["ifExists"] == true {
		return []smarterbase.Precondition{smarterbase.IfExists()}
	}
	if w["ifNotExists"] == true {
		return []smarterbase.Precondition{smarterbase.IfNotExists()}
	}
	return nil
}

// confRun runs one call and returns its result in the file's normalized shape.
func confRun(ctx context.Context, c *smarterbase.Client, col, call string, a map[string]any, leases map[string]*smarterbase.Lease) (map[string]any, error) {
	id, _ := a["id"].(string)
	data, _ := a["data"].(map[string]any)
	str := func(k string) string { s, _ := a[k].(string); return s }
	num := func(k string) int { f, _ := a[k].(float64); return int(f) }
	switch call {
	case "put":
		var opts []smarterbase.PutOption
		if a["createOnly"] == true {
			opts = append(opts, smarterbase.CreateOnly())
		}
		d, err := c.Put(ctx, col, id, data, opts...)
		if err != nil {
			return nil, err
		}
		return confDoc(d), nil
	case "putIfMatch":
		d, err := c.PutIfMatch(ctx, col, id, data, str("etag"))
		if err != nil {
			return nil, err
		}
		return confDoc(d), nil
	case "get":
		d, err := c.Get(ctx, col, id)
		if err != nil {
			return nil, err
		}
		return confDoc(d), nil
	case "delete":
		deleted, err := c.Delete(ctx, col, id)
		return map[string]any{"deleted": deleted}, err
	case "list":
		p, err := c.List(ctx, col, smarterbase.ListOptions{PageSize: int32(num("pageSize")), PageToken: str("pageToken")})
		if err != nil {
			return nil, err
		}
		ids := []string{}
		for _, d := range p.Documents {
			ids = append(ids, d.ID)
		}
		return map[string]any{"ids": ids, "nextPageToken": p.NextPageToken, "more": p.NextPageToken != ""}, nil
	case "query":
		opts := smarterbase.QueryOptions{StartAfter: str("startAfter")}
		if ob, ok := a["orderBy"].([]any); ok {
			for _, f := range ob {
				opts.OrderBy = append(opts.OrderBy, smarterbase.Asc(f.(string)))
			}
		}
		q := c.Query(ctx, col, opts)
		ids := []string{}
		for d, err := range q.All() {
			if err != nil {
				return nil, err
			}
			ids = append(ids, d.ID)
			if len(ids) == num("stopAfter") {
				break
			}
		}
		return map[string]any{"ids": ids, "resumeToken": q.ResumeToken()}, nil
	case "acquire":
		l, err := c.Acquire(ctx, col+"_"+str("lock"), smarterbase.WithTTL(time.Duration(num("ttlMs"))*time.Millisecond))
		if err != nil {
			return nil, err
		}
		leases[str("as")] = l
		return map[string]any{"fencingToken": l.FencingToken}, nil
	case "release":
		released, err := c.Release(ctx, leases[str("lease")])
		return map[string]any{"released": released}, err
	case "commit":
		tx := c.Transaction()
		for _, raw := range a["writes"].([]any) {
			w := raw.(map[string]any)
			wid := w["id"].(string)
			cond := confCondition(w)
			switch w["op"] {
			case "set":
				tx.Set(col, wid, w["data"].(map[string]any), cond...)
			case "delete":
				tx.Delete(col, wid, cond...)
			default:
				tx.Check(col, wid, cond[0])
			}
		}
		res, err := tx.Commit(ctx)
		if err != nil {
			return nil, err
		}
		versions := []int64{}
		for _, r := range res.Results {
			versions = append(versions, r.Version)
		}
		return map[string]any{"versions": versions}, nil
	case "getIndex":
		ix, err := c.GetIndex(ctx, col, str("name"))
		if err != nil {
			return nil, err
		}
		return map[string]any{"name": ix.Name}, nil
	}
	return nil, fmt.Errorf("unknown call %q", call)
}

func confCheckError(t *testing.T, where string, err error, want map[string]any) {
	t.Helper()
	var e *smarterbase.Error
	if !errors.As(err, &e) {
		t.Fatalf("%s: want *smarterbase.Error, got %T %v", where, err, err)
	}
	code, reason := want["code"].(string), want["reason"].(string)
	if smarterbase.CodeName(e.Code) != code || string(e.Reason) != reason {
		t.Fatalf("%s: got %s %s, want %s %s", where, smarterbase.CodeName(e.Code), e.Reason, code, reason)
	}
	if !strings.HasPrefix(err.Error(), code+" "+reason+": ") || !smarterbase.IsCode(err, e.Code) || !smarterbase.HasReason(err, e.Reason) {
		t.Errorf("%s: message %q does not have the shared shape", where, err.Error())
	}
	if md, ok := want["metadata"]; ok && !subset(md, normalize(t, e.Metadata)) {
		t.Errorf("%s: metadata %v, want %v", where, e.Metadata, md)
	}
	if pf, ok := want["preconditionFailures"]; ok {
		got := []any{}
		for _, v := range e.PreconditionViolations {
			got = append(got, map[string]any{"type": v.Type, "subject": v.Subject})
		}
		if !reflect.DeepEqual(pf, got) {
			t.Errorf("%s: precondition failures %v, want %v", where, got, pf)
		}
	}
	preds, _ := want["predicates"].(map[string]any)
	for name, value := range preds {
		p, ok := confPredicates[name]
		if !ok {
			t.Fatalf("%s: unknown predicate %s", where, name)
		}
		if p(err) != value.(bool) {
			t.Errorf("%s: predicate %s = %v, want %v", where, name, p(err), value)
		}
	}
}

func TestConformanceScenarios(t *testing.T) {
	f := loadConformance(t)
	names := []string{}
	for n := range confPredicates {
		names = append(names, n)
	}
	sort.Strings(names)
	sort.Strings(f.Predicates)
	if !reflect.DeepEqual(names, f.Predicates) {
		t.Fatalf("predicates of the file %v, of this runner %v", f.Predicates, names)
	}
	c := liveClient(t)
	for _, sc := range f.Scenarios {
		t.Run(sc.Name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			col := collection(t)
			vars := map[string]any{}
			leases := map[string]*smarterbase.Lease{}
			for i, step := range sc.Steps {
				where := fmt.Sprintf("step %d (%s)", i, step.Call)
				args := resolve(t, step.Args, vars).(map[string]any)
				res, err := confRun(ctx, c, col, step.Call, args, leases)
				if step.Error != nil {
					if err == nil {
						t.Fatalf("%s: want %v, got %v", where, step.Error["reason"], res)
					}
					confCheckError(t, where, err, resolve(t, step.Error, vars).(map[string]any))
					continue
				}
				if err != nil {
					t.Fatalf("%s: %v", where, err)
				}
				got := normalize(t, res)
				if step.Expect != nil && !subset(resolve(t, step.Expect, vars), got) {
					t.Fatalf("%s: got %v, want %v", where, got, step.Expect)
				}
				for name, field := range step.Save {
					vars[name] = got[field]
				}
			}
		})
	}
}
