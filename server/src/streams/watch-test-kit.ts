/**
 * Test helpers of the watch specs: a collection kept in memory whose writes
 * go through a real LocalFeed (allocate, store, resolve, like the engine's
 * hooks), a SnapshotSource listing it, and a client that applies a watch's
 * items to its own state. Not used by the server.
 */
import type { CallContext } from '../api/call-context.js';
import type { BatchGetItem, ListInput, ListResult } from '../api/document-api.js';
import type { WatchItem } from '../api/stream-api.js';
import type { StoredDocument } from '../model/document.js';
import type { JsonObject } from '../model/json.js';
import type { ChangeFeed } from './change-feed.js';
import type { SnapshotSource } from './feed-snapshot.js';

/** One collection 'c' in memory, written through `feed`. */
export class MemoryCollection implements SnapshotSource {
  /** The current documents. */
  readonly docs = new Map<string, StoredDocument>();
  /** Called before each listed document is read (tests write during a listing there). */
  beforeRead: (id: string) => Promise<void> = () => Promise.resolve();

  constructor(
    private readonly feed: ChangeFeed,
    readonly collection = 'c',
  ) {}

  /** Puts `data` at `id` as one write; returns its revision. */
  async put(id: string, data: JsonObject): Promise<number> {
    const prev = this.docs.get(id);
    const prevRevision = prev?.revision ?? 0;
    const revision = await this.feed.allocate(this.collection, { id, op: 'put', prevRevision });
    const now = new Date();
    const doc: StoredDocument = {
      collection: this.collection,
      id,
      data,
      etag: `e${revision}`,
      version: (prev?.version ?? 0) + 1,
      createTime: prev?.createTime ?? now,
      updateTime: now,
      revision,
    };
    this.docs.set(id, doc);
    const changed = { etag: doc.etag, version: doc.version, createTime: doc.createTime.toISOString(), updateTime: now.toISOString(), data };
    await this.feed.resolve(this.collection, [revision], {
      revision,
      commitTimeMs: now.getTime(),
      changes: [{ id, op: 'put', revision, prevRevision, doc: changed }],
    });
    return revision;
  }

  /** Deletes `id` (it must exist); returns the delete's revision. */
  async delete(id: string): Promise<number> {
    const prevRevision = this.docs.get(id)!.revision;
    const revision = await this.feed.allocate(this.collection, { id, op: 'delete', prevRevision });
    this.docs.delete(id);
    await this.feed.resolve(this.collection, [revision], {
      revision,
      commitTimeMs: Date.now(),
      changes: [{ id, op: 'delete', revision, prevRevision }],
    });
    return revision;
  }

  /** SnapshotSource.list over the map, like the engine: a page of keys in id order, then each read (pageToken: the last key). */
  async list(_ctx: CallContext, input: ListInput): Promise<ListResult> {
    const size = input.pageSize ?? 100;
    const ids = [...this.docs.keys()]
      .filter((id) => id.startsWith(input.idPrefix ?? '') && (input.pageToken === undefined || id > input.pageToken))
      .sort();
    const keys = ids.slice(0, size);
    const documents: StoredDocument[] = [];
    for (const id of keys) {
      await this.beforeRead(id);
      const d = this.docs.get(id);
      if (d !== undefined) documents.push(d); // deleted since the keys were listed: skipped
    }
    return { documents, nextPageToken: ids.length > size ? keys[keys.length - 1]! : '' };
  }

  /** SnapshotSource.batchGet over the map. */
  async *batchGet(_ctx: CallContext, _collection: string, ids: readonly string[]): AsyncIterable<BatchGetItem> {
    for (const id of ids) {
      await this.beforeRead(id);
      const document = this.docs.get(id);
      yield document === undefined ? { id } : { id, document };
    }
  }
}

/** A watch client's view: the state its items built, and what it saw. */
export class WatchClientState {
  /** id → data. */
  readonly state = new Map<string, unknown>();
  /** The revision of the complete marker, once received. */
  complete: number | undefined;
  /** Revisions of the change items, in order. */
  readonly revisions: number[] = [];

  /** Applies one item. */
  apply(item: WatchItem): void {
    if (item.kind === 'snapshot') for (const d of item.documents) this.state.set(d.id, d.data);
    else if (item.kind === 'snapshot-complete') this.complete = item.revision;
    else if (item.kind === 'changes') {
      this.revisions.push(item.revision);
      for (const c of item.changes) {
        if (c.type === 'put') this.state.set(c.id, c.document!.data);
        else this.state.delete(c.id);
      }
    }
  }
}

/** Reads items into a client until `until` holds (a hang guard of 30 s). */
export async function readUntil(
  gen: AsyncGenerator<WatchItem>,
  client: WatchClientState,
  until: (i: WatchItem) => boolean,
): Promise<WatchItem[]> {
  const seen: WatchItem[] = [];
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (Date.now() > deadline) throw new Error('hang guard: the watch sent nothing matching');
    const r = await gen.next();
    if (r.done === true) throw new Error('the watch ended');
    client.apply(r.value);
    seen.push(r.value);
    if (until(r.value)) return seen;
  }
}
