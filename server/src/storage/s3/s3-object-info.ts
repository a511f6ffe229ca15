/** Translating S3 object headers into the ObjectStore's ObjectInfo, and the metadata key the S3 adapter reserves. */
import { unquoteEtag } from './etag.js';
import { DEFAULT_CONTENT_TYPE, type ObjectInfo } from '../objects/object-store.js';

/** The user-metadata key (x-amz-meta-sb-sha256) holding the whole body's SHA-256, when the writer knew it. */
export const SHA256_METADATA = 'sb-sha256';

/** User-metadata keys starting with this are the store's, not the caller's (hidden from ObjectInfo.metadata). */
const RESERVED_METADATA_PREFIX = 'sb-';

/** The header fields of a HeadObject / GetObject answer that ObjectInfo needs. */
export interface S3ObjectHeaders {
  readonly ETag?: string | undefined;
  readonly ContentType?: string | undefined;
  readonly Metadata?: Record<string, string> | undefined;
}

/** ObjectInfo of `key` from S3 headers and the object's total size. */
export function objectInfo(key: string, size: number, headers: S3ObjectHeaders): ObjectInfo {
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers.Metadata ?? {})) if (!k.startsWith(RESERVED_METADATA_PREFIX)) metadata[k] = v;
  const sha256 = headers.Metadata?.[SHA256_METADATA];
  return {
    key,
    size,
    etag: unquoteEtag(headers.ETag),
    ...(sha256 !== undefined ? { sha256 } : {}),
    contentType: headers.ContentType ?? DEFAULT_CONTENT_TYPE,
    metadata,
  };
}

/** The S3 user metadata of a write: the caller's, plus the SHA-256 when known. */
export function writeMetadata(metadata: Readonly<Record<string, string>> | undefined, sha256: string | undefined): Record<string, string> {
  return { ...metadata, ...(sha256 !== undefined ? { [SHA256_METADATA]: sha256 } : {}) };
}
