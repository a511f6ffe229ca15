/**
 * Encryption at rest of the change feed (docs/adr/0016 "The change feed"): a
 * ChangeFeed decorator that seals the data of every PUT change before the
 * feed below stores it (Redis streams and hashes, or the embedded journal's
 * files and memory) and opens it on the way out, so watchers get plaintext
 * and the feed's storage holds none. Each change's data is sealed with the
 * v1 envelope of storage/crypto/sealed-body.ts (a fresh data key, wrapped by
 * the keyring's primary KEK) bound to the name
 * `_feed/<collection>/<id>@<revision>`: a body moved onto another change,
 * document or collection fails DATA_LOSS / DECRYPTION_FAILED. Ids,
 * revisions, etags, versions and times stay in clear (the feed's ordering
 * and recovery read them). Changes stored without sealedData (written before
 * encryption was on) are returned as they are. Opened data is kept in a
 * bounded cache (opened-changes.ts): every watcher reads the released events
 * itself, and they should not each decrypt them.
 */
import { DbError } from '../errors/db-error.js';
import type { JsonObject } from '../model/json.js';
import type { KeyringRef } from '../storage/crypto/keyring.js';
import { OpenedChanges } from './opened-changes.js';
import { decryptionFailed, open, seal } from '../storage/crypto/sealed-body.js';
import type {
  ChangeFeed,
  FeedBounds,
  FeedChange,
  FeedEvent,
  FeedListener,
  FeedPage,
  MaybePromise,
  PendingRef,
  PendingRevision,
} from './change-feed.js';

/**
 * The name a change's sealed data is bound to (its AAD): never a storage key
 * (format/bucket-layout.ts reserves `_feed/`). A collection has no `/` and a
 * revision no `@`, so the name splits back one way only.
 */
export function feedSealName(collection: string, id: string, revision: number): string {
  return `_feed/${collection}/${id}@${revision}`;
}

/** The change with its document's data sealed (a delete, or one already sealed, as it is). */
export function sealChange(collection: string, c: FeedChange, keyring: KeyringRef): FeedChange {
  if (c.doc === undefined || c.doc.sealedData !== undefined) return c;
  const { data, ...rest } = c.doc;
  const sealed = seal(feedSealName(collection, c.id, c.revision), Buffer.from(JSON.stringify(data), 'utf8'), keyring.get());
  return { ...c, doc: { ...rest, data: {}, sealedData: Buffer.from(sealed).toString('base64') } };
}

/**
 * The change with its document's data opened (from `cache` when it holds the
 * same sealed text); DECRYPTION_FAILED / ENCRYPTION_KEY_UNKNOWN when it does not open.
 */
export function openChange(collection: string, c: FeedChange, keyring: KeyringRef, cache?: OpenedChanges): FeedChange {
  if (c.doc?.sealedData === undefined) return c;
  const { sealedData, ...rest } = c.doc;
  const name = feedSealName(collection, c.id, c.revision);
  const cached = cache?.get(name, sealedData);
  if (cached !== undefined) return { ...c, doc: { ...rest, data: cached } };
  const plain = Buffer.from(open(name, Buffer.from(sealedData, 'base64'), keyring.get()));
  let data: JsonObject;
  try {
    data = JSON.parse(plain.toString('utf8')) as JsonObject;
  } catch (e) {
    throw decryptionFailed(name, 'opened data is not JSON', e);
  }
  cache?.put(name, sealedData, data);
  return { ...c, doc: { ...rest, data } };
}

const mapEvent = (e: FeedEvent, f: (c: FeedChange) => FeedChange): FeedEvent => ({ ...e, changes: e.changes.map(f) });

/** See the file comment. */
export class SealingFeed implements ChangeFeed {
  /** The feed below's settling time after a loss of its history, when it has one. */
  readonly settlingMs?: (collection: string) => number;
  private readonly opened: OpenedChanges;

  constructor(
    private readonly inner: ChangeFeed,
    private readonly keyring: KeyringRef,
    /** Sealed bytes whose opened data is kept for other watchers (default 16 MiB; 0: none). */
    openedCacheBytes?: number,
  ) {
    this.opened = new OpenedChanges(openedCacheBytes);
    if (inner.settlingMs !== undefined) this.settlingMs = (collection) => inner.settlingMs!(collection);
  }

  /** Passes through (a pending ref holds no document content). */
  allocate(collection: string, ref: PendingRef): Promise<number> {
    return this.inner.allocate(collection, ref);
  }

  /** Passes through. */
  isPending(collection: string, revision: number): MaybePromise<boolean> {
    return this.inner.isPending(collection, revision);
  }

  /** Seals the event's document data, then resolves it below. */
  resolve(collection: string, revisions: readonly number[], event: FeedEvent | null): Promise<boolean> {
    const sealed = event === null ? null : mapEvent(event, (c) => sealChange(collection, c, this.keyring));
    return this.inner.resolve(collection, revisions, sealed);
  }

  /** Passes through. */
  bounds(collection: string): MaybePromise<FeedBounds> {
    return this.inner.bounds(collection);
  }

  /** Passes through. */
  watermarkHint(collection: string): number {
    return this.inner.watermarkHint(collection);
  }

  /** The page below with every change's data opened (DECRYPTION_FAILED when one does not open). */
  read(collection: string, after: number, limit: number): MaybePromise<FeedPage> {
    const page = this.inner.read(collection, after, limit);
    return page instanceof Promise ? page.then((p) => this.openPage(collection, p)) : this.openPage(collection, page);
  }

  /**
   * The listener gets the events opened. One that does not open wakes the
   * listener with no events (a listener must not throw into the feed's
   * release): the watcher's next read() then fails with DECRYPTION_FAILED.
   */
  subscribe(collection: string, listener: FeedListener): () => void {
    return this.inner.subscribe(collection, (events, watermark) => {
      let opened: readonly FeedEvent[];
      try {
        opened = events.map((e) => mapEvent(e, (c) => openChange(collection, c, this.keyring, this.opened)));
      } catch (e) {
        if (!(e instanceof DbError)) throw e;
        opened = [];
      }
      listener(opened, watermark);
    });
  }

  /** Passes through. */
  pending(allocatedBeforeMs: number): MaybePromise<readonly PendingRevision[]> {
    return this.inner.pending(allocatedBeforeMs);
  }

  /** Passes through (ids and revisions are in clear). */
  replaced(collection: string, id: string, prevRevision: number, near: number): MaybePromise<boolean> {
    return this.inner.replaced(collection, id, prevRevision, near);
  }

  /** Closes the feed below. */
  close(): Promise<void> {
    return this.inner.close();
  }

  private openPage(collection: string, page: FeedPage): FeedPage {
    return { ...page, events: page.events.map((e) => mapEvent(e, (c) => openChange(collection, c, this.keyring, this.opened))) };
  }
}
