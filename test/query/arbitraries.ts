/** fast-check generators of filters and documents for the query property tests. */
import fc from 'fast-check';
import type { Filter, FieldOp, OrderTerm } from '../../server/src/model/filter.js';
import type { JsonObject, JsonValue } from '../../server/src/model/json.js';

/** Any finite JSON value (no -0, no __proto__ keys). */
export const anyJson: fc.Arbitrary<JsonValue> = fc.letrec<{ v: JsonValue }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer().map((n) => (n === 0 ? 0 : n)),
    fc.double({ noDefaultInfinity: true, noNaN: true }).map((n) => (Object.is(n, -0) ? 0 : n)),
    fc.string({ unit: 'binary', maxLength: 8 }),
    fc.array(tie('v'), { maxLength: 3 }),
    fc.dictionary(
      fc.string({ maxLength: 5 }).filter((k) => k !== '__proto__'),
      tie('v'),
      { maxKeys: 3 },
    ),
  ),
})).v;

/** A dotted path of 1..3 arbitrary non-empty segments without dots. */
export const anyPath: fc.Arbitrary<string> = fc
  .array(
    fc.string({ unit: 'binary', minLength: 1, maxLength: 6 }).filter((s) => !s.includes('.')),
    { minLength: 1, maxLength: 3 },
  )
  .map((segs) => segs.join('.'));

/** A valid filter tree over the given fields and values. */
export function filterArb(field: fc.Arbitrary<string>, value: fc.Arbitrary<JsonValue>, maxDepth = 3): fc.Arbitrary<Filter> {
  const rangeValue = fc.oneof(
    value.filter((v) => typeof v === 'number' || typeof v === 'string'),
    fc.integer({ min: -3, max: 3 }),
  );
  const str = fc.oneof(
    value.filter((v): v is string => typeof v === 'string'),
    fc.constantFrom('', 'a', 'b'),
  );
  const leaf: fc.Arbitrary<Filter> = fc.oneof(
    fc.record({ kind: fc.constant('field' as const), field, op: fc.constantFrom<FieldOp>('eq', 'ne', 'array_contains'), value }),
    fc.record({ kind: fc.constant('field' as const), field, op: fc.constantFrom<FieldOp>('lt', 'lte', 'gt', 'gte'), value: rangeValue }),
    fc.record({
      kind: fc.constant('field' as const),
      field,
      op: fc.constantFrom<FieldOp>('in', 'not_in'),
      value: fc.array(value, { maxLength: 3 }),
    }),
    fc.record({ kind: fc.constant('field' as const), field, op: fc.constantFrom<FieldOp>('contains', 'starts_with'), value: str }),
    fc.record({ kind: fc.constant('field' as const), field, op: fc.constant<FieldOp>('exists'), value: fc.boolean() }),
  );
  const tree = fc.letrec<{ f: Filter }>((tie) => ({
    f: fc.oneof(
      { maxDepth, depthSize: 'small' },
      leaf,
      fc.record({ kind: fc.constantFrom('and' as const, 'or' as const), filters: fc.array(tie('f'), { minLength: 1, maxLength: 3 }) }),
      fc.record({ kind: fc.constant('not' as const), filter: tie('f') }),
    ),
  }));
  return tree.f;
}

/** Small values that make filters hit documents often. */
export const smallValue: fc.Arbitrary<JsonValue> = fc.oneof(
  fc.integer({ min: -2, max: 3 }),
  fc.constantFrom('a', 'b', 'ab', 'ba', '', 'é', '😀'),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.oneof(fc.integer({ min: 0, max: 2 }), fc.constantFrom('a', 'b')), { maxLength: 3 }),
);

/** The fields of the random documents. */
export const docFields = ['n', 's', 'tags', 'o.x'] as const;

/** A random document over docFields (each field may be missing). */
export const docArb: fc.Arbitrary<JsonObject> = fc
  .record({ n: smallValue, s: smallValue, tags: smallValue, x: smallValue }, { requiredKeys: [] })
  .map(({ x, ...rest }) => (x === undefined ? rest : { ...rest, o: { x } }) as JsonObject);

/** 0..2 order terms over docFields. */
export const orderArb: fc.Arbitrary<OrderTerm[]> = fc.array(
  fc.record({ field: fc.constantFrom<string>(...docFields), direction: fc.constantFrom<'asc' | 'desc'>('asc', 'desc') }),
  { maxLength: 2 },
);
