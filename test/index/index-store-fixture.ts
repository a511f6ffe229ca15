/**
 * The harness of the IndexStore scenarios (index-store-scenarios.ts): a
 * fresh collection name per test, a DbError catcher, and a Fixture around one
 * store and one collection.
 */
import { DbError } from '../../server/src/errors/db-error.js';
import { indexValues } from '../../server/src/index/extract-values.js';
import type { IdSetExpr, IndexStore, IndexValues, OrderedWalk } from '../../server/src/index/index-store.js';
import type { IndexDefinition, IndexKind } from '../../server/src/model/index-def.js';
import type { JsonObject, JsonValue } from '../../server/src/model/json.js';

/** Makes a fresh, empty store (or a fresh view of one) for a test. */
export type StoreFactory = () => Promise<IndexStore>;

let counter = 0;
/** A collection name no other test uses. */
export function freshCollection(): string {
  counter++;
  return `c${counter}-${Date.now().toString(36)}`;
}

export async function errorOf(p: Promise<unknown>): Promise<DbError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  if (!(e instanceof DbError)) throw new Error(`expected a DbError, got ${String(e)}`);
  return e;
}

/** A small harness around one store and one collection. */
export class Fixture {
  constructor(
    readonly store: IndexStore,
    readonly collection: string,
  ) {}

  async define(...defs: [name: string, kind: IndexKind, ...fields: string[]][]): Promise<void> {
    for (const [name, kind, ...fields] of defs) {
      const def: IndexDefinition = { collection: this.collection, name, kind, fields };
      await this.store.createIndex(def, new Date());
      await this.store.setIndexState(this.collection, name, { state: 'ready' });
    }
  }

  async values(data: JsonObject | null): Promise<{ values: IndexValues | null; version: number }> {
    const catalog = await this.store.catalog(this.collection);
    return { values: data === null ? null : indexValues(catalog, data), version: catalog.version };
  }

  /** Writes a document the way the write hooks do; returns the outcome. */
  async put(id: string, data: JsonObject | null, seq?: number): Promise<string> {
    const s = seq ?? (await this.store.nextSeq(this.collection));
    const { values, version } = await this.values(data);
    return this.store.apply(this.collection, id, s, values, version);
  }

  ids(expr: IdSetExpr): Promise<string[]> {
    return this.store.ids(this.collection, expr);
  }

  eq(index: string, ...values: JsonValue[]): Promise<string[]> {
    return this.ids({ op: 'eq', index, values });
  }

  walk(w: Partial<OrderedWalk> & { index: string }): Promise<string[]> {
    return this.store.walk(this.collection, { direction: 'asc', offset: 0, limit: 1000, ...w });
  }

  async reserve(id: string, data: JsonObject, ttlMs = 10_000): Promise<{ index: string; conflictingId: string } | undefined> {
    const { values } = await this.values(data);
    return this.store.reserveUnique(this.collection, id, values ?? {}, ttlMs);
  }
}

/** Registers the scenarios (inside a describe of the caller). */
