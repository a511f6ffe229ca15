/**
 * Counts requests that reach the storage backend, where they are sent: the
 * `smarterbase.storage.operations` counter and the duration histogram, by op,
 * outcome and backend. The S3 adapter reports each HTTP request to it
 * (S3BlobStoreOptions.onRequest); InstrumentedBlobStore reports its calls to it
 * when it wraps an adapter whose calls are its requests (memory, filesystem).
 */
import type { Attributes } from '@opentelemetry/api';
import { countStorageRequest } from '../common/call-tally.js';
import type { CounterCell } from '../observability/cell-counter.js';
import type { StorageInstruments, StorageOp, StorageOutcome } from '../observability/metrics.js';

/** Records finished backend requests of one backend. */
export class RequestMeter {
  /** Count cell and histogram attributes per `op/outcome`, built on first use. */
  private readonly series = new Map<string, { readonly cell: CounterCell; readonly attributes: Attributes }>();

  constructor(
    private readonly instruments: Pick<StorageInstruments, 'operations' | 'duration'>,
    private readonly backend: string,
  ) {}

  /** Records one finished request that took `seconds`, sent with `signal` (it counts for the RPC call of that signal: common/call-tally.ts). */
  record(op: StorageOp, outcome: StorageOutcome, seconds: number, signal?: AbortSignal): void {
    countStorageRequest(signal);
    const key = `${op}/${outcome}`;
    let s = this.series.get(key);
    if (s === undefined) {
      const attributes = { op, outcome, backend: this.backend };
      s = { cell: this.instruments.operations.cell(`${this.backend}/${key}`, attributes), attributes };
      this.series.set(key, s);
    }
    s.cell.add();
    this.instruments.duration.record(seconds, s.attributes);
  }
}
