package smarterbase

import (
	"encoding/json"
	"fmt"

	"google.golang.org/protobuf/types/known/structpb"

	pb "github.com/smarterbase/smarterbase/clients/go/gen/smarterbase/v1"
)

// Filter is a typed query filter built with Eq, And, Not and the other
// builders:
//
//	smarterbase.And(smarterbase.Eq("status", "active"), smarterbase.Gte("age", 21))
//
// The zero Filter matches every document. A builder given a value that is
// not JSON-encodable records the error, which the query call returns.
type Filter struct {
	p   *pb.Filter
	err error
}

// Proto returns the wire form of the filter (nil for the zero Filter) and
// the first error recorded while building it.
func (f Filter) Proto() (*pb.Filter, error) { return f.p, f.err }

// IsZero reports whether f is the zero Filter (no condition).
func (f Filter) IsZero() bool { return f.p == nil && f.err == nil }

// toValue converts a Go value to a google.protobuf.Value; values structpb
// does not take directly (typed slices, maps, structs) go through JSON.
func toValue(v any) (*structpb.Value, error) {
	if pv, err := structpb.NewValue(v); err == nil {
		return pv, nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("smarterbase: filter value %v: %w", v, err)
	}
	var generic any
	if err := json.Unmarshal(raw, &generic); err != nil {
		return nil, fmt.Errorf("smarterbase: filter value %v: %w", v, err)
	}
	pv, err := structpb.NewValue(generic)
	if err != nil {
		return nil, fmt.Errorf("smarterbase: filter value %v: %w", v, err)
	}
	return pv, nil
}

func fieldFilter(field string, op pb.FieldFilter_Operator, value any) Filter {
	v, err := toValue(value)
	if err != nil {
		return Filter{err: err}
	}
	return Filter{p: &pb.Filter{FilterType: &pb.Filter_FieldFilter{FieldFilter: &pb.FieldFilter{Field: field, Op: op, Value: v}}}}
}

// Eq holds when field equals value (same type and value; on an array field,
// when any element equals it).
func Eq(field string, value any) Filter { return fieldFilter(field, pb.FieldFilter_OPERATOR_EQ, value) }

// Ne holds when field differs from value or is missing.
func Ne(field string, value any) Filter { return fieldFilter(field, pb.FieldFilter_OPERATOR_NE, value) }

// Lt holds when field < value (numbers with numbers, strings with strings).
func Lt(field string, value any) Filter { return fieldFilter(field, pb.FieldFilter_OPERATOR_LT, value) }

// Lte holds when field <= value.
func Lte(field string, value any) Filter {
	return fieldFilter(field, pb.FieldFilter_OPERATOR_LTE, value)
}

// Gt holds when field > value.
func Gt(field string, value any) Filter { return fieldFilter(field, pb.FieldFilter_OPERATOR_GT, value) }

// Gte holds when field >= value.
func Gte(field string, value any) Filter {
	return fieldFilter(field, pb.FieldFilter_OPERATOR_GTE, value)
}

// In holds when field equals one of values (at most 100).
func In(field string, values ...any) Filter {
	return fieldFilter(field, pb.FieldFilter_OPERATOR_IN, append([]any{}, values...))
}

// NotIn holds when field equals none of values, or is missing.
func NotIn(field string, values ...any) Filter {
	return fieldFilter(field, pb.FieldFilter_OPERATOR_NOT_IN, append([]any{}, values...))
}

// Contains holds when the string field contains substring.
func Contains(field, substring string) Filter {
	return fieldFilter(field, pb.FieldFilter_OPERATOR_CONTAINS, substring)
}

// ArrayContains holds when the array field has an element equal to value.
func ArrayContains(field string, value any) Filter {
	return fieldFilter(field, pb.FieldFilter_OPERATOR_ARRAY_CONTAINS, value)
}

// StartsWith holds when the string field starts with prefix.
func StartsWith(field, prefix string) Filter {
	return fieldFilter(field, pb.FieldFilter_OPERATOR_STARTS_WITH, prefix)
}

// Exists holds when field is present (null counts as present).
func Exists(field string) Filter { return fieldFilter(field, pb.FieldFilter_OPERATOR_EXISTS, true) }

// Missing holds when field is absent.
func Missing(field string) Filter { return fieldFilter(field, pb.FieldFilter_OPERATOR_EXISTS, false) }

func composite(op pb.CompositeFilter_Operator, filters []Filter) Filter {
	subs := make([]*pb.Filter, 0, len(filters))
	for _, f := range filters {
		if f.err != nil {
			return Filter{err: f.err}
		}
		if f.p == nil {
			return Filter{err: fmt.Errorf("smarterbase: a zero Filter cannot be combined")}
		}
		subs = append(subs, f.p)
	}
	return Filter{p: &pb.Filter{FilterType: &pb.Filter_CompositeFilter{CompositeFilter: &pb.CompositeFilter{Op: op, Filters: subs}}}}
}

// And holds when every filter holds (1 to 100 of them).
func And(filters ...Filter) Filter { return composite(pb.CompositeFilter_OPERATOR_AND, filters) }

// Or holds when at least one filter holds (1 to 100 of them).
func Or(filters ...Filter) Filter { return composite(pb.CompositeFilter_OPERATOR_OR, filters) }

// Not holds when f does not.
func Not(f Filter) Filter {
	if f.err != nil {
		return f
	}
	if f.p == nil {
		return Filter{err: fmt.Errorf("smarterbase: a zero Filter cannot be negated")}
	}
	return Filter{p: &pb.Filter{FilterType: &pb.Filter_NotFilter{NotFilter: &pb.NotFilter{Filter: f.p}}}}
}

// OrderBy is one sort key of a query. Documents missing the field sort last
// in either direction; ties are broken by id (ascending).
type OrderBy struct {
	// Field is the dotted field path.
	Field string
	// Descending sorts largest first; the default is ascending.
	Descending bool
}

// Asc sorts by field, smallest first.
func Asc(field string) OrderBy { return OrderBy{Field: field} }

// Desc sorts by field, largest first.
func Desc(field string) OrderBy { return OrderBy{Field: field, Descending: true} }

func orderByProto(terms []OrderBy) []*pb.OrderBy {
	out := make([]*pb.OrderBy, 0, len(terms))
	for _, t := range terms {
		d := pb.Direction_DIRECTION_ASCENDING
		if t.Descending {
			d = pb.Direction_DIRECTION_DESCENDING
		}
		out = append(out, &pb.OrderBy{Field: t.Field, Direction: d})
	}
	return out
}
