/**
 * Where request messages are decoded. Small ones inline; one larger than
 * `offloadBytes` in a worker thread (decode-worker.ts), so that one huge
 * request — 300,000 keys cost protobuf-es seconds — cannot hold the event
 * loop, and every other client, while it decodes. A worker also sizes the
 * request's documents, so a request that must be refused
 * (DOCUMENT_TOO_LARGE, a decode failure) costs the event loop nothing.
 *
 * Workers run the compiled decode-worker.js; where it does not exist (the
 * TypeScript sources run under ts-jest) every message decodes inline.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { DescMessage, MessageShape } from '@bufbuild/protobuf';
import { Piscina } from 'piscina';
import { DbError } from '../errors/db-error.js';
import { decodeRequest } from './decode-request.js';
import type { DecodeOutcome, DecodeTask } from './decode-worker.js';

/** How requests are decoded (docs/limits.md). */
export interface DecodeOptions {
  /** Messages larger than this many bytes are decoded in a worker thread; 0 decodes all inline. */
  readonly offloadBytes: number;
  /** Worker threads. */
  readonly workers: number;
  /** Large requests that may wait for a worker; more are RESOURCE_EXHAUSTED / SERVER_OVERLOADED. */
  readonly maxQueued: number;
  /** The encoded-document limit (SB_MAX_DOCUMENT_BYTES), checked by workers. */
  readonly maxDocumentBytes: number;
}

const WORKER_FILE = join(__dirname, 'decode-worker.js');
const OVERLOAD_RETRY_MS = 1000;

/** Decodes request messages, inline or in a worker thread by size. */
export class RequestDecoder {
  private readonly pool: Piscina | undefined;
  /** Large requests being decoded or waiting for a worker. */
  private pending = 0;

  constructor(private readonly opts: DecodeOptions) {
    if (opts.offloadBytes > 0 && existsSync(WORKER_FILE)) {
      this.pool = new Piscina({
        filename: WORKER_FILE,
        name: 'decodeTask',
        // No thread until the first large request: starting one costs ~0.35 CPU-s (a third of a
        // server's start on memory storage); it then stays for idleTimeout.
        minThreads: 0,
        maxThreads: opts.workers,
        idleTimeout: 60_000,
        // Below the event loop's priority (Linux: per-thread nice 10, via piscina's optional
        // @napi-rs/nice): on a busy machine the loop serving small calls gets the CPU first.
        niceIncrement: 10,
      });
    }
  }

  /** True when large messages go to worker threads. */
  get offloading(): boolean {
    return this.pool !== undefined;
  }

  /** `bytes` decoded as `desc`; throws DbError (INVALID_ARGUMENT) for a message that does not decode or cannot be stored. */
  async decode<D extends DescMessage>(desc: D, bytes: Uint8Array, signal?: AbortSignal): Promise<MessageShape<D>> {
    if (!this.offloads(bytes)) return decodeRequest(desc, bytes);
    const out = await this.run(desc, bytes, true, signal);
    return out as MessageShape<D>;
  }

  /**
   * Throws what decode would for a large message, without returning it: for
   * the HTTP port, where connect decodes the messages it passes on.
   */
  async check(desc: DescMessage, bytes: Uint8Array, signal?: AbortSignal): Promise<void> {
    if (this.offloads(bytes)) await this.run(desc, bytes, false, signal);
  }

  /** Stops the worker threads. */
  async close(): Promise<void> {
    await this.pool?.close({ force: true });
  }

  private offloads(bytes: Uint8Array): boolean {
    return this.pool !== undefined && bytes.byteLength > this.opts.offloadBytes;
  }

  private async run(desc: DescMessage, bytes: Uint8Array, wantMessage: boolean, signal?: AbortSignal): Promise<unknown> {
    // One copy into a buffer of its own, then moved (not cloned) to the worker: a view into a
    // larger buffer would otherwise clone all of it.
    if (this.pending >= this.opts.workers + this.opts.maxQueued) throw overloaded(this.opts.maxQueued);
    const own = new Uint8Array(bytes);
    const task: DecodeTask = { typeName: desc.typeName, bytes: own, maxDocumentBytes: this.opts.maxDocumentBytes, wantMessage };
    let outcome: DecodeOutcome;
    this.pending++;
    try {
      outcome = (await this.pool!.run(task, { transferList: [own.buffer], ...(signal === undefined ? {} : { signal }) })) as DecodeOutcome;
    } catch (e) {
      throw signal?.aborted === true
        ? new DbError('cancelled', 'CANCELLED', 'the call was cancelled while its request was decoded')
        : new DbError('internal', 'INTERNAL_ERROR', 'a decode worker failed', { cause: e });
    } finally {
      this.pending--;
    }
    if (!outcome.ok) {
      const f = outcome.error;
      throw new DbError(f.kind, f.reason, f.message, { metadata: f.metadata, ...(f.field === undefined ? {} : { field: f.field }) });
    }
    return outcome.message;
  }
}

function overloaded(maxQueued: number): DbError {
  return new DbError('resource_exhausted', 'SERVER_OVERLOADED', `${maxQueued} large requests already wait to be decoded; retry later`, {
    retryDelayMs: OVERLOAD_RETRY_MS,
    metadata: { limit: String(maxQueued) },
  });
}
