/**
 * A BlobStore wrapper that measures every operation: the calls counter
 * (`smarterbase.storage.calls`) by op, outcome (ok | condition_failed | error)
 * and backend, one client span per operation, a child of whatever span is
 * active (the RPC's server span), and, when its inner store's calls are the
 * backend's requests (memory, filesystem), the requests counter and duration
 * histogram (request-meter.ts; the S3 adapter counts its own). It uses
 * @opentelemetry/api only; the SDK behind it is chosen in main.ts.
 */
import { SpanKind, SpanStatusCode, type Attributes, type Tracer } from '@opentelemetry/api';
import type { CounterCell } from '../observability/cell-counter.js';
import type { StorageInstruments, StorageOp, StorageOutcome } from '../observability/metrics.js';
import { RequestMeter } from './request-meter.js';
import {
  ConditionFailedError,
  type Blob,
  type BlobMeta,
  type BlobStore,
  type ListOptions,
  type ListPage,
  type WriteCondition,
} from './blob-store.js';

/** Options of InstrumentedBlobStore. */
export interface InstrumentedStoreOptions {
  /** The backend's name, recorded as the `backend` attribute (s3, filesystem, memory). */
  readonly backend: string;
  /** Where counts and durations go. */
  readonly instruments: StorageInstruments;
  /** Makes one span per operation; omit for metrics only. */
  readonly tracer?: Tracer;
  /**
   * Whether each call of the inner store is one request to the backend, to be
   * counted as such (default true: memory, filesystem). False above a store
   * that counts its own requests (the S3 adapter's onRequest).
   */
  readonly requests?: boolean;
}

/** The outcome attribute of an operation that threw `err`. */
export function outcomeOf(err: unknown): StorageOutcome {
  return err instanceof ConditionFailedError ? 'condition_failed' : 'error';
}

/** Wraps `inner`, recording metrics and spans for get, head, put, delete and list. */
export class InstrumentedBlobStore implements BlobStore {
  /** Calls count cell per `op/outcome`, built on first use. */
  private readonly callCells = new Map<string, CounterCell>();
  private readonly requests: RequestMeter | undefined;

  constructor(
    private readonly inner: BlobStore,
    private readonly opts: InstrumentedStoreOptions,
  ) {
    this.requests = opts.requests === false ? undefined : new RequestMeter(opts.instruments, opts.backend);
  }

  get(key: string, signal?: AbortSignal): Promise<Blob | undefined> {
    return this.measure('get', { 'smarterbase.storage.key': key }, () => this.inner.get(key, signal), signal);
  }

  head(key: string, signal?: AbortSignal): Promise<BlobMeta | undefined> {
    return this.measure('head', { 'smarterbase.storage.key': key }, () => this.inner.head(key, signal), signal);
  }

  put(key: string, body: Uint8Array, condition?: WriteCondition, signal?: AbortSignal): Promise<BlobMeta> {
    const cond = condition?.ifNoneMatch ? 'if_none_match' : condition?.ifMatch !== undefined ? 'if_match' : 'none';
    return this.measure(
      'put',
      { 'smarterbase.storage.key': key, 'smarterbase.storage.condition': cond, 'smarterbase.storage.bytes': body.byteLength },
      () => this.inner.put(key, body, condition, signal),
      signal,
    );
  }

  delete(key: string, condition?: Pick<WriteCondition, 'ifMatch'>, signal?: AbortSignal): Promise<boolean> {
    const cond = condition?.ifMatch !== undefined ? 'if_match' : 'none';
    return this.measure(
      'delete',
      { 'smarterbase.storage.key': key, 'smarterbase.storage.condition': cond },
      () => this.inner.delete(key, condition, signal),
      signal,
    );
  }

  list(options: ListOptions, signal?: AbortSignal): Promise<ListPage> {
    return this.measure(
      'list',
      { 'smarterbase.storage.prefix': options.prefix, 'smarterbase.storage.limit': options.limit },
      () => this.inner.list(options, signal),
      signal,
    );
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private async measure<T>(op: StorageOp, spanAttributes: Attributes, fn: () => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    const span = this.opts.tracer?.startSpan(`storage.${op}`, {
      kind: SpanKind.CLIENT,
      attributes: { 'smarterbase.storage.op': op, 'smarterbase.storage.backend': this.opts.backend, ...spanAttributes },
    });
    const start = performance.now();
    let outcome: StorageOutcome = 'ok';
    try {
      return await fn();
    } catch (err) {
      outcome = outcomeOf(err);
      if (span !== undefined) {
        span.setAttribute('smarterbase.storage.outcome', outcome);
        if (outcome === 'error') {
          span.recordException(err instanceof Error ? err : String(err));
          span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
        }
      }
      throw err;
    } finally {
      this.callCell(op, outcome).add();
      this.requests?.record(op, outcome, (performance.now() - start) / 1000, signal);
      span?.end();
    }
  }

  private callCell(op: StorageOp, outcome: StorageOutcome): CounterCell {
    const key = `${op}/${outcome}`;
    let cell = this.callCells.get(key);
    if (cell === undefined) {
      cell = this.opts.instruments.calls.cell(`${this.opts.backend}/${key}`, { op, outcome, backend: this.opts.backend });
      this.callCells.set(key, cell);
    }
    return cell;
  }
}
