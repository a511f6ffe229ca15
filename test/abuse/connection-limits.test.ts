/**
 * Limits per connection and per server (issue 8, defect 2), on a real
 * server process: calls in flight, Hold streams per connection, HTTP/2
 * concurrent streams, silent and half-open sockets, and CORS for browsers.
 */
import * as net from 'node:net';
import type * as http2 from 'node:http2';
import { create, toBinary } from '@bufbuild/protobuf';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { HoldRequestSchema } from '../../server/src/gen/smarterbase/v1/lock_service_pb.js';
import { DocumentService } from '../../server/src/gen/smarterbase/v1/document_service_pb.js';
import { ErrorInfoSchema, RetryInfoSchema } from '../../server/src/gen/google/rpc/error_details_pb.js';
import { eventually, grpcFrame, h2Connect, scrapeSum, unreadGrpcCall } from '../harness/raw-wire.js';
import { startServer, type ServerProcess } from '../harness/server-process.js';

const ACTIVE = 'smarterbase_rpc_server_active_calls';
const HOLD = '/smarterbase.v1.LockService/Hold';

let srv: ServerProcess;
beforeAll(async () => {
  srv = await startServer({
    SB_STORAGE: 'memory',
    SB_MAX_HOLDS_PER_CONNECTION: '3',
    SB_MAX_CALLS_IN_FLIGHT: '40',
    SB_MAX_CONCURRENT_STREAMS: '50',
    SB_HEADERS_TIMEOUT_MS: '1000',
    SB_IDLE_CONNECTION_TIMEOUT_MS: '2000',
    SB_CORS_ORIGINS: 'https://app.example',
  });
});
afterAll(async () => {
  await srv.stop();
});

const hold = (name: string): Buffer =>
  grpcFrame(toBinary(HoldRequestSchema, create(HoldRequestSchema, { name, ttl: { seconds: 10n, nanos: 0 } })));

/** Status, and ErrorInfo reason, of a raw stream that the server ends. */
function statusOf(stream: http2.ClientHttp2Stream): Promise<{ status?: string; details?: string }> {
  return new Promise((resolve) => {
    let meta: http2.IncomingHttpHeaders = {};
    stream.on('response', (h) => {
      if (h['grpc-status'] !== undefined) meta = h;
    });
    stream.on('trailers', (t) => {
      meta = t;
    });
    stream.on('close', () =>
      resolve({ status: meta['grpc-status'] as string | undefined, details: meta['grpc-status-details-bin'] as string | undefined }),
    );
    stream.resume();
  });
}

describe.each([
  ['grpc port', () => srv.grpcPort],
  ['http port', () => srv.httpPort],
])('on the %s', (_name, port) => {
  test('a connection may hold 3 Hold streams; the 4th is RESOURCE_EXHAUSTED / TOO_MANY_STREAMS; another connection may hold 3 more', async () => {
    const a = await h2Connect(port());
    const b = await h2Connect(port());
    try {
      const held = [0, 1, 2].map((i) => unreadGrpcCall(a, HOLD, hold(`h-${port()}-${i}`)));
      expect(await eventually(async () => (await scrapeSum(srv.metricsPort!, ACTIVE)) >= 3, 10_000)).toBe(true);
      const fourth = await statusOf(unreadGrpcCall(a, HOLD, hold(`h-${port()}-3`)));
      expect(fourth.status).toBe(String(Code.ResourceExhausted));
      expect(fourth.details).toBeDefined();
      const other = [0, 1, 2].map((i) => unreadGrpcCall(b, HOLD, hold(`o-${port()}-${i}`)));
      expect(await eventually(async () => (await scrapeSum(srv.metricsPort!, ACTIVE)) >= 6, 10_000)).toBe(true);
      expect([...held, ...other].every((s) => !s.closed)).toBe(true);
    } finally {
      a.destroy();
      b.destroy();
    }
    expect(await eventually(async () => (await scrapeSum(srv.metricsPort!, ACTIVE)) === 0, 10_000)).toBe(true);
  });

  test('the server announces its concurrent-stream limit in its HTTP/2 SETTINGS', async () => {
    const s = await h2Connect(port());
    try {
      await new Promise<void>((resolve) =>
        s.remoteSettings.maxConcurrentStreams === 50 ? resolve() : s.once('remoteSettings', () => resolve()),
      );
      expect(s.remoteSettings.maxConcurrentStreams).toBe(50);
    } finally {
      s.destroy();
    }
  });

  test('calls beyond the in-flight limit are RESOURCE_EXHAUSTED / SERVER_OVERLOADED with RetryInfo, and served again once calls end', async () => {
    const holders = await Promise.all(Array.from({ length: 14 }, () => h2Connect(port())));
    try {
      // 14 connections × 3 Holds = 42 > 40 calls in flight.
      holders.forEach((s, i) => [0, 1, 2].forEach((j) => unreadGrpcCall(s, HOLD, hold(`f-${port()}-${i}-${j}`))));
      expect(await eventually(async () => (await scrapeSum(srv.metricsPort!, ACTIVE)) >= 40, 10_000)).toBe(true);
      const client = createClient(DocumentService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port()}` }));
      const err = await client.get({ collection: 'c', id: 'x' }).catch((e: unknown) => ConnectError.from(e));
      expect(err).toBeInstanceOf(ConnectError);
      expect((err as ConnectError).code).toBe(Code.ResourceExhausted);
      expect((err as ConnectError).findDetails(ErrorInfoSchema)[0]?.reason).toBe('SERVER_OVERLOADED');
      expect((err as ConnectError).findDetails(RetryInfoSchema)).toHaveLength(1);
    } finally {
      holders.forEach((s) => s.destroy());
    }
    expect(await eventually(async () => (await scrapeSum(srv.metricsPort!, ACTIVE)) === 0, 10_000)).toBe(true);
    const client = createClient(DocumentService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port()}` }));
    await expect(client.get({ collection: 'c', id: 'x' })).rejects.toMatchObject({ code: Code.NotFound });
  });
});

/** Resolves when the server closes `socket`, or after `ms` with false. */
function closedWithin(socket: net.Socket, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.resume(); // read what the server says, so that its close is seen
    s.on('error', () => undefined);
    s.once('error', reject);
  });
}

test('the HTTP port closes sockets that send nothing or only part of their headers', async () => {
  const silent = await Promise.all(Array.from({ length: 50 }, () => connect(srv.httpPort)));
  const partial = await Promise.all(Array.from({ length: 50 }, () => connect(srv.httpPort)));
  for (const s of partial) s.write('POST /smarterbase.v1.DocumentService/Get HTTP/1.1\r\nHost: x\r\nContent-');
  const closed = await Promise.all([...silent, ...partial].map((s) => closedWithin(s, 8000)));
  expect(closed.filter(Boolean)).toHaveLength(100);
});

test('the gRPC port closes connections that never send the HTTP/2 preface', async () => {
  const silent = await Promise.all(Array.from({ length: 20 }, () => connect(srv.grpcPort)));
  const closed = await Promise.all(silent.map((s) => closedWithin(s, 8000)));
  expect(closed.filter(Boolean)).toHaveLength(20);
});

test('an HTTP/2 connection with no call is closed after the idle timeout', async () => {
  for (const port of [srv.grpcPort, srv.httpPort]) {
    const s = await h2Connect(port);
    const closed = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 10_000);
      s.once('close', () => {
        clearTimeout(timer);
        resolve(true);
      });
      s.once('goaway', () => undefined);
    });
    expect(closed).toBe(true);
  }
});

describe('CORS on the HTTP port', () => {
  const url = (): string => `http://127.0.0.1:${srv.httpPort}/smarterbase.v1.DocumentService/Get`;

  test('a preflight from an allowed origin is answered with the allowed method and headers', async () => {
    const res = await fetch(url(), {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,connect-protocol-version',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
    expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('connect-protocol-version');
  });

  test('a call from an allowed origin carries CORS headers; another origin gets none', async () => {
    const call = (origin: string) =>
      fetch(url(), { method: 'POST', headers: { origin, 'content-type': 'application/json' }, body: '{"collection":"c","id":"x"}' });
    const allowed = await call('https://app.example');
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(allowed.headers.get('access-control-expose-headers')?.toLowerCase()).toContain('grpc-status');
    const other = await call('https://evil.example');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});
