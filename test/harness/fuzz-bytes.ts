/**
 * fast-check arbitraries of hostile protobuf bytes for a request type:
 * valid encodings, mutated ones (bit flips, truncation, insertion), random
 * bytes, and crafted ones (wrong wire types, invalid UTF-8 in string
 * fields, lying and overflowing length varints, recursion thousands of
 * levels deep along a cycle of the message's own fields).
 */
import * as fc from 'fast-check';
import { fromJson, toBinary, type DescField, type DescMessage } from '@bufbuild/protobuf';
import { messageJsonArb } from './fuzz-json.js';

/** A protobuf base-128 varint. */
export function varint(n: number | bigint): Buffer {
  let v = BigInt(n);
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return Buffer.from(out);
}

/** A field tag (number and wire type). */
export function tag(field: number, wireType: number): Buffer {
  return varint((BigInt(field) << 3n) | BigInt(wireType));
}

/** A length-delimited field. */
export function lenField(field: number, payload: Uint8Array): Buffer {
  return Buffer.concat([tag(field, 2), varint(payload.length), payload]);
}

/** Valid encodings of random `desc` messages (undefined when the JSON does not make one). */
export function validBytesArb(desc: DescMessage): fc.Arbitrary<Buffer> {
  return messageJsonArb(desc).map((json) => {
    try {
      return Buffer.from(toBinary(desc, fromJson(desc, json)));
    } catch {
      return Buffer.alloc(0);
    }
  });
}

/** `bytes` with random damage. */
function mutate(bytes: fc.Arbitrary<Buffer>): fc.Arbitrary<Buffer> {
  return fc
    .tuple(
      bytes,
      fc.constantFrom('flip', 'truncate', 'insert', 'append', 'overwrite'),
      fc.array(fc.nat(), { minLength: 4, maxLength: 4 }),
      fc.uint8Array({ minLength: 1, maxLength: 12 }),
    )
    .map(([b, how, r, junk]) => {
      const at = b.length === 0 ? 0 : r[0]! % b.length;
      const out = Buffer.from(b);
      switch (how) {
        case 'flip':
          for (let i = 0; i < 1 + (r[1]! % 4) && out.length > 0; i++) out[(at + r[i]!) % out.length]! ^= 1 << (r[2]! % 8);
          return out;
        case 'truncate':
          return out.subarray(0, at);
        case 'insert':
          return Buffer.concat([out.subarray(0, at), junk, out.subarray(at)]);
        case 'append':
          return Buffer.concat([out, junk]);
        default:
          return Buffer.concat([out.subarray(0, at), junk, out.subarray(at + junk.length)]);
      }
    });
}

/** A cycle of message fields starting at `desc` (e.g. Filter → NotFilter → Filter), or a path into Struct nesting. */
function findCycle(desc: DescMessage): DescField[] | undefined {
  const walk = (m: DescMessage, path: DescField[], seen: Set<string>): DescField[] | undefined => {
    for (const f of m.fields) {
      const child =
        f.fieldKind === 'message' ||
        (f.fieldKind === 'list' && f.listKind === 'message') ||
        (f.fieldKind === 'map' && f.mapKind === 'message')
          ? f.message
          : undefined;
      if (child === undefined) continue;
      if (seen.has(child.typeName)) {
        // Return the part of the path from the first visit of `child`.
        const start = path.findIndex((p) => p.parent.typeName === child.typeName);
        return [...path.slice(start < 0 ? path.length : start), f];
      }
      const found = walk(child, [...path, f], new Set([...seen, child.typeName]));
      if (found !== undefined) return found;
    }
    return undefined;
  };
  return walk(desc, [], new Set([desc.typeName]));
}

/** The field numbers leading from `desc` to the start of its cycle, then the cycle; undefined when it has none. */
function nestingPlan(desc: DescMessage): { prefix: number[]; cycle: number[] } | undefined {
  const cycle = findCycle(desc);
  if (cycle === undefined) return undefined;
  const cycleStart = cycle[0]!.parent.typeName;
  const prefix: number[] = [];
  const toStart = (m: DescMessage, seen: Set<string>): boolean => {
    if (m.typeName === cycleStart) return true;
    for (const f of m.fields) {
      const child = f.message;
      if (child === undefined || seen.has(child.typeName)) continue;
      prefix.push(f.number);
      if (toStart(child, new Set([...seen, child.typeName]))) return true;
      prefix.pop();
    }
    return false;
  };
  if (!toStart(desc, new Set([desc.typeName]))) return undefined;
  // A map field is an entry message whose value is field 2.
  const numbers = cycle.flatMap((f) => (f.fieldKind === 'map' ? [f.number, 2] : [f.number]));
  return { prefix, cycle: numbers };
}

const deepCache = new Map<string, Buffer | undefined>();

/** Bytes nesting the cycle of `desc` `levels` times (built inside out, one concatenation; cached). */
export function deepBytes(desc: DescMessage, levels: number): Buffer | undefined {
  const key = `${desc.typeName}/${levels}`;
  if (!deepCache.has(key)) deepCache.set(key, buildDeep(desc, levels));
  return deepCache.get(key);
}

function buildDeep(desc: DescMessage, levels: number): Buffer | undefined {
  const plan = nestingPlan(desc);
  if (plan === undefined) return undefined;
  const fields = [...plan.prefix];
  for (let i = 0; i < levels; i++) fields.push(...plan.cycle);
  const heads: Buffer[] = new Array<Buffer>(fields.length);
  let inner = 0;
  for (let i = fields.length - 1; i >= 0; i--) {
    heads[i] = Buffer.concat([tag(fields[i]!, 2), varint(inner)]);
    inner += heads[i]!.length;
  }
  return Buffer.concat(heads);
}

const INVALID_UTF8 = [[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82], [0x61, 0x80, 0x62]].map((b) =>
  Buffer.from(b),
);

/** Crafted bytes for `desc`: broken in the ways a decoder must survive. */
function craftedArb(desc: DescMessage): fc.Arbitrary<Buffer> {
  const numbers = desc.fields.map((f) => f.number);
  const strings = desc.fields.filter((f) => f.fieldKind === 'scalar' && f.scalar === 9).map((f) => f.number);
  const fieldNo = fc.oneof(fc.constantFrom(...(numbers.length > 0 ? numbers : [1])), fc.constantFrom(0, 19000, 536870911, 99));
  const options: fc.Arbitrary<Buffer>[] = [
    // Every wire type, including the deprecated groups and the invalid 6 and 7, with a little payload.
    fc.tuple(fieldNo, fc.integer({ min: 0, max: 7 }), fc.uint8Array({ maxLength: 9 })).map(([n, wt, p]) => Buffer.concat([tag(n, wt), p])),
    // A length that lies: longer than what follows, or a varint too large for any length.
    fc
      .tuple(fieldNo, fc.constantFrom(5n, 1000n, 2n ** 31n, 2n ** 32n + 1n, 2n ** 63n), fc.uint8Array({ maxLength: 4 }))
      .map(([n, len, p]) => Buffer.concat([tag(n, 2), varint(len), p])),
    // An 11-byte varint (overflows 64 bits) and a varint cut short.
    fieldNo.map((n) => Buffer.concat([tag(n, 0), Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])])),
    fieldNo.map((n) => Buffer.concat([tag(n, 0), Buffer.from([0x80, 0x80])])),
  ];
  if (strings.length > 0)
    options.push(fc.tuple(fc.constantFrom(...strings), fc.constantFrom(...INVALID_UTF8)).map(([n, b]) => lenField(n, b)));
  if (nestingPlan(desc) !== undefined) options.push(fc.constantFrom(40, 200, 5_000, 30_000).map((levels) => deepBytes(desc, levels)!));
  return fc.oneof(...options);
}

/** Hostile bytes for a request of type `desc`. */
export function hostileBytesArb(desc: DescMessage): fc.Arbitrary<Buffer> {
  const valid = validBytesArb(desc);
  return fc.oneof(
    { weight: 2, arbitrary: valid },
    { weight: 5, arbitrary: mutate(valid) },
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)) },
    { weight: 4, arbitrary: craftedArb(desc) },
    { weight: 2, arbitrary: fc.tuple(valid, craftedArb(desc)).map(([a, b]) => Buffer.concat([a, b])) },
  );
}
