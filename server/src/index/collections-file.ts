/**
 * The collections file: indexes declared at start-up, in YAML.
 *
 *   collections:
 *     users:
 *       indexes:
 *         - { name: by_email, fields: [email], kind: unique, hashValues: true }
 *         - name: by_age
 *           fields: [age]
 *           kind: ordered
 *     sessions:
 *       defaultTtl: 30m      # documents written without an expiration expire after this
 *   logs:
 *     audit: { retainFor: 90d, retainBytes: 10000000000 }   # per-log retention (docs/streams.md, "Logs")
 *
 * `defaultTtl` is a number and a unit (ms, s, m, h, d), at least 1 s
 * (docs/streams.md, "Document expiry (TTL)").
 *
 * Errors are DbError invalid INVALID_ARGUMENT whose message names the file
 * and the entry (e.g. `collections.users.indexes[1].kind`).
 */
import { readFile } from 'node:fs/promises';
import { parse, YAMLParseError } from 'yaml';
import { DbError, invalid } from '../errors/db-error.js';
import { definitionOf, type IndexDefinition, type IndexKind } from '../model/index-def.js';
import { isJsonObject } from '../model/json.js';
import { validateLogName } from '../logs/log-name.js';
import type { LogRetention } from '../logs/log-retention.js';
import { validateCollection } from '../model/keys.js';
import { validateIndexDefinition } from './index-validation.js';

/** What the collections file declares: indexes, default TTLs (ms) by collection, and log retention by log. */
export interface CollectionsConfig {
  readonly indexes: IndexDefinition[];
  readonly defaultTtlMs: ReadonlyMap<string, number>;
  readonly logRetention: ReadonlyMap<string, LogRetention>;
}

/** Reads and validates the collections file at `path`: its index definitions. */
export async function loadCollectionsFile(path: string): Promise<IndexDefinition[]> {
  return (await loadCollectionsConfig(path)).indexes;
}

/** Reads and validates the collections file at `path`: everything it declares. */
export async function loadCollectionsConfig(path: string): Promise<CollectionsConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new DbError('invalid', 'INVALID_ARGUMENT', `cannot read collections file ${path}: ${(cause as Error).message}`, { cause });
  }
  return parseCollectionsConfig(text, path);
}

/** Parses and validates collections-file text (`source` names it in errors): its index definitions. */
export function parseCollectionsFile(text: string, source = 'collections file'): IndexDefinition[] {
  return parseCollectionsConfig(text, source).indexes;
}

/** Parses and validates collections-file text (`source` names it in errors). */
export function parseCollectionsConfig(text: string, source = 'collections file'): CollectionsConfig {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (cause) {
    const where = cause instanceof YAMLParseError && cause.linePos ? ` at line ${cause.linePos[0].line}` : '';
    throw bad(source, '', `is not valid YAML${where}: ${(cause as Error).message.split('\n')[0]}`);
  }
  const defaultTtlMs = new Map<string, number>();
  if (doc === null || doc === undefined) return { indexes: [], defaultTtlMs, logRetention: new Map() };
  if (!isJsonObject(doc)) throw bad(source, '', 'must be a mapping with a "collections" key');
  for (const key of Object.keys(doc))
    if (key !== 'collections' && key !== 'logs') throw bad(source, key, 'is not a known key (expected "collections", "logs")');
  const logRetention = parseLogs(source, doc.logs);
  const collections = doc.collections;
  if (collections === undefined || collections === null) return { indexes: [], defaultTtlMs, logRetention };
  if (!isJsonObject(collections)) throw bad(source, 'collections', 'must be a mapping of collection names');
  const out: IndexDefinition[] = [];
  const seen = new Set<string>();
  for (const [collection, spec] of Object.entries(collections)) {
    const at = `collections.${collection}`;
    try {
      validateCollection(collection);
    } catch (e) {
      throw bad(source, at, `: ${(e as Error).message}`);
    }
    if (spec === null) continue;
    if (!isJsonObject(spec)) throw bad(source, at, 'must be a mapping with "indexes" and/or "defaultTtl"');
    for (const key of Object.keys(spec))
      if (key !== 'indexes' && key !== 'defaultTtl')
        throw bad(source, `${at}.${key}`, 'is not a known key (expected "indexes", "defaultTtl")');
    if (spec.defaultTtl !== undefined) defaultTtlMs.set(collection, parseTtl(source, `${at}.defaultTtl`, spec.defaultTtl));
    const indexes = spec.indexes ?? [];
    if (!Array.isArray(indexes)) throw bad(source, `${at}.indexes`, 'must be a list');
    for (const [i, entry] of indexes.entries()) {
      const entryAt = `${at}.indexes[${i}]`;
      if (!isJsonObject(entry)) throw bad(source, entryAt, 'must be a mapping with name, fields and kind');
      for (const key of Object.keys(entry)) {
        if (!['name', 'fields', 'kind', 'hashValues'].includes(key))
          throw bad(source, `${entryAt}.${key}`, 'is not a known key (expected name, fields, kind, hashValues)');
      }
      const fields = typeof entry.fields === 'string' ? [entry.fields] : entry.fields;
      if (entry.hashValues !== undefined && typeof entry.hashValues !== 'boolean')
        throw bad(source, `${entryAt}.hashValues`, 'must be true or false');
      const def = { collection, name: entry.name, fields, kind: entry.kind, hashValues: entry.hashValues } as unknown as IndexDefinition;
      try {
        validateIndexDefinition(def, '');
      } catch (e) {
        if (!(e instanceof DbError)) throw e;
        throw bad(source, `${entryAt}${e.field ? `.${e.field}` : ''}`, `: ${e.message}`);
      }
      if (seen.has(`${collection}/${def.name}`)) throw bad(source, `${entryAt}.name`, `: index ${def.name} is declared twice`);
      seen.add(`${collection}/${def.name}`);
      out.push(definitionOf({ ...def, kind: def.kind as IndexKind }));
    }
  }
  return { indexes: out, defaultTtlMs, logRetention };
}

/** The `logs:` section: log name → { retainFor, retainBytes }. */
function parseLogs(source: string, logs: unknown): Map<string, LogRetention> {
  const out = new Map<string, LogRetention>();
  if (logs === undefined || logs === null) return out;
  if (!isJsonObject(logs)) throw bad(source, 'logs', 'must be a mapping of log names');
  for (const [name, spec] of Object.entries(logs)) {
    const at = `logs.${name}`;
    try {
      validateLogName(name, at);
    } catch (e) {
      throw bad(source, at, `: ${(e as Error).message}`);
    }
    if (spec === null) continue;
    if (!isJsonObject(spec)) throw bad(source, at, 'must be a mapping with "retainFor" and/or "retainBytes"');
    for (const key of Object.keys(spec))
      if (key !== 'retainFor' && key !== 'retainBytes')
        throw bad(source, `${at}.${key}`, 'is not a known key (expected "retainFor", "retainBytes")');
    const r: { retainMs?: number; retainBytes?: number } = {};
    if (spec.retainFor !== undefined) r.retainMs = parseTtl(source, `${at}.retainFor`, spec.retainFor);
    if (spec.retainBytes !== undefined) {
      if (typeof spec.retainBytes !== 'number' || !Number.isSafeInteger(spec.retainBytes) || spec.retainBytes < 1)
        throw bad(source, `${at}.retainBytes`, 'must be a positive whole number of bytes');
      r.retainBytes = spec.retainBytes;
    }
    out.set(name, r);
  }
  return out;
}

const TTL_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A `defaultTtl` ("30s", "1h", "1.5d") in ms; at least 1 s. */
function parseTtl(source: string, at: string, raw: unknown): number {
  const m = typeof raw === 'string' ? /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(raw.trim()) : null;
  if (m === null) throw bad(source, at, 'must be a duration such as "30s", "15m", "1h" or "7d"');
  const ms = Math.round(Number(m[1]) * TTL_UNITS[m[2]!]!);
  if (ms < 1000) throw bad(source, at, 'must be at least 1s');
  return ms;
}

function bad(source: string, at: string, problem: string): DbError {
  const where = at === '' ? source : `${source}: ${at}`;
  return invalid('INVALID_ARGUMENT', at || 'collections', `${where}${problem.startsWith(':') ? '' : ' '}${problem}`);
}
