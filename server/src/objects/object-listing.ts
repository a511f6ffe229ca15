/**
 * ListObjects (docs/adr/0013 §5): the pointers of a collection in id order,
 * paged with the documents' signed page tokens (engine/page-token.ts; the
 * request shape is marked as an object listing, so a List token does not
 * continue a ListObjects listing or the reverse). Without keys_only each
 * pointer is read, a bounded number at a time; one deleted meanwhile is left
 * out.
 */
import { invalid } from '../errors/db-error.js';
import { objectCollectionPrefix } from '../format/bucket-layout.js';
import { validateCollection, validateIdPrefix } from '../model/keys.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { PageTokenCodec } from '../engine/page-token.js';
import type { CallContext } from '../api/call-context.js';
import type { ListedObject, ListObjectsInput, ListObjectsResult, ObjectMeta } from '../api/object-api.js';
import type { ObjectPointers } from './object-pointers.js';
import { objectMetaOf } from './pointer-format.js';

/** Page size when none is asked for. */
export const DEFAULT_OBJECT_PAGE_SIZE = 100;
/** The largest page. */
export const MAX_OBJECT_PAGE_SIZE = 1000;

/** What a listing needs. */
export interface ListingDeps {
  readonly store: BlobStore;
  readonly pointers: ObjectPointers;
  readonly tokens: PageTokenCodec;
  /** Pointer reads in flight at once (SB_BATCH_CONCURRENCY). */
  readonly concurrency: number;
}

function pageSizeOf(n: number | undefined): number {
  if (n === undefined || n === 0) return DEFAULT_OBJECT_PAGE_SIZE;
  if (!Number.isInteger(n) || n < 0) throw invalid('INVALID_ARGUMENT', 'page_size', 'page_size must be a non-negative integer');
  return Math.min(n, MAX_OBJECT_PAGE_SIZE);
}

/** Runs one ListObjects call (see the file comment). */
export async function runList(deps: ListingDeps, ctx: CallContext, input: ListObjectsInput): Promise<ListObjectsResult> {
  validateCollection(input.collection);
  const idPrefix = input.idPrefix ?? '';
  validateIdPrefix(idPrefix);
  const limit = pageSizeOf(input.pageSize);
  const keysOnly = input.keysOnly === true;
  const shape = { collection: `objects:${input.collection}`, idPrefix, keysOnly };
  const after = input.pageToken ? await deps.tokens.decode(shape, input.pageToken, ctx.signal) : undefined;
  const base = objectCollectionPrefix(input.collection);
  const page = await deps.store.list(
    { prefix: base + idPrefix, limit, ...(after === undefined ? {} : { startAfter: base + after }) },
    ctx.signal,
  );
  const ids = page.keys.map((k) => k.slice(base.length)).filter((id) => id !== '' && !id.includes('/'));
  const objects: ListedObject[] = keysOnly
    ? ids.map((id) => ({ collection: input.collection, id }))
    : await readAll(deps, ctx, input.collection, ids);
  const last = ids[ids.length - 1];
  return { objects, nextPageToken: page.isTruncated && last !== undefined ? deps.tokens.encode(shape, last) : '' };
}

async function readAll(deps: ListingDeps, ctx: CallContext, collection: string, ids: readonly string[]): Promise<ObjectMeta[]> {
  const out: (ObjectMeta | undefined)[] = new Array(ids.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < ids.length) {
      const i = next++;
      const read = await deps.pointers.read(collection, ids[i]!, ctx.signal);
      out[i] = read === undefined ? undefined : objectMetaOf(collection, ids[i]!, read.etag, read.pointer);
    }
  };
  await Promise.all(Array.from({ length: Math.min(deps.concurrency, ids.length) }, worker));
  return out.filter((o): o is ObjectMeta => o !== undefined);
}
