import type { JsonValue } from '../model/json.js';
import type { OrderedRange } from '../index/index-store.js';
import type { FieldOp } from '../model/filter.js';

/**
 * Ranges on ordered indexes for single comparisons: lt/lte/gt/gte/eq on a
 * number or a string, and starts_with as [prefix, successor(prefix)).
 */

/** The range `field op value` selects, or undefined when an ordered index cannot answer it. */
export function rangeFor(op: FieldOp, value: JsonValue): OrderedRange | undefined {
  if (op === 'starts_with') {
    if (typeof value !== 'string') return undefined;
    if (value === '') return { type: 'string' };
    const upper = prefixSuccessor(value);
    return {
      type: 'string',
      lower: { value, inclusive: true },
      ...(upper === undefined ? {} : { upper: { value: upper, inclusive: false } }),
    };
  }
  if (typeof value !== 'number' && typeof value !== 'string') return undefined;
  const type = typeof value === 'number' ? 'number' : 'string';
  switch (op) {
    case 'eq':
      return { type, lower: { value, inclusive: true }, upper: { value, inclusive: true } };
    case 'lt':
      return { type, upper: { value, inclusive: false } };
    case 'lte':
      return { type, upper: { value, inclusive: true } };
    case 'gt':
      return { type, lower: { value, inclusive: false } };
    case 'gte':
      return { type, lower: { value, inclusive: true } };
    default:
      return undefined;
  }
}

/**
 * The least string greater than every string starting with `prefix` (in code
 * point order = UTF-8 byte order), or undefined when there is none (the
 * prefix is all U+10FFFF).
 */
export function prefixSuccessor(prefix: string): string | undefined {
  const cps = Array.from(prefix, (c) => c.codePointAt(0) as number);
  while (cps.length > 0) {
    const last = cps.pop() as number;
    if (last === 0x10ffff) continue;
    let next = last + 1;
    if (next >= 0xd800 && next <= 0xdfff) next = 0xe000;
    cps.push(next);
    return String.fromCodePoint(...cps);
  }
  return undefined;
}
