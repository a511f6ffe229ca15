/**
 * What a client sees of a set of documents through each read API of
 * DocumentService (Get, BatchGet, Exists, List with and without keys_only),
 * so a test can demand that all of them agree and equal an expected state.
 */
import { Code, ConnectError } from '@connectrpc/connect';
import type { JsonObject } from '@bufbuild/protobuf';
import type { DocClient } from './doc-client.js';

/** One document as seen: its data, etag and version; null when it does not exist. */
export type DocView = { readonly data: JsonObject; readonly etag: string; readonly version: number } | null;

/** Views of several documents of one collection, by id. */
export type CollectionView = Record<string, DocView>;

/** The views of `ids` as each API reports them (Exists and keys-only List carry no data: etag/presence only). */
export interface ApiViews {
  readonly get: CollectionView;
  readonly batchGet: CollectionView;
  /** id → etag, or null when absent. */
  readonly exists: Record<string, string | null>;
  /** List with id_prefix: the listed documents among `ids`. */
  readonly list: CollectionView;
  /** List with id_prefix and keys_only: id → true when listed, false otherwise. */
  readonly listKeys: Record<string, boolean>;
}

async function getView(c: DocClient, collection: string, id: string): Promise<DocView> {
  try {
    const { document } = await c.get({ collection, id });
    return { data: document!.data!, etag: document!.etag, version: Number(document!.version) };
  } catch (e) {
    if (e instanceof ConnectError && e.code === Code.NotFound) return null;
    throw e;
  }
}

async function listAll(c: DocClient, collection: string, idPrefix: string, keysOnly: boolean) {
  const docs = [];
  let pageToken = '';
  do {
    const page = await c.list({ collection, idPrefix, keysOnly, pageToken, pageSize: 1000 });
    docs.push(...page.documents);
    pageToken = page.nextPageToken;
  } while (pageToken !== '');
  return docs;
}

/** Reads `ids` of `collection` (all starting with `idPrefix`) through every read API of `c`. */
export async function readViews(c: DocClient, collection: string, ids: readonly string[], idPrefix: string): Promise<ApiViews> {
  const get: CollectionView = {};
  const exists: Record<string, string | null> = {};
  await Promise.all(
    ids.map(async (id) => {
      get[id] = await getView(c, collection, id);
      const e = await c.exists({ collection, id });
      exists[id] = e.exists ? e.etag : null;
    }),
  );
  const batchGet: CollectionView = {};
  for await (const r of c.batchGet({ collection, ids: [...ids] })) {
    batchGet[r.id] = r.found ? { data: r.document!.data!, etag: r.document!.etag, version: Number(r.document!.version) } : null;
  }
  const listed = new Map((await listAll(c, collection, idPrefix, false)).map((d) => [d.id, d]));
  const keys = new Set((await listAll(c, collection, idPrefix, true)).map((d) => d.id));
  const list: CollectionView = {};
  const listKeys: Record<string, boolean> = {};
  for (const id of ids) {
    const d = listed.get(id);
    list[id] = d === undefined ? null : { data: d.data!, etag: d.etag, version: Number(d.version) };
    listKeys[id] = keys.has(id);
  }
  return { get, batchGet, exists, list, listKeys };
}

/** The etag of each view (null when absent): what Exists must report. */
export function etagsOf(view: CollectionView): Record<string, string | null> {
  return Object.fromEntries(Object.entries(view).map(([id, v]) => [id, v === null ? null : v.etag]));
}

/** Whether each view exists: what a keys-only List must report. */
export function presenceOf(view: CollectionView): Record<string, boolean> {
  return Object.fromEntries(Object.entries(view).map(([id, v]) => [id, v !== null]));
}
