/**
 * The check and repair operations of the RedisIndexStore (IndexStore's
 * heldEntries, scanEntries, sampleEntries, repairEntries): probes and
 * repairs are Lua scripts (redis-index-check-scripts.ts); scans and samples
 * are SCAN / HSCAN / ZSCAN and HRANDFIELD / ZRANDMEMBER / SRANDMEMBER on the
 * collection's keys (redis-index-layout.ts).
 *
 * Cost: an equality index keeps one set per value, so scanning or sampling
 * it SCANs the keyspace for its sets (about keys / count round trips).
 */
import { createHash } from 'node:crypto';
import type { RedisNode } from '../../coordination/redis/redis-connection.js';
import type { EntryPage, EntryRepair, HeldEntries, IndexEntry, IndexValues, RepairOutcome } from '../index-store.js';
import { collectionKeys, docKey, equalitySetPattern, type TokenCatalog } from './redis-index-layout.js';
import { HELD_ENTRIES_SCRIPT, REPAIR_ENTRIES_SCRIPT } from './redis-index-check-scripts.js';

/** A Lua script with its SHA-1 and its name in metrics and spans. */
export interface CheckScript {
  readonly name: string;
  readonly lua: string;
  readonly sha: string;
}

function script(name: string, lua: string): CheckScript {
  return { name: `index.${name}`, lua, sha: createHash('sha1').update(lua).digest('hex') };
}

const HELD = script('held_entries', HELD_ENTRIES_SCRIPT);
const REPAIR = script('repair_entries', REPAIR_ENTRIES_SCRIPT);

/** What the operations need of the store (its connection, guarded commands and cached catalog). */
export interface RedisCheckPort {
  redis(collection: string): RedisNode;
  tombstoneTtlMs(): number;
  base(collection: string): string;
  tokenCatalog(collection: string, signal?: AbortSignal): Promise<TokenCatalog>;
  evalScript(s: CheckScript, keys: string[], args: string[], signal?: AbortSignal): Promise<unknown>;
  run<T>(op: string, send: () => Promise<T>, signal?: AbortSignal): Promise<T>;
}

/** The check and repair operations over one store's port. */
export class RedisIndexCheck {
  /** Operations over `port`. */
  constructor(private readonly port: RedisCheckPort) {}

  /** IndexStore.heldEntries: one script for all probes. */
  async heldEntries(collection: string, probes: readonly { readonly id: string; readonly values: IndexValues }[]): Promise<HeldEntries[]> {
    if (probes.length === 0) return [];
    const base = this.port.base(collection);
    const raw = (await this.port.evalScript(HELD, [collectionKeys(base).catalog], [base, JSON.stringify(probes)])) as string;
    const parsed = JSON.parse(raw) as { s: string | false; v: string | false; h: Record<string, string[] | Record<string, never>> }[];
    return parsed.map((p) => {
      const held: Record<string, string[]> = {};
      for (const [name, vs] of Object.entries(p.h)) held[name] = Array.isArray(vs) ? vs : [];
      if (p.s === false) return { held };
      const recorded = p.v === false || p.v === 'null' ? undefined : (JSON.parse(p.v) as Record<string, string[] | Record<string, never>>);
      if (recorded === undefined) return { recordSeq: Number(p.s), held };
      const values: Record<string, string[]> = {};
      for (const [name, vs] of Object.entries(recorded)) values[name] = Array.isArray(vs) ? vs : [];
      return { recordSeq: Number(p.s), held, recorded: values };
    });
  }

  /** IndexStore.repairEntries: one script, conditional on the record seq and the catalog version. */
  async repairEntries(collection: string, r: EntryRepair, catalogVersion: number): Promise<RepairOutcome> {
    const base = this.port.base(collection);
    const keys = collectionKeys(base);
    const args = [
      base,
      r.id,
      r.expectedRecordSeq === undefined ? '' : String(r.expectedRecordSeq),
      String(r.seq),
      String(catalogVersion),
      r.values === null ? 'null' : JSON.stringify(r.values),
      JSON.stringify(r.remove),
      String(this.port.tombstoneTtlMs()),
    ];
    return (await this.port.evalScript(REPAIR, [keys.catalog, docKey(base, r.id), keys.all], args)) as RepairOutcome;
  }

  /** IndexStore.scanEntries; the cursor is `<phase>:<Redis cursor>` (ordered indexes scan numbers, then strings). */
  async scanEntries(
    collection: string,
    index: string,
    cursor: string | undefined,
    count: number,
    signal?: AbortSignal,
  ): Promise<EntryPage> {
    const cat = await this.port.tokenCatalog(collection, signal);
    const info = cat.catalog.indexes.find((i) => i.name === index);
    const tok = cat.tokens.get(index);
    if (info === undefined || tok === undefined) return { entries: [] };
    const base = this.port.base(collection);
    const [phase, at] = cursor === undefined ? [info.kind === 'ordered' ? 'n' : info.kind[0], '0'] : splitCursor(cursor);
    const { redis, run } = { redis: this.port.redis(collection), run: this.port.run.bind(this.port) };
    const entries: IndexEntry[] = [];
    let next: string;
    if (phase === 'e') {
      const [n, keys] = await run('index.scan', () => redis.scan(at, 'MATCH', equalitySetPattern(base, tok), 'COUNT', count), signal);
      const skip = `${base}e:${tok}:`.length;
      for (const key of keys) {
        const ids = await run('index.smembers', () => redis.smembers(key), signal);
        for (const id of ids) entries.push({ index, value: key.slice(skip), id });
      }
      next = n;
    } else if (phase === 'u') {
      const [n, flat] = await run('index.hscan', () => redis.hscan(`${base}u:${tok}`, at, 'COUNT', count), signal);
      for (let i = 0; i + 1 < flat.length; i += 2) entries.push({ index, value: flat[i] as string, id: flat[i + 1] as string });
      next = n;
    } else {
      const [n, flat] = await run('index.zscan', () => redis.zscan(`${base}${phase}:${tok}`, at, 'COUNT', count), signal);
      for (let i = 0; i + 1 < flat.length; i += 2) entries.push(orderedEntry(index, phase, flat[i] as string, flat[i + 1] as string));
      next = n;
    }
    if (next !== '0') return { entries, cursor: `${phase}:${next}` };
    return phase === 'n' ? { entries, cursor: 's:0' } : { entries };
  }

  /** IndexStore.sampleEntries: HRANDFIELD / ZRANDMEMBER; for an equality index, random value sets (found by SCAN) and SRANDMEMBER of each. */
  async sampleEntries(collection: string, index: string, count: number, random: () => number): Promise<IndexEntry[]> {
    const cat = await this.port.tokenCatalog(collection);
    const info = cat.catalog.indexes.find((i) => i.name === index);
    const tok = cat.tokens.get(index);
    if (info === undefined || tok === undefined || count <= 0) return [];
    const base = this.port.base(collection);
    const { redis, run } = { redis: this.port.redis(collection), run: this.port.run.bind(this.port) };
    if (info.kind === 'unique') {
      const flat = ((await run('index.hrandfield', () => redis.hrandfield(`${base}u:${tok}`, count, 'WITHVALUES'))) ?? []) as string[];
      const out: IndexEntry[] = [];
      for (let i = 0; i + 1 < flat.length; i += 2) out.push({ index, value: flat[i] as string, id: flat[i + 1] as string });
      return out;
    }
    if (info.kind === 'ordered') {
      const nums = (await run('index.zrandmember', () => redis.zrandmember(`${base}n:${tok}`, count, 'WITHSCORES'))) as string[];
      const strs = (await run('index.zrandmember', () => redis.zrandmember(`${base}s:${tok}`, count, 'WITHSCORES'))) as string[];
      const out: IndexEntry[] = [];
      for (let i = 0; i + 1 < nums.length; i += 2) out.push(orderedEntry(index, 'n', nums[i] as string, nums[i + 1] as string));
      for (let i = 0; i + 1 < strs.length; i += 2) out.push(orderedEntry(index, 's', strs[i] as string, strs[i + 1] as string));
      return pick(out, count, random);
    }
    const keys = new Set<string>();
    let cursor = '0';
    do {
      const from = cursor;
      const [n, found] = await run('index.scan', () => redis.scan(from, 'MATCH', equalitySetPattern(base, tok), 'COUNT', 1000));
      for (const k of found) keys.add(k);
      cursor = n;
    } while (cursor !== '0');
    const skip = `${base}e:${tok}:`.length;
    const chosen = pick([...keys], count, random);
    const out = new Map<string, IndexEntry>();
    const perKey = Math.max(1, Math.ceil(count / Math.max(1, chosen.length)));
    for (const key of chosen) {
      const ids = await run('index.srandmember', () => redis.srandmember(key, perKey));
      for (const id of ids) out.set(`${key}\u0000${id}`, { index, value: key.slice(skip), id });
    }
    return [...out.values()];
  }
}

function splitCursor(cursor: string): [string, string] {
  const at = cursor.indexOf(':');
  return [cursor.slice(0, at), cursor.slice(at + 1)];
}

/** An ordered entry from a zset member and score: n: member = id; s: member = escaped value NUL NUL id. */
function orderedEntry(index: string, phase: string, member: string, score: string): IndexEntry {
  if (phase === 'n') return { index, value: `n:${JSON.stringify(Number(score))}`, id: member };
  const sep = member.indexOf('\u0000\u0000');
  return { index, value: `s:${member.slice(0, sep)}`, id: member.slice(sep + 2) };
}

/** Up to `count` of `items` chosen at random (partial Fisher–Yates). */
function pick<T>(items: T[], count: number, random: () => number): T[] {
  const n = Math.min(count, items.length);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(random() * (items.length - i));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items.slice(0, n);
}
