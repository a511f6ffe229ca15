/**
 * Serves connect-style ServiceImpls with @connectrpc/connect-node on one
 * port that speaks HTTP/1.1 (Connect, gRPC-Web) and h2c with prior
 * knowledge (gRPC, Connect). Node's plaintext http2 server ignores
 * `allowHTTP1`, so each connection is routed by its first bytes: the HTTP/2
 * preface goes to an http2 server, anything else to an http1 server; both
 * run the same handler. With TLS (`tls`), a TLS server terminates each
 * connection first (ALPN h2 / http/1.1, client certificates per the
 * ServerTls) and the decrypted socket is routed the same way; the
 * certificate follows file changes through setSecureContext.
 */
import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import cors from 'cors';
import { Code, ConnectError, cors as connectCors, createConnectRouter, createContextValues } from '@connectrpc/connect';
import type { UniversalHandler, UniversalServerResponse } from '@connectrpc/connect/protocol';
import { errorResponse, fixGrpcTrailer, normalizeResponse, protocolOf, unknownMethodResponse } from './connect-errors.js';
import { ERROR_DETAIL_REGISTRY, type InternalErrorLogger } from './error-table.js';
import { DbError } from '../errors/db-error.js';
import { prescanRequest } from './prescan-body.js';
import type { RequestDecoder } from './decode-pool.js';
import { compressionBrotli, compressionGzip, universalRequestFromNodeRequest } from '@connectrpc/connect-node';
import { writeNodeResponse } from './node-response.js';
import { CONNECTION_KEY, DEFAULT_LIMITS, type ServerLimits } from './limits.js';
import type { TypedService } from './typed-service.js';
import { PEER_KEY, peerOfSocket } from './tls/peer.js';
import type { ServerTls } from './tls/server-tls.js';
import { secureListener } from './tls/secure-listener.js';

/**
 * The error to send when connect's handler rejects instead of answering:
 * its URIError comes from encoding an error message that a malformed
 * request filled with unpaired surrogates (MALFORMED_REQUEST); anything
 * else is a bug (INTERNAL, logged).
 */
function handlerFailure(e: unknown): unknown {
  return e instanceof URIError
    ? new DbError('invalid', 'MALFORMED_REQUEST', 'the request is malformed (its error could not be encoded)', { cause: e })
    : e;
}

/** Options of ConnectEndpoint. */
export interface ConnectEndpointOptions {
  /** The services to serve, each with its (decorated) implementation. */
  readonly services: readonly TypedService[];
  /** Largest request message accepted, in bytes. */
  readonly readMaxBytes: number;
  /** Checks large binary request messages before connect decodes them (decode-pool.ts); omit for none. */
  readonly decoder?: Pick<RequestDecoder, 'check'>;
  /** Largest response message sent, in bytes. */
  readonly writeMaxBytes: number;
  /** Responses smaller than this are never compressed, in bytes (default 1024). */
  readonly compressMinBytes?: number;
  /** Receives failures to write a response (other than a client that went away). */
  readonly logTransportError?: (err: unknown, procedure: string) => void;
  /** Receives unexpected failures of connect's own request handling (bugs; never sent to clients). */
  readonly logInternal?: InternalErrorLogger;
  /** Connection and stream limits (rpc/limits.ts); missing fields take their defaults. */
  readonly limits?: Partial<ServerLimits>;
  /** Origins allowed to call from a browser ('*' for any); empty = no CORS headers, preflights not answered. */
  readonly corsOrigins?: readonly string[];
  /** Serve TLS with this material (and mTLS when it has a client CA); omit for plaintext. */
  readonly tls?: ServerTls;
}

/**
 * The CORS middleware (the cors package) with Connect's header lists, or
 * undefined when no origin is allowed.
 */
function corsMiddleware(origins: readonly string[]): ReturnType<typeof cors> | undefined {
  if (origins.length === 0) return undefined;
  return cors({
    origin: origins.includes('*') ? '*' : [...origins],
    methods: [...connectCors.allowedMethods],
    allowedHeaders: [...connectCors.allowedHeaders, 'authorization'],
    exposedHeaders: [...connectCors.exposedHeaders],
    maxAge: 7200,
  });
}

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n');

/**
 * Idle and keepalive policy of one HTTP/2 connection: closed (GOAWAY) after
 * `idleConnectionTimeoutMs` without a call, pinged after `keepaliveTimeMs`
 * of quiet and destroyed when a ping stays unanswered for
 * `keepaliveTimeoutMs`.
 */
function guardSession(session: http2.ServerHttp2Session, limits: ServerLimits): void {
  let lastCall = Date.now(); // for idleness: the last time a call started or ended
  let lastHeard = Date.now(); // for keepalive: the last call or ping answer
  let streams = 0;
  session.on('stream', (stream: http2.ServerHttp2Stream) => {
    streams++;
    lastCall = lastHeard = Date.now();
    stream.once('close', () => {
      streams--;
      lastCall = lastHeard = Date.now();
    });
  });
  const tick = Math.max(100, Math.min(limits.keepaliveTimeMs, limits.idleConnectionTimeoutMs) / 2);
  const timer = setInterval(() => {
    if (session.destroyed || session.closed) return;
    const now = Date.now();
    if (streams === 0 && now - lastCall >= limits.idleConnectionTimeoutMs) {
      session.close();
      return;
    }
    if (now - lastHeard < limits.keepaliveTimeMs) return;
    const deadline = setTimeout(() => session.destroy(), limits.keepaliveTimeoutMs);
    deadline.unref();
    const sent = session.ping((err) => {
      clearTimeout(deadline);
      if (err) session.destroy();
      else lastHeard = Date.now();
    });
    if (!sent) clearTimeout(deadline);
  }, tick);
  timer.unref();
  session.once('close', () => clearInterval(timer));
}

/** The HTTP endpoint (Connect / gRPC / gRPC-Web) of the server. */
export class ConnectEndpoint {
  private readonly shutdownController = new AbortController();
  private readonly h1: http.Server;
  private readonly h2: http2.Http2Server;
  private readonly listener: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private readonly sessions = new Set<http2.Http2Session>();
  private inFlight = 0;
  private readonly limits: ServerLimits;
  private closing = false;
  private readonly idleWaiters: (() => void)[] = [];

  constructor(opts: ConnectEndpointOptions) {
    const router = createConnectRouter({
      // Per-item google.rpc.Status details (BatchWrite/BatchDelete) are Anys: JSON needs their types.
      jsonOptions: { registry: ERROR_DETAIL_REGISTRY },
      readMaxBytes: opts.readMaxBytes,
      writeMaxBytes: opts.writeMaxBytes,
      compressMinBytes: opts.compressMinBytes ?? 1024,
      acceptCompression: [compressionGzip, compressionBrotli],
      shutdownSignal: this.shutdownController.signal,
    });
    // An incompressible service's responses are never compressed (a threshold no message reaches); its requests may be.
    const uncompressed = { compressMinBytes: Number.MAX_SAFE_INTEGER };
    for (const s of opts.services)
      s.with((service, impl) => router.service(service, impl, s.incompressible === true ? uncompressed : undefined));
    const limits: ServerLimits = { ...DEFAULT_LIMITS, ...opts.limits };
    this.limits = limits;
    const paths = new Map<string, UniversalHandler>(router.handlers.map((h) => [h.requestPath, h]));
    // Like connect-node's connectNodeAdapter, but failures go to our logger, and a
    // client that left before its response was written is not an error.
    const adapter = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse): void => {
      const path = (req.url ?? '').split('?', 2)[0] ?? '';
      const handler = paths.get(path);
      const protocol = protocolOf(req.headers['content-type']);
      const respond = (ures: UniversalServerResponse, signal: AbortSignal): Promise<void> =>
        writeNodeResponse(ures, res, {
          signal,
          stallTimeoutMs: limits.streamStallTimeoutMs,
          ...(protocol === 'grpc' ? { beforeTrailers: fixGrpcTrailer } : {}),
        });
      const failed = (reason: unknown): void => {
        if (res.destroyed || req.destroyed || res.socket?.destroyed === true || ConnectError.from(reason).code === Code.Aborted) return;
        opts.logTransportError?.(reason, path.slice(0, 200));
      };
      if (handler === undefined) {
        respond(unknownMethodResponse(path, protocol, String(req.headers['content-type'] ?? '')), new AbortController().signal).catch(
          failed,
        );
        return;
      }
      const connection = `${req.socket?.remoteAddress ?? ''}:${req.socket?.remotePort ?? ''}`;
      const ureq = universalRequestFromNodeRequest(
        req as never,
        res as never,
        undefined,
        createContextValues().set(CONNECTION_KEY, connection).set(PEER_KEY, peerOfSocket(req.socket)),
      );
      // A binary message is scanned before connect decodes it (prescan-body.ts): a field repeated
      // hundreds of thousands of times is refused without holding the event loop.
      prescanRequest(
        ureq,
        handler.method,
        protocol,
        opts.readMaxBytes,
        opts.decoder === undefined ? undefined : (d, b, s) => opts.decoder!.check(d, b, s),
      )
        .then(
          (scanned) =>
            handler(scanned).then(
              (ures) => normalizeResponse(ures, protocol),
              // connect itself failed before answering (e.g. it could not percent-encode the error
              // message it built from a malformed request): answer anyway, never leave the call hanging.
              (e: unknown) => errorResponse(handlerFailure(e), protocol, String(req.headers['content-type'] ?? ''), opts.logInternal),
            ),
          (err: unknown) => {
            if (!(err instanceof DbError)) throw err;
            return errorResponse(err, protocol, String(req.headers['content-type'] ?? ''));
          },
        )
        .then((ures) => respond(ures, ureq.signal))
        .catch(failed);
    };
    const withCors = corsMiddleware(opts.corsOrigins ?? []);
    const handler = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse): void => {
      // Preflights are answered by the CORS middleware and never reach a service.
      if (withCors !== undefined) {
        let next = false;
        withCors(req as never, res as never, () => {
          next = true;
        });
        if (!next) return;
      }
      this.inFlight++;
      if (this.closing && res instanceof http.ServerResponse) res.setHeader('Connection', 'close');
      res.once('close', () => {
        this.inFlight--;
        if (this.inFlight === 0) this.idleWaiters.splice(0).forEach((w) => w());
      });
      adapter(req, res);
    };
    this.h1 = http.createServer(
      {
        headersTimeout: limits.headersTimeoutMs,
        requestTimeout: 0, // server streams may last; stalls are bounded by streamStallTimeoutMs
        keepAliveTimeout: limits.idleConnectionTimeoutMs,
        connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs),
      },
      handler,
    );
    // Node tracks connections for headersTimeout only once a server emits 'listening'; this one never
    // listens itself (the router hands it sockets), so start the tracking by hand.
    this.h1.emit('listening');
    this.h2 = http2.createServer({ settings: { maxConcurrentStreams: limits.maxConcurrentStreams } }, handler);
    this.h2.on('session', (s) => {
      this.sessions.add(s);
      s.once('close', () => this.sessions.delete(s));
      guardSession(s, limits);
    });
    // Nagle off, as gRPC servers do: a response's last small write must not wait for the client's ACK.
    this.listener =
      opts.tls === undefined
        ? net.createServer({ noDelay: true }, (socket) => this.route(socket))
        : secureListener(opts.tls, {
            handshakeTimeoutMs: limits.headersTimeoutMs,
            onConnection: (socket) => this.route(socket),
            onRawSocket: (raw) => {
              this.sockets.add(raw);
              raw.once('close', () => this.sockets.delete(raw));
            },
          });
  }

  private route(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    // A connection that says nothing is dropped; once routed, the HTTP servers' own timeouts apply.
    socket.setTimeout(this.limits.headersTimeoutMs, () => socket.destroy());
    const onReadable = (): void => {
      const chunk = socket.read() as Buffer | null;
      if (chunk === null) return;
      socket.off('readable', onReadable);
      socket.setTimeout(0);
      socket.unshift(chunk);
      const n = Math.min(chunk.length, PREFACE.length);
      const isH2 = chunk.subarray(0, n).equals(PREFACE.subarray(0, n)) && n >= 3;
      (isH2 ? this.h2 : this.h1).emit('connection', socket);
    };
    socket.on('readable', onReadable);
  }

  /** Listens on host:port (0 = a free port) and resolves to the bound port. */
  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.listener.once('error', reject);
      this.listener.listen(port, host, () => {
        this.listener.off('error', reject);
        resolve((this.listener.address() as net.AddressInfo).port);
      });
    });
  }

  /** Number of requests being served. */
  activeRequests(): number {
    return this.inFlight;
  }

  /**
   * Stops accepting connections, lets in-flight requests finish for up to
   * `graceMs`, then aborts handlers (their signal fires) and closes every
   * connection.
   */
  async shutdown(graceMs: number): Promise<void> {
    this.closing = true;
    const closed = new Promise<void>((resolve) => this.listener.close(() => resolve()));
    for (const s of this.sessions) s.close();
    this.h1.closeIdleConnections();
    if (this.inFlight > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs);
        this.idleWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    this.shutdownController.abort();
    for (const s of this.sessions) s.destroy();
    for (const s of this.sockets) s.destroy();
    await closed;
  }
}
