/**
 * The index definitions' durable copy in object storage, the project's
 * source of truth: `_meta/indexes/<collection>` holds plain JSON
 *
 *   {"schemaVersion":1,"indexes":[{"name":"by_email","fields":["email"],"kind":"unique","hashValues":true}]}
 *
 * (`hashValues` only on hashed indexes.)
 *
 * Redis (or the in-process store) holds the live index; when it is lost — a
 * restart of the embedded default, a flushed Redis — the server recreates
 * the indexes from here and rebuilds them from the documents.
 */
import { DbError } from '../errors/db-error.js';
import type { IndexDefinition, IndexKind } from '../model/index-def.js';
import { ConditionFailedError, type BlobStore } from '../storage/blob-store.js';
import { CATALOG_PREFIX, catalogKey } from '../format/bucket-layout.js';

const SCHEMA_VERSION = 1;
const MAX_ATTEMPTS = 10;

interface Stored {
  readonly name: string;
  readonly fields: readonly string[];
  readonly kind: IndexKind;
  /** Present (true) only for a hashed index, so older catalogs read unchanged. */
  readonly hashValues?: true;
}

/** Reads and updates the durable index definitions. */
export class DurableCatalog {
  /** A catalog kept in `store`. */
  constructor(private readonly store: BlobStore) {}

  /** Adds (or replaces) the definition, compare-and-swap on the collection's object. */
  async add(def: IndexDefinition, signal?: AbortSignal): Promise<void> {
    const entry: Stored = {
      name: def.name,
      fields: [...def.fields],
      kind: def.kind,
      ...(def.hashValues === true ? { hashValues: true as const } : {}),
    };
    await this.update(def.collection, (list) => [...list.filter((d) => d.name !== def.name), entry], signal);
  }

  /** Removes the named definition if present. */
  async remove(collection: string, name: string, signal?: AbortSignal): Promise<void> {
    await this.update(collection, (list) => list.filter((d) => d.name !== name), signal);
  }

  /** The stored definitions of one collection (a fresh read). */
  async of(collection: string, signal?: AbortSignal): Promise<IndexDefinition[]> {
    const key = catalogKey(collection);
    const blob = await this.store.get(key, signal);
    return blob === undefined ? [] : decode(blob.body, key).map((d) => ({ collection, ...d }));
  }

  /** Every stored definition, of every collection. */
  async all(signal?: AbortSignal): Promise<IndexDefinition[]> {
    const out: IndexDefinition[] = [];
    let startAfter: string | undefined;
    for (;;) {
      const page = await this.store.list({ prefix: CATALOG_PREFIX, startAfter, limit: 1000 }, signal);
      for (const key of page.keys) {
        const collection = key.slice(CATALOG_PREFIX.length);
        const blob = await this.store.get(key, signal);
        if (blob === undefined) continue;
        for (const d of decode(blob.body, key)) out.push({ collection, ...d });
      }
      if (!page.isTruncated || page.keys.length === 0) return out;
      startAfter = page.keys[page.keys.length - 1];
    }
  }

  private async update(collection: string, change: (list: readonly Stored[]) => Stored[], signal?: AbortSignal): Promise<void> {
    const key = catalogKey(collection);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const current = await this.store.get(key, signal);
      const next = change(current === undefined ? [] : decode(current.body, key));
      const body = Buffer.from(JSON.stringify({ schemaVersion: SCHEMA_VERSION, indexes: next }), 'utf8');
      try {
        await this.store.put(key, body, current === undefined ? { ifNoneMatch: true } : { ifMatch: current.etag }, signal);
        return;
      } catch (e) {
        if (!(e instanceof ConditionFailedError)) throw e;
      }
    }
    throw new DbError('aborted', 'CONCURRENT_MODIFICATION', `index catalog of ${collection} is changing too fast; retry`, {
      metadata: { collection },
    });
  }
}

function decode(body: Uint8Array, key: string): Stored[] {
  try {
    const parsed = JSON.parse(Buffer.from(body).toString('utf8')) as { schemaVersion?: unknown; indexes?: unknown };
    if (parsed.schemaVersion !== SCHEMA_VERSION || !Array.isArray(parsed.indexes)) throw new Error('bad header');
    return parsed.indexes as Stored[];
  } catch (cause) {
    throw new DbError('internal', 'INTERNAL_ERROR', `corrupt index catalog at ${key}`, { metadata: { key }, cause });
  }
}
