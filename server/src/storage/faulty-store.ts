/**
 * A fault-injection BlobStore wrapper for tests: makes chosen operations of
 * an inner store fail (before or after the inner call ran), so callers can be
 * tested against real backend failures without a broken backend.
 */
import type { Blob, BlobMeta, BlobStore, ListOptions, ListPage, WriteCondition } from './blob-store.js';

/** The operations a fault can target. */
export type BlobOp = 'get' | 'head' | 'put' | 'delete' | 'list';

/** When a fault fires: 'before' the inner call (nothing happens), or 'after' it (the change happened, the answer is lost). */
export type FaultTiming = 'before' | 'after';

/** A queued fault. */
interface Fault {
  readonly op: BlobOp | '*';
  readonly error: () => unknown;
  remaining: number;
  readonly timing: FaultTiming;
}

/** Wraps a BlobStore; every call passes through unless a queued fault matches it. */
export class FaultyBlobStore implements BlobStore {
  private readonly faults: Fault[] = [];
  /** How many calls of each operation reached this wrapper (faulted or not). */
  readonly calls: Record<BlobOp, number> = { get: 0, head: 0, put: 0, delete: 0, list: 0 };

  constructor(private readonly inner: BlobStore) {}

  /**
   * Makes the next `count` calls of `op` ('*' = any operation) throw `error`
   * (a value, or a factory called per failure). Faults fire in the order queued.
   */
  failNext(op: BlobOp | '*', error: unknown, count = 1, timing: FaultTiming = 'before'): this {
    const make = typeof error === 'function' ? (error as () => unknown) : () => error;
    this.faults.push({ op, error: make, remaining: count, timing });
    return this;
  }

  /** Removes every queued fault. */
  clear(): void {
    this.faults.length = 0;
  }

  /** How many queued failures have not fired yet. */
  get pendingFaults(): number {
    return this.faults.reduce((n, f) => n + f.remaining, 0);
  }

  /** get, unless a fault fires. */
  get(key: string, signal?: AbortSignal): Promise<Blob | undefined> {
    return this.run('get', () => this.inner.get(key, signal));
  }

  /** head, unless a fault fires. */
  head(key: string, signal?: AbortSignal): Promise<BlobMeta | undefined> {
    return this.run('head', () => this.inner.head(key, signal));
  }

  /** put, unless a fault fires. */
  put(key: string, body: Uint8Array, condition?: WriteCondition, signal?: AbortSignal): Promise<BlobMeta> {
    return this.run('put', () => this.inner.put(key, body, condition, signal));
  }

  /** delete, unless a fault fires. */
  delete(key: string, condition?: Pick<WriteCondition, 'ifMatch'>, signal?: AbortSignal): Promise<boolean> {
    return this.run('delete', () => this.inner.delete(key, condition, signal));
  }

  /** list, unless a fault fires. */
  list(options: ListOptions, signal?: AbortSignal): Promise<ListPage> {
    return this.run('list', () => this.inner.list(options, signal));
  }

  /** Closes the inner store. */
  close(): Promise<void> {
    return this.inner.close();
  }

  private async run<T>(op: BlobOp, fn: () => Promise<T>): Promise<T> {
    this.calls[op]++;
    const i = this.faults.findIndex((f) => f.op === '*' || f.op === op);
    if (i < 0) return fn();
    const fault = this.faults[i] as Fault;
    if (--fault.remaining <= 0) this.faults.splice(i, 1);
    if (fault.timing === 'after') await fn();
    throw fault.error();
  }
}
