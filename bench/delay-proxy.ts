/**
 * A TCP proxy on 127.0.0.1 that forwards to one upstream port and delays every
 * chunk by a fixed one-way delay in each direction, preserving order: a
 * stand-in for the network round trip to a remote S3 (delay 5 ms each way ≈
 * 10 ms RTT). Bandwidth is not limited; connection set-up is not delayed
 * (clients keep connections alive, as real S3 clients do).
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

/** A running delay proxy. */
export interface DelayProxy {
  /** The port it listens on (127.0.0.1). */
  readonly port: number;
  /** The one-way delay it adds, ms. */
  readonly oneWayDelayMs: number;
  /** Stops listening and closes every proxied connection. */
  close(): Promise<void>;
}

/** Starts a proxy to 127.0.0.1:`upstreamPort` adding `oneWayDelayMs` to each direction. */
export function startDelayProxy(upstreamPort: number, oneWayDelayMs: number): Promise<DelayProxy> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect({ host: '127.0.0.1', port: upstreamPort });
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    delayedPipe(client, upstream, oneWayDelayMs);
    delayedPipe(upstream, client, oneWayDelayMs);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      resolve({
        port,
        oneWayDelayMs,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

/** Copies `from` to `to`, each chunk (and the end) `delayMs` after it arrived, in order. */
function delayedPipe(from: Socket, to: Socket, delayMs: number): void {
  const queue: { due: number; chunk: Buffer | null }[] = [];
  let timer: NodeJS.Timeout | undefined;
  const flush = (): void => {
    timer = undefined;
    const now = performance.now();
    while (queue.length > 0 && queue[0].due <= now) {
      const { chunk } = queue.shift()!;
      if (to.destroyed) return;
      if (chunk === null) to.end();
      else to.write(chunk);
    }
    if (queue.length > 0) timer = setTimeout(flush, Math.max(0, queue[0].due - performance.now()));
  };
  const push = (chunk: Buffer | null): void => {
    queue.push({ due: performance.now() + delayMs, chunk });
    timer ??= setTimeout(flush, delayMs);
  };
  from.on('data', (chunk: Buffer) => push(chunk));
  from.once('end', () => push(null));
}
