/**
 * A TCP proxy on 127.0.0.1 in front of one backend (S3, Redis) whose
 * behaviour a test switches at run time: `pass` forwards, `drop` resets every
 * connection (a backend that is down), `hang` accepts connections and never
 * answers (a backend that is stuck). Its upstream can be changed, so a
 * backend killed and started again on another port stays at the same address.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

/** What the proxy does with connections. */
export type FaultMode = 'pass' | 'drop' | 'hang';

/** A running fault proxy. */
export interface FaultProxy {
  /** The port it listens on (127.0.0.1). */
  readonly port: number;
  /** Switches mode and closes the connections open so far (clients must reconnect into the new mode). */
  setMode(mode: FaultMode): void;
  /** Closes every open connection (both sides), keeping the mode: new connections are served as before. */
  cut(): void;
  /** Forwards new connections to this upstream port from now on. */
  setUpstream(port: number): void;
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

/** Starts a fault proxy to 127.0.0.1:`upstreamPort`, in mode `pass`. */
export function startFaultProxy(upstreamPort: number): Promise<FaultProxy> {
  let mode: FaultMode = 'pass';
  let upstreamPortNow = upstreamPort;
  const sockets = new Set<Socket>();
  const track = (s: Socket): void => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  };
  const server: Server = createServer((client) => {
    track(client);
    if (mode === 'drop') {
      client.resetAndDestroy();
      return;
    }
    if (mode === 'hang') {
      client.resume(); // read and discard: the peer's writes succeed, no answer ever comes
      return;
    }
    const upstream = connect({ host: '127.0.0.1', port: upstreamPortNow });
    track(upstream);
    upstream.once('close', () => client.destroy());
    client.once('close', () => upstream.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      resolve({
        port,
        setMode(next) {
          if (next === mode) return;
          mode = next;
          for (const s of sockets) s.destroy();
        },
        cut() {
          for (const s of sockets) s.destroy();
        },
        setUpstream(p) {
          upstreamPortNow = p;
        },
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
