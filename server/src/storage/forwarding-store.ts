/**
 * The base of BlobStore wrappers that change one or two operations: every
 * operation goes to `inner` unless the subclass overrides it. Keeps the
 * pass-through methods in one place instead of one copy per wrapper.
 */
import type { Blob, BlobMeta, BlobStore, ListOptions, ListPage, WriteCondition } from './blob-store.js';

/** Forwards every operation to `inner`. */
export class ForwardingBlobStore implements BlobStore {
  constructor(protected readonly inner: BlobStore) {}

  get(key: string, signal?: AbortSignal): Promise<Blob | undefined> {
    return this.inner.get(key, signal);
  }

  head(key: string, signal?: AbortSignal): Promise<BlobMeta | undefined> {
    return this.inner.head(key, signal);
  }

  put(key: string, body: Uint8Array, condition?: WriteCondition, signal?: AbortSignal): Promise<BlobMeta> {
    return this.inner.put(key, body, condition, signal);
  }

  delete(key: string, condition?: Pick<WriteCondition, 'ifMatch'>, signal?: AbortSignal): Promise<boolean> {
    return this.inner.delete(key, condition, signal);
  }

  list(options: ListOptions, signal?: AbortSignal): Promise<ListPage> {
    return this.inner.list(options, signal);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
