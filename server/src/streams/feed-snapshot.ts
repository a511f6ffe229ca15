/**
 * The initial snapshot of a watch (docs/streams.md, docs/adr/0012 §7): the
 * current documents a watch follows, listed through the engine's reader
 * (transactions settled, expired documents skipped, id_prefix or ids
 * applied), in pages of bounded size, and the filter that keeps the changes
 * after the snapshot's watermark from repeating what the listing already
 * showed.
 *
 * Why it is exact: every change with a revision ≤ the watermark w read before
 * the listing was stored before it began, so the listing reflects it; a
 * document the listing shows at revision r > w was changed during the
 * listing, so the changes of that id up to r are already in the snapshot and
 * are dropped (SnapshotFilter), later ones are sent. Every listed revision is
 * ≤ S, the counter read after the listing: once the stream has passed S the
 * filter has nothing left to drop and the client's state is the collection.
 */
import type { CallContext } from '../api/call-context.js';
import type { DocumentApi } from '../api/document-api.js';
import type { WatchInput } from '../api/stream-api.js';
import type { StoredDocument } from '../model/document.js';
import type { FeedChange } from './change-feed.js';

/** What a snapshot lists through: the engine's document reads. */
export type SnapshotSource = Pick<DocumentApi, 'list' | 'batchGet'>;

/** Documents listed per engine call. */
const LIST_PAGE = 100;
/** Ids fetched per batchGet. */
const IDS_PAGE = 100;
/** Default bound of one snapshot page's documents, in bytes of JSON data (a page always holds at least one document). */
export const SNAPSHOT_PAGE_BYTES = 1024 * 1024;

/** The documents `input` follows, now, as pages of at most about `maxPageBytes` of data each. */
export async function* snapshotPages(
  source: SnapshotSource,
  ctx: CallContext,
  input: WatchInput,
  maxPageBytes = SNAPSHOT_PAGE_BYTES,
): AsyncGenerator<StoredDocument[], void, undefined> {
  let page: StoredDocument[] = [];
  let bytes = 0;
  for await (const doc of currentDocuments(source, ctx, input)) {
    const size = JSON.stringify(doc.data).length + doc.id.length;
    if (page.length > 0 && bytes + size > maxPageBytes) {
      yield page;
      page = [];
      bytes = 0;
    }
    page.push(doc);
    bytes += size;
  }
  if (page.length > 0) yield page;
}

async function* currentDocuments(source: SnapshotSource, ctx: CallContext, input: WatchInput): AsyncGenerator<StoredDocument> {
  const { collection } = input;
  if (input.ids !== undefined && input.ids.length > 0) {
    const ids = [...new Set(input.ids)].sort();
    for (let i = 0; i < ids.length; i += IDS_PAGE) {
      for await (const item of source.batchGet(ctx, collection, ids.slice(i, i + IDS_PAGE))) {
        if (item.document !== undefined) yield item.document;
      }
    }
    return;
  }
  let pageToken = '';
  do {
    const page = await source.list(ctx, {
      collection,
      pageSize: LIST_PAGE,
      ...(pageToken === '' ? {} : { pageToken }),
      ...(input.idPrefix === undefined || input.idPrefix === '' ? {} : { idPrefix: input.idPrefix }),
    });
    for (const d of page.documents) if ('data' in d) yield d;
    pageToken = page.nextPageToken;
  } while (pageToken !== '');
}

/**
 * The revisions a snapshot holds above its watermark (the documents changed
 * while it was listed): a change of such a document at a revision ≤ the
 * one listed is already in the snapshot.
 */
export class SnapshotFilter {
  private readonly held = new Map<string, number>();

  /** `watermark`: the w read before the listing (documents at or below it need no entry). */
  constructor(private readonly watermark: number) {}

  /** Records a listed document. */
  add(doc: Pick<StoredDocument, 'id' | 'revision'>): void {
    if (doc.revision > this.watermark) this.held.set(doc.id, doc.revision);
  }

  /** Documents held above the watermark (a gauge for tests). */
  get size(): number {
    return this.held.size;
  }

  /** True when the snapshot already shows `change` (or a later change of its document). */
  shows(change: Pick<FeedChange, 'id' | 'revision'>): boolean {
    const r = this.held.get(change.id);
    return r !== undefined && r >= change.revision;
  }
}
