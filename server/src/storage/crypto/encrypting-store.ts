/**
 * A BlobStore decorator that encrypts document bodies at rest (docs/adr/0016).
 * It sits on top of the composed store (storage/compose/open-store.ts), so
 * every layer below — conditional writes, verified reads (ADR 0007),
 * retries, the lock-mode etag memo — sees only the stored (sealed) bytes,
 * whose etags are what callers carry back into If-Match; the engine above
 * sees plaintext and does not know encryption exists.
 *
 * Keys under `prefixes` are sealed on put with the keyring's primary KEK
 * (sealed-body.ts) and opened on get; a stored body there without the
 * sealed magic is a clear legacy body and is returned as is, so encryption
 * can be turned on for an existing store (unless requireSealed: then it is
 * refused, DECRYPTION_FAILED). Other keys, head, delete and list
 * pass through byte for byte.
 */
import type { Blob, BlobMeta, BlobStore, WriteCondition } from '../blob-store.js';
import { DOCUMENTS_ROOT, INTENTS_PREFIX, LOGS_ROOT, UPLOAD_TAILS_PREFIX } from '../../format/bucket-layout.js';
import type { KeyringRef } from './keyring.js';
import { decryptionFailed, isSealed, open, seal } from './sealed-body.js';
import { ForwardingBlobStore } from '../forwarding-store.js';

/**
 * The key prefixes sealed by default: documents, transaction intents (which
 * hold document after-images), logs (chunks and segments hold the lines;
 * each is read and written whole, so one envelope per object fits: ADR 0016
 * "Logs") and resumable uploads' spilled tails (object data waiting for its
 * part). Object data itself is sealed in chunks by the object store's own
 * decorator (ADR 0016, "Large objects").
 */
export const ENCRYPTED_PREFIXES: readonly string[] = [DOCUMENTS_ROOT, INTENTS_PREFIX, LOGS_ROOT, UPLOAD_TAILS_PREFIX];

/** Options of EncryptingBlobStore. */
export interface EncryptingStoreOptions {
  /** The current keyring (replaced on reload). */
  readonly keyring: KeyringRef;
  /** Key prefixes whose bodies are sealed. Default ENCRYPTED_PREFIXES. */
  readonly prefixes?: readonly string[];
  /** Refuse clear bodies under those prefixes (DECRYPTION_FAILED) instead of reading them as legacy bodies. Default false. */
  readonly requireSealed?: boolean;
}

/** See the file comment. */
export class EncryptingBlobStore extends ForwardingBlobStore {
  private readonly prefixes: readonly string[];

  constructor(
    inner: BlobStore,
    private readonly o: EncryptingStoreOptions,
  ) {
    super(inner);
    this.prefixes = o.prefixes ?? ENCRYPTED_PREFIXES;
  }

  /** The store below: stored bytes (for RotateKeys). */
  get raw(): BlobStore {
    return this.inner;
  }

  /** Whether bodies under `key` are sealed. */
  encrypts(key: string): boolean {
    return this.prefixes.some((p) => key.startsWith(p));
  }

  /** The object with its body opened (DECRYPTION_FAILED / ENCRYPTION_KEY_UNKNOWN when it does not); clear bodies as stored. */
  override async get(key: string, signal?: AbortSignal): Promise<Blob | undefined> {
    const blob = await this.inner.get(key, signal);
    if (blob === undefined || !this.encrypts(key)) return blob;
    if (!isSealed(blob.body)) {
      if (this.o.requireSealed === true) throw decryptionFailed(key, 'stored in clear, and SB_ENCRYPTION_REQUIRE is on');
      return blob;
    }
    // contentMd5 is of the stored bytes: meaningless above this layer, so not passed on.
    return { etag: blob.etag, body: open(key, blob.body, this.o.keyring.get()) };
  }

  /** Passes through (the etag is of the stored bytes). */
  override head(key: string, signal?: AbortSignal): Promise<BlobMeta | undefined> {
    return this.inner.head(key, signal);
  }

  /** Seals the body (under an encrypted prefix) and writes it with the same condition. */
  override put(key: string, body: Uint8Array, condition?: WriteCondition, signal?: AbortSignal): Promise<BlobMeta> {
    const stored = this.encrypts(key) ? seal(key, body, this.o.keyring.get()) : body;
    return this.inner.put(key, stored, condition, signal);
  }
}
