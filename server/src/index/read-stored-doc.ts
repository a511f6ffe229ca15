/**
 * How the index part reads a document from object storage (builds and the
 * pending sweeper): its data and the seq stored in its envelope.
 */
import { decodeEnvelope } from '../format/envelope.js';
import { collectionPrefix } from '../format/bucket-layout.js';
import { isJsonObject, type JsonObject } from '../model/json.js';
import type { BlobStore } from '../storage/blob-store.js';

/** A document as the index part reads it. */
export interface StoredDoc {
  readonly id: string;
  /** The seq of the write that stored it (0 when its envelope has none). */
  readonly seq: number;
  readonly data: JsonObject;
}

/**
 * The document with its seq, or undefined when it is gone (or only a
 * transaction's placeholder). A staged document is read as before its
 * transaction: the transaction's own index change (a newer seq) supersedes
 * it if it commits.
 */
export async function readStoredDoc(
  store: BlobStore,
  collection: string,
  id: string,
  signal?: AbortSignal,
): Promise<StoredDoc | undefined> {
  const key = collectionPrefix(collection) + id;
  const blob = await store.get(key, signal);
  if (blob === undefined) return undefined;
  const envelope = decodeEnvelope(blob.body, key);
  if (envelope.meta.absent === true) return undefined;
  return { id, seq: envelopeSeq(envelope.meta, blob.body), data: envelope.data };
}

/** The envelope's seq: from the decoded meta when it carries one, else from the raw header, else 0. */
function envelopeSeq(meta: object, body: Uint8Array): number {
  const fromMeta = (meta as { seq?: unknown }).seq;
  if (typeof fromMeta === 'number') return fromMeta;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
    const head = isJsonObject(parsed) ? parsed.smarterbase : undefined;
    const seq = isJsonObject(head) ? head.seq : undefined;
    return typeof seq === 'number' && Number.isSafeInteger(seq) && seq >= 0 ? seq : 0;
  } catch {
    return 0;
  }
}
