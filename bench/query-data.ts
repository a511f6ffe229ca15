/**
 * Pure helpers of the query benchmark: the documents it loads (an indexed
 * category and score, plus unindexed copies of both so the same filter and
 * order can be forced onto the scan plan), and parsers for the server's
 * /proc status and Prometheus text.
 */
import type { JsonObject } from '@bufbuild/protobuf';

/** Distinct values of the equality-indexed field `cat` (N / 1000 documents match each). */
export const CATEGORY_COUNT = 1000;

/** Target JSON size of one loaded document, bytes. */
export const QUERY_DOC_BYTES = 200;

/** The id of document number `i` (zero-padded, so id order is number order). */
export function queryDocId(i: number): string {
  return `q${String(i).padStart(7, '0')}`;
}

/** The category of document `i`: "c0000".."c0999", i mod 1000. */
export function categoryOf(i: number): string {
  return `c${String(i % CATEGORY_COUNT).padStart(4, '0')}`;
}

/** A deterministic score spread over [0, 1,000,003) / 10 (a multiplicative hash of i). */
export function scoreOf(i: number): number {
  return Number((BigInt(i) * 2654435761n) % 1000003n) / 10;
}

/**
 * Document `i`: `cat` (equality index) and `score` (ordered index), the same
 * values unindexed as `catCopy` and `scoreCopy`, and padding up to ~200 bytes.
 */
export function queryDoc(i: number): JsonObject {
  const base = { cat: categoryOf(i), catCopy: categoryOf(i), score: scoreOf(i), scoreCopy: scoreOf(i), n: i, pad: '' };
  const pad = Math.max(0, QUERY_DOC_BYTES - JSON.stringify(base).length);
  return { ...base, pad: 'x'.repeat(pad) };
}

/** The ids of the documents among 0..n-1 whose category is `category`, ascending. */
export function idsOfCategory(n: number, category: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) if (categoryOf(i) === category) out.push(queryDocId(i));
  return out;
}

/** VmRSS of a /proc/<pid>/status text, in KiB; undefined when the line is missing. */
export function parseVmRssKiB(status: string): number | undefined {
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  return m ? Number(m[1]) : undefined;
}

/**
 * The sum of every sample of metric `name` (any labels) in Prometheus text
 * format; undefined when the metric has no sample.
 */
export function sumMetric(text: string, name: string): number | undefined {
  let sum: number | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== '{' && rest[0] !== ' ') continue;
    const afterLabels = rest[0] === '{' ? rest.slice(rest.lastIndexOf('}') + 1) : rest;
    const value = Number(afterLabels.trim().split(/\s+/)[0]); // a timestamp may follow the value
    if (Number.isFinite(value)) sum = (sum ?? 0) + value;
  }
  return sum;
}

/** Median (nearest rank) of a non-empty list of numbers. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil(sorted.length / 2) - 1];
}
