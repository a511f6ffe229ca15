/**
 * fast-check arbitraries of valid-shaped requests for any protobuf message,
 * built from its descriptor, as proto3 JSON (so `fromJson` turns them into
 * messages, and Struct, Value, Duration and Timestamp need no special code).
 * Strings lean on what breaks servers: path escapes, NUL and control
 * characters, unpaired surrogates, odd Unicode forms, huge values.
 */
import * as fc from 'fast-check';
import { ScalarType, type DescField, type DescMessage, type JsonObject, type JsonValue } from '@bufbuild/protobuf';

/** Collections, ids, lock and index names that recur, so that later calls meet documents earlier calls made. */
export const POOL = ['fz', 'fz2', 'a', 'b', 'doc-1', 'x.y', 'name', 'age', 'tags', 'n'];

/**
 * Names that try to escape the data dir or confuse key encodings. The
 * canary prefix lets the suite look for files created outside the sandbox.
 */
export const CANARY = 'fuzzcanary';
const HOSTILE = [
  '',
  ' ',
  '.',
  '..',
  '../x',
  `../${CANARY}`,
  `../../${CANARY}`,
  `../../../../../../tmp/${CANARY}`,
  '..%2f..%2fx',
  '%2e%2e%2f',
  '..\\..\\x',
  `/tmp/${CANARY}`,
  '/etc/passwd',
  '/',
  '//',
  'a/../../b',
  'a\u0000b',
  '\u0000',
  'con',
  'NUL',
  'aux.txt',
  '~',
  '~root',
  '$HOME',
  '${x}',
  '*',
  '?',
  'a/b',
  'a//b',
  'a/./b',
  '\u212b',
  'A\u030a',
  '\u00c5',
  '\ud800',
  '\udfff',
  'x\ud800y',
  '\u202e',
  '\ufeff',
  '\u{1f600}',
  'e\u0301',
  '\u0130',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  '_meta',
  '_txn',
  '.tmp',
  'x.tmp',
  '\n',
  '\r\n',
  '\t',
  '\x7f',
  '\x1b[31m',
  '%s%n',
  "' OR 1=1 --",
  '<script>',
  '{}',
  '[]',
  'null',
  '-1',
  '1e309',
];

/** Lengths around the id and name limits, and far beyond them. */
const LONG_LENGTHS = [255, 256, 512, 1024, 1025, 4096, 65_536];

/** A string as a hostile client would send it. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 16, arbitrary: fc.constantFrom(...POOL) },
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 24 }) },
  { weight: 1, arbitrary: fc.string({ unit: fc.integer({ min: 0, max: 0x3f }).map((c) => String.fromCharCode(c)), maxLength: 12 }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom('a', '/', '.', '\u00e9', '\u{1f600}'), fc.constantFrom(...LONG_LENGTHS))
      .map(([c, n]) => c.repeat(n)),
  },
);

const INT32_EDGES = [0, 1, -1, 2, 10, 100, 1000, 1001, 2 ** 31 - 1, -(2 ** 31)];
const UINT32_EDGES = [0, 1, 2, 1000, 2 ** 32 - 1];
const INT64_EDGES = ['0', '1', '-1', '9007199254740993', '9223372036854775807', '-9223372036854775808'];
const UINT64_EDGES = ['0', '1', '18446744073709551615'];

function scalarArb(type: ScalarType): fc.Arbitrary<JsonValue> {
  switch (type) {
    case ScalarType.STRING:
      return hostileString;
    case ScalarType.BOOL:
      return fc.boolean();
    case ScalarType.BYTES:
      return fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString('base64'));
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom('NaN', 'Infinity', '-Infinity', 0, -0));
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return fc.oneof(fc.constantFrom(...INT32_EDGES), fc.integer());
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return fc.oneof(fc.constantFrom(...UINT32_EDGES), fc.nat());
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return fc.oneof(fc.constantFrom(...UINT64_EDGES), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String));
    default:
      return fc.oneof(fc.constantFrom(...INT64_EDGES), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String));
  }
}

/** A JSON value of google.protobuf.Value: nested up to `depth`, sometimes past the server's nesting limit. */
export function jsonValueArb(depth: number): fc.Arbitrary<JsonValue> {
  const leaf: fc.Arbitrary<JsonValue> = fc.oneof(
    fc.constant(null),
    fc.boolean(),
    hostileString,
    fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(0, -0, 2 ** 53 + 1, 1e308, -1e-308)),
  );
  const nested = fc.letrec<{ v: JsonValue }>((tie) => ({
    v: fc.oneof(
      { depthSize: 'small', maxDepth: depth },
      leaf,
      fc.array(tie('v'), { maxLength: 4 }),
      fc.dictionary(hostileString, tie('v'), { maxKeys: 4 }),
    ),
  })).v;
  const deep = fc.integer({ min: 30, max: 40 }).map((n) => {
    let v: JsonValue = 1;
    for (let i = 0; i < n; i++) v = i % 2 === 0 ? { k: v } : [v];
    return v;
  });
  return fc.oneof({ weight: 30, arbitrary: nested }, { weight: 1, arbitrary: deep });
}

function wktArb(typeName: string, depth: number): fc.Arbitrary<JsonValue> | undefined {
  switch (typeName) {
    case 'google.protobuf.Struct':
      return jsonValueArb(depth).map((v) => (typeof v === 'object' && v !== null && !Array.isArray(v) ? v : { v }));
    case 'google.protobuf.Value':
      return jsonValueArb(depth);
    case 'google.protobuf.ListValue':
      return fc.array(jsonValueArb(depth - 1), { maxLength: 4 });
    case 'google.protobuf.Duration':
      return fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom('1s', '2s', '5s', '10s', '30s', '0.5s', '0.100s') },
        {
          weight: 1,
          arbitrary: fc.constantFrom(
            '0s',
            '0.000000001s',
            '0.099999999s',
            '-1s',
            '600s',
            '600.000000001s',
            '86400s',
            '315576000000s',
            '-315576000000s',
          ),
        },
      );
    case 'google.protobuf.Timestamp':
      return fc.constantFrom(
        '1970-01-01T00:00:00Z',
        '0001-01-01T00:00:00Z',
        '9999-12-31T23:59:59.999999999Z',
        new Date().toISOString(),
        '2000-02-29T12:00:00.5Z',
      );
    default:
      return undefined;
  }
}

const IDENT = fc.constantFrom('name', 'age', 'tags', 'a.b', 'n', 'status', 'x_1', '`odd key`', '`AND`', '`__proto__`', '`a\\`b`', '``');
const LITERAL = fc.oneof(
  fc.constantFrom(
    '1',
    '-1',
    '0',
    '1.5e3',
    '-0',
    '1e309',
    'true',
    'false',
    'null',
    '"a"',
    "'b'",
    '"\\u0000"',
    '"\\ud800"',
    '[]',
    '[1, "a"]',
    '{}',
    '{"k": [1]}',
  ),
  hostileString.map((v) => JSON.stringify(v)),
);

/** Filter expressions in the documented grammar (docs/queries.md), valid or nearly so, and a few built to overflow a recursive parser. */
export const filterExpressionArb: fc.Arbitrary<string> = (() => {
  const tree = fc.letrec<{ expr: string }>((tie) => ({
    expr: fc.oneof(
      { depthSize: 'small', maxDepth: 4 },
      fc.tuple(IDENT, fc.constantFrom('=', '!=', '<', '<=', '>', '>=', ':'), LITERAL).map(([f, op, v]) => `${f} ${op} ${v}`),
      fc
        .tuple(IDENT, fc.constantFrom('IN', 'NOT IN'), fc.array(LITERAL, { maxLength: 3 }))
        .map(([f, op, vs]) => `${f} ${op} [${vs.join(', ')}]`),
      fc.tuple(fc.constantFrom('starts_with', 'contains', 'array_contains'), IDENT, LITERAL).map(([fn, f, v]) => `${fn}(${f}, ${v})`),
      fc.tuple(IDENT, fc.constantFrom('', ', true', ', false')).map(([f, b]) => `exists(${f}${b})`),
      fc.tuple(tie('expr'), fc.constantFrom('AND', 'OR'), tie('expr')).map(([l, op, r]) => `${l} ${op} ${r}`),
      tie('expr').map((e) => `NOT (${e})`),
      tie('expr').map((e) => `(${e})`),
    ),
  })).expr;
  const deep = fc
    .tuple(fc.constantFrom('(', 'NOT ', '-', '[', 'a = ['), fc.constantFrom(1000, 30_000))
    .map(([open, n]) =>
      open === '('
        ? `${'('.repeat(n)}a = 1${')'.repeat(n)}`
        : open === '['
          ? `a IN ${'['.repeat(n)}${']'.repeat(n)}`
          : open === 'a = ['
            ? `a = ${'['.repeat(n)}`
            : `${open.repeat(n)}a = 1`,
    );
  return fc.oneof({ weight: 20, arbitrary: tree }, { weight: 2, arbitrary: hostileString }, { weight: 1, arbitrary: deep });
})();

/** Fields whose strings follow a grammar of their own: random text would never get past its parser. */
const FIELD_HINTS: Record<string, fc.Arbitrary<JsonValue>> = { filterExpression: filterExpressionArb };

/** Fields the contract says are mutually exclusive without a oneof: at most one of each group is set (mostly). */
const EXCLUSIVE: readonly (readonly string[])[] = [['filter', 'filterExpression']];

function fieldArb(field: DescField, depth: number): fc.Arbitrary<JsonValue> {
  const hint = FIELD_HINTS[field.jsonName];
  if (hint !== undefined && field.fieldKind === 'scalar') return hint;
  switch (field.fieldKind) {
    case 'scalar':
      return scalarArb(field.scalar);
    case 'enum':
      return enumArb(field.enum.values.map((v) => v.name));
    case 'message':
      return messageJsonArb(field.message, depth - 1);
    case 'list': {
      const item =
        field.listKind === 'scalar'
          ? scalarArb(field.scalar)
          : field.listKind === 'enum'
            ? enumArb(field.enum.values.map((v) => v.name))
            : messageJsonArb(field.message, depth - 1);
      const few = fc.array(item, { maxLength: 4 });
      // Past the batch limits (1000 ids, 500 writes) now and then, for scalar lists only (cheap).
      return field.listKind === 'scalar'
        ? fc.oneof({ weight: 30, arbitrary: few }, { weight: 1, arbitrary: fc.array(item, { minLength: 990, maxLength: 1100 }) })
        : few;
    }
    case 'map': {
      const value =
        field.mapKind === 'scalar'
          ? scalarArb(field.scalar)
          : field.mapKind === 'enum'
            ? enumArb(field.enum.values.map((v) => v.name))
            : messageJsonArb(field.message, depth - 1);
      return fc.dictionary(scalarArb(field.mapKey).map(String), value, { maxKeys: 3 }) as fc.Arbitrary<JsonValue>;
    }
  }
}

function enumArb(names: string[]): fc.Arbitrary<JsonValue> {
  return fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...names) }, { weight: 1, arbitrary: fc.constantFrom(-1, 99, 2 ** 31 - 1) });
}

const cache = new Map<string, fc.Arbitrary<JsonValue>>();

/**
 * Proto3 JSON of a random `desc` message: each plain field present or not,
 * at most one member of each oneof, messages nested up to `depth`.
 */
export function messageJsonArb(desc: DescMessage, depth = 4): fc.Arbitrary<JsonValue> {
  const wkt = wktArb(desc.typeName, Math.max(depth, 1) + 2);
  if (wkt !== undefined) return wkt;
  if (depth <= 0) return fc.constant({});
  const key = `${desc.typeName}@${depth}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const plain = desc.fields.filter((f) => f.oneof === undefined);
  // Each plain field is present 6 times in 7, so that requests often get past the required-field checks.
  const record: Record<string, fc.Arbitrary<JsonValue | null>> = {};
  for (const f of plain) record[f.jsonName] = fc.option(fieldArb(f, depth), { freq: 6 });
  const exclusive = EXCLUSIVE.filter((g) => g.every((n) => n in record));
  const base = fc
    .tuple(fc.record(record), fc.array(fc.nat(), { minLength: exclusive.length, maxLength: exclusive.length }))
    .map(([r, keep]) => {
      const out = Object.fromEntries(Object.entries(r).filter(([, v]) => v !== null));
      // One time in 8 both stay, so the server's refusal of the pair is exercised too.
      exclusive.forEach((g, i) => {
        if (keep[i]! % 8 !== 0) for (const [j, n] of g.entries()) if (j !== keep[i]! % g.length) delete out[n];
      });
      return out;
    });
  const oneofs = desc.oneofs.map((o) =>
    fc.option(fc.oneof(...o.fields.map((f) => fieldArb(f, depth).map((v) => [f.jsonName, v] as const))), { freq: 4 }),
  );
  const arb = fc.tuple(base, ...oneofs).map(([obj, ...chosen]) => {
    const out: JsonObject = { ...(obj as JsonObject) };
    for (const c of chosen) if (c !== null) out[c[0]] = c[1];
    return out as JsonValue;
  });
  cache.set(key, arb);
  return arb;
}
