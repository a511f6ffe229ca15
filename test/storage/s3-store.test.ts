/**
 * S3BlobStore against real servers: gofakes3 for the probe, prefixes and
 * buckets; a closed port and a stopped gofakes3 for 'unavailable'; a tiny
 * scripted HTTP server for SlowDown, 409 and hanging responses.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConditionFailedError } from '../../server/src/storage/blob-store.js';
import { S3BlobStore, type S3BlobStoreOptions } from '../../server/src/storage/s3/s3-store.js';
import { LockedConditionsStore } from '../../server/src/storage/locked-conditions.js';
import { probeConditionalWrites } from '../../server/src/storage/probe-conditional-writes.js';
import { DbError } from '../../server/src/errors/db-error.js';
import { startS3Server, type S3TestServer } from '../harness/s3-server.js';
import { refusedPort } from '../harness/free-port.js';
import { LocalCoordinator } from '../../server/src/coordination/local/local-coordinator.js';

const creds = { accessKeyId: 'test', secretAccessKey: 'test', forcePathStyle: true };

describe('S3BlobStore on gofakes3', () => {
  let s3: S3TestServer;
  beforeAll(async () => {
    s3 = await startS3Server('probe');
  });
  afterAll(() => s3.stop());
  const store = (extra: Partial<S3BlobStoreOptions> = {}): S3BlobStore =>
    new S3BlobStore({ bucket: s3.bucket, endpoint: s3.endpoint, ...creds, ...extra });

  it('the probe finds every put condition atomic but If-Match on delete ignored, and cleans up', async () => {
    const raw = store();
    const result = await probeConditionalWrites(raw);
    // What gofakes3 does today; if it starts enforcing delete conditions this fails on purpose.
    expect(result.checks).toEqual({
      ifNoneMatchOnExistingRefused: true,
      ifMatchWrongEtagRefused: true,
      ifMatchRightEtagSucceeds: true,
      ifMatchOnMissingRefused: true,
      deleteWrongEtagRefused: false,
      atomicIfNoneMatch: true,
      atomicIfMatch: true,
      md5Etags: true,
      digestMetadata: true,
      atomicReads: true,
    });
    expect(result).toMatchObject({ native: false, md5Etags: true, digestMetadata: true, atomicReads: true });
    expect(result.detail).toContain('deleteWrongEtagRefused');
    expect(await raw.list({ prefix: '_probe/', limit: 100 })).toEqual({ keys: [], isTruncated: false });
    await raw.close();
  });

  it('the probe passes through LockedConditionsStore over the same gofakes3', async () => {
    const raw = store();
    const result = await probeConditionalWrites(new LockedConditionsStore(raw, new LocalCoordinator()));
    expect(result).toMatchObject({ native: true, md5Etags: true, digestMetadata: true, atomicReads: true });
    expect(result.detail).toBeUndefined();
    expect(Object.values(result.checks)).toHaveLength(10);
    await raw.close();
  });

  it('onRequest reports each request sent, with its outcome: an unconditional delete is HEAD + DELETE', async () => {
    const seen: string[] = [];
    const counted = store({ onRequest: (op, outcome, seconds, key) => seen.push(`${op} ${outcome} ${key} ${seconds >= 0}`) });
    const a = await counted.put('req/a', Buffer.from('1'), { ifNoneMatch: true });
    await expect(counted.put('req/a', Buffer.from('2'), { ifNoneMatch: true })).rejects.toBeInstanceOf(ConditionFailedError);
    expect(await counted.get('req/missing')).toBeUndefined();
    expect(await counted.delete('req/a')).toBe(true);
    expect(await counted.delete('req/a')).toBe(false);
    await counted.list({ prefix: 'req/', limit: 10 });
    expect(a.etag).not.toBe('');
    expect(seen).toEqual([
      'put ok req/a true',
      'put condition_failed req/a true',
      'get ok req/missing true',
      'head ok req/a true',
      'delete ok req/a true',
      'head ok req/a true',
      'list ok req/ true',
    ]);
    await counted.close();
  });

  it('a prefix is prepended on write and stripped on list', async () => {
    const tenant = store({ prefix: 'tenant-a/' });
    const plain = store();
    await tenant.put('docs/u/1', Buffer.from('{}'));
    expect(await plain.head('tenant-a/docs/u/1')).toBeDefined();
    expect(await plain.head('docs/u/1')).toBeUndefined();
    expect((await tenant.list({ prefix: 'docs/', limit: 10 })).keys).toEqual(['docs/u/1']);
    await Promise.all([tenant.close(), plain.close()]);
  });

  it('ensureBucket creates a missing bucket and is idempotent', async () => {
    const fresh = store({ bucket: 'created-by-test' });
    await expect(fresh.put('k', Buffer.from('x'))).rejects.toMatchObject({ kind: 'unavailable' });
    await fresh.ensureBucket();
    await fresh.ensureBucket();
    await fresh.put('k', Buffer.from('x'));
    expect(await fresh.head('k')).toBeDefined();
    await fresh.close();
  });

  it('an already aborted signal throws cancelled before any request', async () => {
    const raw = store();
    const ac = new AbortController();
    ac.abort();
    await expect(raw.get('k', ac.signal)).rejects.toMatchObject({ kind: 'cancelled', reason: 'CANCELLED' });
    await raw.close();
  });
});

describe('S3BlobStore when the server is gone', () => {
  it('a closed port → DbError unavailable with the SDK error as cause', async () => {
    const port = await refusedPort();
    const raw = new S3BlobStore({ bucket: 'b', endpoint: `http://127.0.0.1:${port}`, ...creds, maxAttempts: 2 });
    const err = await raw.get('k').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DbError);
    expect(err).toMatchObject({ kind: 'unavailable', reason: 'BACKEND_UNAVAILABLE' });
    expect((err as DbError).cause).toBeDefined();
    await raw.close();
  });

  it('gofakes3 stopped mid-test → put and list throw unavailable', async () => {
    const server = await startS3Server('gone');
    const raw = new S3BlobStore({ bucket: server.bucket, endpoint: server.endpoint, ...creds, maxAttempts: 2 });
    await raw.put('k', Buffer.from('1'));
    await server.stop();
    await expect(raw.put('k', Buffer.from('2'))).rejects.toMatchObject({ kind: 'unavailable', reason: 'BACKEND_UNAVAILABLE' });
    await expect(raw.list({ prefix: '', limit: 10 })).rejects.toMatchObject({ kind: 'unavailable' });
    await raw.close();
  });
});

/** A scripted S3 stand-in: `handler` answers each request; `requests` counts them. */
class ScriptedServer {
  requests = 0;
  private server?: Server;
  constructor(private readonly handler: (n: number, req: IncomingMessage, res: ServerResponse) => void) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const n = ++this.requests;
      req.resume();
      req.on('end', () => this.handler(n, req, res));
    });
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server?.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }
}

function s3Error(res: ServerResponse, status: number, code: string): void {
  res.writeHead(status, { 'content-type': 'application/xml' });
  res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${code}</Message><RequestId>r</RequestId></Error>`);
}

describe('S3BlobStore error mapping against a scripted server', () => {
  let scripted: ScriptedServer | undefined;
  afterEach(() => scripted?.stop());
  const on = async (
    handler: ConstructorParameters<typeof ScriptedServer>[0],
    maxAttempts = 3,
    timeoutMs?: number,
  ): Promise<S3BlobStore> => {
    scripted = new ScriptedServer(handler);
    const endpoint = await scripted.start();
    return new S3BlobStore({ bucket: 'b', endpoint, ...creds, maxAttempts, ...(timeoutMs !== undefined ? { timeoutMs } : {}) });
  };

  it('503 SlowDown is retried with backoff and the call then succeeds', async () => {
    const store = await on((n, _req, res) => {
      if (n <= 2) return s3Error(res, 503, 'SlowDown');
      res.writeHead(200, { etag: '"abc123"' });
      res.end();
    });
    expect(await store.put('k', Buffer.from('x'))).toEqual({ etag: 'abc123' });
    expect(scripted?.requests).toBe(3);
    await store.close();
  });

  it('SlowDown after the last attempt → resource_exhausted BACKEND_THROTTLED with retryDelayMs', async () => {
    const store = await on((_n, _req, res) => s3Error(res, 503, 'SlowDown'), 2);
    const err = await store.put('k', Buffer.from('x')).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'resource_exhausted', reason: 'BACKEND_THROTTLED' });
    expect((err as DbError).retryDelayMs).toBeGreaterThan(0);
    expect(scripted?.requests).toBe(2);
    await store.close();
  });

  it('500 on every attempt → unavailable', async () => {
    const store = await on((_n, _req, res) => s3Error(res, 500, 'InternalError'), 2);
    await expect(store.get('k')).rejects.toMatchObject({ kind: 'unavailable', reason: 'BACKEND_UNAVAILABLE' });
    expect(scripted?.requests).toBe(2);
    await store.close();
  });

  it('409 ConditionalRequestConflict and 412 on a conditional put → ConditionFailedError; quotes are added for If-Match', async () => {
    const seen: Array<string | undefined> = [];
    const store = await on((n, req, res) => {
      seen.push(req.headers['if-match'] as string | undefined);
      s3Error(res, n === 1 ? 409 : 412, n === 1 ? 'ConditionalRequestConflict' : 'PreconditionFailed');
    }, 1);
    await expect(store.put('k', Buffer.from('x'), { ifMatch: 'e1' })).rejects.toBeInstanceOf(ConditionFailedError);
    await expect(store.put('k', Buffer.from('x'), { ifMatch: 'e1' })).rejects.toBeInstanceOf(ConditionFailedError);
    expect(seen).toEqual(['"e1"', '"e1"']);
    await store.close();
  });

  it('404 on an If-Match put → ConditionFailedError; 404 on delete with If-Match too', async () => {
    const store = await on((_n, _req, res) => s3Error(res, 404, 'NoSuchKey'), 1);
    await expect(store.put('k', Buffer.from('x'), { ifMatch: 'e1' })).rejects.toBeInstanceOf(ConditionFailedError);
    await expect(store.delete('k', { ifMatch: 'e1' })).rejects.toBeInstanceOf(ConditionFailedError);
    await store.close();
  });

  it('a hanging request aborted by AbortSignal.timeout → deadline_exceeded; by abort() → cancelled; the request is torn down', async () => {
    let closed = 0;
    const store = await on((_n, req) => void req.once('close', () => closed++) /* never answers */, 1);
    await expect(store.get('k', AbortSignal.timeout(100))).rejects.toMatchObject({ kind: 'deadline_exceeded' });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    await expect(store.head('k', ac.signal)).rejects.toMatchObject({ kind: 'cancelled', reason: 'CANCELLED' });
    // The abort reaches the HTTP request (scoped-abort.ts), not only the caller: the server sees both requests end,
    // well before the store's own limit (DEFAULT_S3_TIMEOUT_MS, 10 s) would end them; 5 s allows a loaded machine.
    for (let i = 0; i < 500 && closed < 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(closed).toBe(2);
    await store.close();
    // Without that, each call would end only at the store's own limit (DEFAULT_S3_TIMEOUT_MS), past this test's timeout.
  }, 10_000);

  it('a request that never gets an answer ends at the server-side limit: unavailable with a generic message', async () => {
    const store = await on(() => undefined /* never answers */, 3, 300);
    for (const call of [() => store.get('k'), () => store.put('k', Buffer.from('x')), () => store.list({ prefix: '', limit: 5 })]) {
      const err = await call().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(DbError);
      expect(err).toMatchObject({ kind: 'unavailable', reason: 'BACKEND_UNAVAILABLE', message: 'storage unavailable' });
      expect((err as DbError).metadata).toMatchObject({ timeoutMs: '300' });
    }
    // The caller's own, shorter deadline still wins: that is deadline_exceeded, not the backend's fault.
    await expect(store.head('k', AbortSignal.timeout(50))).rejects.toMatchObject({ kind: 'deadline_exceeded' });
    await store.close();
  });

  it('backend text never becomes the message: 500 InternalError and SlowDown get generic messages', async () => {
    const failing = await on((_n, _req, res) => s3Error(res, 500, 'InternalError'), 1);
    await expect(failing.get('k')).rejects.toMatchObject({ kind: 'unavailable', message: 'storage unavailable' });
    await failing.close();
    await scripted?.stop();
    const slow = await on((_n, _req, res) => s3Error(res, 503, 'SlowDown'), 1);
    await expect(slow.get('k')).rejects.toMatchObject({ kind: 'resource_exhausted', message: 'storage throttled' });
    await slow.close();
  });
});
