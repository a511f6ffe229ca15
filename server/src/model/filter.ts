/**
 * The query model: a typed filter tree, sort terms and projections. The RPC
 * layer converts the proto Filter (or parses filter_expression) into this;
 * the planner and the evaluator work on it alone.
 */
import type { JsonValue } from './json.js';

/** A comparison on one field (see proto smarterbase.v1.FieldFilter.Operator for the semantics). */
export type FieldOp =
  'eq' | 'ne' | 'lt' | 'lte' | 'gt' | 'gte' | 'in' | 'not_in' | 'contains' | 'array_contains' | 'starts_with' | 'exists';

/** A filter tree. */
export type Filter =
  /** `field op value`; field is a dotted path. `in`/`not_in` take an array, `exists` a boolean. */
  | { readonly kind: 'field'; readonly field: string; readonly op: FieldOp; readonly value: JsonValue }
  /** Every sub-filter holds (1..100 of them). */
  | { readonly kind: 'and'; readonly filters: readonly Filter[] }
  /** At least one sub-filter holds (1..100 of them). */
  | { readonly kind: 'or'; readonly filters: readonly Filter[] }
  /** The sub-filter does not hold. */
  | { readonly kind: 'not'; readonly filter: Filter };

/** One sort key: missing values sort last in either direction; ties fall to the id. */
export interface OrderTerm {
  /** Dotted field path. */
  readonly field: string;
  readonly direction: 'asc' | 'desc';
}
