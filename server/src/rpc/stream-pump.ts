/**
 * Moves the messages of a server-streaming handler to its transport with
 * backpressure, and never waits forever. A wait for the transport to drain
 * also ends when the call closes (client cancel, disconnect, reset), when the
 * call's signal aborts (deadline, shutdown) or when the client has read
 * nothing for `stallTimeoutMs`. Whenever the pump stops early it returns the
 * handler's iterator, so the handler's `finally` blocks run and its fetch
 * windows, listings and leases are released.
 */

/** One response stream of one call, as the pump sees it. */
export interface StreamSink<T> {
  /** Sends one message; false when the transport's buffer is full and the pump must wait for drain. */
  write(message: T): boolean;
  /** Calls `fn` when the transport can take more; returns the unsubscribe function. */
  onDrain(fn: () => void): () => void;
  /** Calls `fn` when the call is over (cancelled, reset, disconnected); returns the unsubscribe function. */
  onClose(fn: () => void): () => void;
  /** True once the call is over. */
  isClosed(): boolean;
}

/** Options of pumpStream. */
export interface PumpOptions {
  /** Aborted on the call's deadline, client cancel or server shutdown. */
  readonly signal: AbortSignal;
  /** How long the pump waits for a client that reads nothing before giving up on the call, in ms. */
  readonly stallTimeoutMs: number;
}

/**
 * How a pump ended:
 * - `complete`: the handler finished and every message was handed to the transport;
 * - `closed`: the call was over before that (nothing more can be sent);
 * - `aborted`: the signal fired while the transport could still send (send a status);
 * - `stuck`: the client stopped reading (stall timeout, or the signal fired while blocked
 *   on a full buffer): no status can reach it, so the transport must reset the stream.
 */
export type PumpEnd = 'complete' | 'closed' | 'aborted' | 'stuck';

type Wake = 'drain' | 'closed' | 'aborted' | 'stalled' | 'next';

/** Resolves with the first of: `extra` settling ('next'), drain (when `drain`), close, abort, stall (when `stallMs`). */
function wakeOn<T>(
  sink: StreamSink<T>,
  signal: AbortSignal,
  opts: { drain: boolean; stallMs?: number; extra?: Promise<unknown> },
): Promise<Wake> {
  return new Promise<Wake>((resolve) => {
    const offs: (() => void)[] = [];
    let done = false;
    const settle = (why: Wake): void => {
      if (done) return;
      done = true;
      for (const off of offs) off();
      resolve(why);
    };
    if (opts.drain) offs.push(sink.onDrain(() => settle('drain')));
    offs.push(sink.onClose(() => settle('closed')));
    const onAbort = (): void => settle('aborted');
    signal.addEventListener('abort', onAbort, { once: true });
    offs.push(() => signal.removeEventListener('abort', onAbort));
    if (opts.stallMs !== undefined) {
      const timer = setTimeout(() => settle('stalled'), opts.stallMs);
      offs.push(() => clearTimeout(timer));
    }
    opts.extra?.then(
      () => settle('next'),
      () => settle('next'),
    );
    if (sink.isClosed()) settle('closed');
    else if (signal.aborted) settle('aborted');
  });
}

/**
 * Writes every message of `out` to `sink`, honouring backpressure, and tells
 * how it ended. Errors thrown by the handler propagate; the iterator is
 * returned (not awaited) whenever the pump stops before the end.
 */
export async function pumpStream<T>(out: AsyncIterable<T>, sink: StreamSink<T>, opts: PumpOptions): Promise<PumpEnd> {
  const it = out[Symbol.asyncIterator]();
  let finished = false;
  try {
    for (;;) {
      const next = it.next();
      // The handler may be waiting on a backend: stop waiting for it as soon as the call is over.
      const woke = await wakeOn(sink, opts.signal, { drain: false, extra: next });
      if (woke === 'closed') return 'closed';
      if (woke === 'aborted') return 'aborted';
      const r = await next;
      if (r.done === true) {
        finished = true;
        return 'complete';
      }
      if (sink.isClosed()) return 'closed';
      if (sink.write(r.value)) continue;
      const why = await wakeOn(sink, opts.signal, { drain: true, stallMs: opts.stallTimeoutMs });
      if (why === 'closed') return 'closed';
      if (why === 'aborted' || why === 'stalled') return 'stuck';
    }
  } catch (e) {
    finished = true; // a generator that threw is done already
    throw e;
  } finally {
    if (!finished) void Promise.resolve(it.return?.()).catch(() => undefined);
  }
}
