/**
 * The JSONL format of export and import: one document per line,
 * `{"id": "...", "data": {...}}` plus `"expireTime"` (ISO 8601) when the
 * document expires. Import also takes the lines of `list -o jsonl` and
 * `query -o jsonl` (full documents: the other fields are ignored).
 */
import type { JsonObject, StoredDocument } from '../document.js';

/** One document of an export file. */
export interface ExportRecord {
  /** The document id. */
  readonly id: string;
  /** The document data. */
  readonly data: JsonObject;
  /** When the document expires, if it does. */
  readonly expireTime?: Date;
}

/** The export line of a document (with its trailing newline). */
export function exportLine(doc: StoredDocument): string {
  const rec: Record<string, unknown> = { id: doc.id, data: doc.data };
  if (doc.expireTime !== undefined) rec.expireTime = doc.expireTime.toISOString();
  return JSON.stringify(rec) + '\n';
}

/** Parses one import line (1-based `lineNo` for messages); undefined for a blank line; throws Error naming the line otherwise. */
export function parseImportLine(line: string, lineNo: number): ExportRecord | undefined {
  if (line.trim() === '') return undefined;
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (e) {
    throw new Error(`line ${lineNo}: not JSON (${(e as Error).message})`, { cause: e });
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error(`line ${lineNo}: not a JSON object`);
  const o = v as Record<string, unknown>;
  if (typeof o.id !== 'string' || o.id === '') throw new Error(`line ${lineNo}: "id" must be a non-empty string`);
  if (o.data === null || typeof o.data !== 'object' || Array.isArray(o.data))
    throw new Error(`line ${lineNo}: "data" must be a JSON object`);
  if (o.expireTime !== undefined) {
    const t = typeof o.expireTime === 'string' ? new Date(o.expireTime) : new Date(NaN);
    if (Number.isNaN(t.getTime())) throw new Error(`line ${lineNo}: "expireTime" must be an ISO 8601 time`);
    return { id: o.id, data: o.data as JsonObject, expireTime: t };
  }
  return { id: o.id, data: o.data as JsonObject };
}

/** JSON text of a value with object keys sorted at every level: equal for equal data whatever the key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** True when two data objects hold the same JSON (key order aside). */
export function sameData(a: JsonObject, b: JsonObject): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/**
 * Groups records into batches of at most maxItems items and maxBytes line
 * bytes (a larger single record gets a batch of its own), starting a new
 * batch when a key repeats (a BatchWrite takes at most one item per id).
 */
export async function* batches<T>(
  items: AsyncIterable<{ readonly item: T; readonly bytes: number }>,
  maxItems: number,
  maxBytes: number,
  keyOf: (item: T) => string,
): AsyncGenerator<T[]> {
  let cur: T[] = [];
  let keys = new Set<string>();
  let bytes = 0;
  for await (const { item, bytes: b } of items) {
    const key = keyOf(item);
    if (cur.length > 0 && (cur.length >= maxItems || bytes + b > maxBytes || keys.has(key))) {
      yield cur;
      cur = [];
      keys = new Set();
      bytes = 0;
    }
    cur.push(item);
    keys.add(key);
    bytes += b;
  }
  if (cur.length > 0) yield cur;
}
