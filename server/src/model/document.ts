import type { JsonObject } from './json.js';

/** A document as the engine returns it: its data and its output-only metadata. */
export interface StoredDocument {
  /** The collection name (validated by model/keys.ts). */
  readonly collection: string;
  /** The document id (validated by model/keys.ts). */
  readonly id: string;
  /** The JSON object stored. */
  readonly data: JsonObject;
  /** Opaque; changes on every successful write (it is the blob store's etag). */
  readonly etag: string;
  /** 1 on create, +1 on every write. */
  readonly version: number;
  /** When the document was created (since its last delete). */
  readonly createTime: Date;
  /** When the document was last written. */
  readonly updateTime: Date;
  /** The collection revision of the write that made this version (docs/streams.md); 0 when stored without one. */
  readonly revision: number;
  /** When this version expires (docs/streams.md, "Document expiry (TTL)"); absent when it does not. */
  readonly expireTime?: Date;
}

/** A listing entry: a full document, or only its key when the listing is keys-only. */
export type ListedDocument = StoredDocument | { readonly collection: string; readonly id: string };
