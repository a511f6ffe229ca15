/**
 * The collection catalog of the RedisIndexStore as stored: one hash per
 * collection (redis-index-layout.ts) with `d:<name>` definitions (JSON with
 * the key token), `st:` / `sc:` / `er:` state, progress and error, and
 * `_version` (catalog version), `_stamp` (bumped on every change, what the
 * cache revalidates) and `_born` (the generation: set when the hash is
 * created, so a catalog Redis lost and a restore recreated is told apart).
 */
import { compareUtf8 } from '../extract-values.js';
import type { IndexInfo, IndexKind, IndexState } from '../../model/index-def.js';
import type { TokenCatalog } from './redis-index-layout.js';

/** A cached catalog and the stamp it was read at. */
export interface CachedCatalog extends TokenCatalog {
  readonly stamp: string;
}

/** A definition as stored: the info without state, plus its key token. */
export function parseDefinition(json: string): { info: IndexInfo; tok: string } {
  const d = JSON.parse(json) as {
    collection: string;
    name: string;
    fields: string[];
    kind: IndexKind;
    hashValues?: boolean;
    createTime: string;
    tok: string;
  };
  const info: IndexInfo = {
    collection: d.collection,
    name: d.name,
    fields: d.fields,
    kind: d.kind,
    ...(d.hashValues === true ? { hashValues: true } : {}),
    state: 'building',
    documentsScanned: 0,
    createTime: new Date(d.createTime),
  };
  return { info, tok: d.tok };
}

/** The catalog hash (HGETALL) as a catalog with its key tokens and change stamp. */
export function parseCatalog(hash: Record<string, string>): CachedCatalog {
  const indexes: IndexInfo[] = [];
  const tokens = new Map<string, string>();
  for (const [field, value] of Object.entries(hash)) {
    if (!field.startsWith('d:')) continue;
    const name = field.slice(2);
    const { info, tok } = parseDefinition(value);
    const error = hash[`er:${name}`];
    indexes.push({
      ...info,
      state: (hash[`st:${name}`] ?? 'building') as IndexState,
      documentsScanned: Number(hash[`sc:${name}`] ?? '0'),
      ...(error !== undefined ? { error } : {}),
    });
    tokens.set(name, tok);
  }
  indexes.sort((a, b) => compareUtf8(a.name, b.name));
  // No hash: never indexed, or lost ('' ); a hash from before _born existed: 'v0'.
  const generation = hash._stamp === undefined ? '' : (hash._born ?? 'v0');
  const catalog = { version: Number(hash._version ?? '0'), indexes, generation };
  return { catalog, tokens, stamp: hash._stamp ?? '0' };
}
