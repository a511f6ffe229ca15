import { create } from '@bufbuild/protobuf';
import { durationFromMs } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError, createRouterTransport, type ServiceImpl } from '@connectrpc/connect';
import { backoffDelayMs } from './backoff.js';
import { createClient, type SmarterBaseClient } from './client.js';
import { SmarterBaseError } from './errors.js';
import { ErrorInfoSchema, RetryInfoSchema } from './gen/google/rpc/error_details_pb.js';
import { DocumentSchema } from './gen/smarterbase/v1/document_pb.js';
import { DocumentService } from './gen/smarterbase/v1/document_service_pb.js';
import type { RetryPolicy } from './options.js';
import { createRetryInterceptor, isRetryableError, type RetryHooks } from './retry.js';
import { rejection } from '../test/expect-error.js';

const doc = (id: string) => create(DocumentSchema, { collection: 'c', id, data: { n: 1 }, etag: 'e1', version: 1n });

function unavailable(retryDelayMs?: number): ConnectError {
  const details = [{ desc: ErrorInfoSchema, value: { reason: 'BACKEND_UNAVAILABLE', domain: 'smarterbase.v1', metadata: {} } }];
  if (retryDelayMs !== undefined) details.push({ desc: RetryInfoSchema, value: { retryDelay: durationFromMs(retryDelayMs) } } as never);
  return new ConnectError('storage down', Code.Unavailable, undefined, details);
}

/** A client over an in-memory router with the retry interceptor; sleeps are recorded, not waited. */
function clientWith(impl: Partial<ServiceImpl<typeof DocumentService>>, policy?: RetryPolicy, hooks: RetryHooks = {}) {
  const delays: number[] = [];
  const interceptor = createRetryInterceptor(policy, {
    sleep: async (ms) => {
      delays.push(ms);
    },
    ...hooks,
  });
  const transport = createRouterTransport((r) => r.service(DocumentService, impl), { transport: { interceptors: [interceptor] } });
  return { client: createClient({ transport }), delays };
}

describe('backoffDelayMs', () => {
  const p = { initialBackoffMs: 50, maxBackoffMs: 1000, multiplier: 2 };
  it('grows the jitter bound exponentially up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelayMs(p, n, () => 1))).toEqual([50, 100, 200, 400, 800, 1000, 1000]);
  });
  it('draws uniformly below the bound (full jitter)', () => {
    expect(backoffDelayMs(p, 3, () => 0)).toBe(0);
    expect(backoffDelayMs(p, 3, () => 0.25)).toBe(50);
  });
  it('never goes below the server hint, but stays capped', () => {
    expect(backoffDelayMs(p, 1, () => 0, 300)).toBe(300);
    expect(backoffDelayMs(p, 1, () => 0, 5000)).toBe(1000);
  });
});

describe('retry interceptor (unary)', () => {
  it('retries UNAVAILABLE until success, with growing jittered delays', async () => {
    let calls = 0;
    const { client, delays } = clientWith(
      {
        get: () => {
          calls++;
          if (calls < 3) throw unavailable();
          return { document: doc('a') };
        },
      },
      { maxAttempts: 4, initialBackoffMs: 10, maxBackoffMs: 1000 },
      { random: () => 1 },
    );
    const got = await client.get('c', 'a');
    expect(got.id).toBe('a');
    expect(calls).toBe(3);
    expect(delays).toEqual([10, 20]);
  });

  it('gives up after maxAttempts and surfaces the UNAVAILABLE error', async () => {
    let calls = 0;
    const { client, delays } = clientWith(
      {
        get: () => {
          calls++;
          throw unavailable();
        },
      },
      { maxAttempts: 3 },
    );
    const err = await rejection(client.get('c', 'a'));
    expect(err.code).toBe(Code.Unavailable);
    expect(err.reason).toBe('BACKEND_UNAVAILABLE');
    expect(calls).toBe(3);
    expect(delays).toHaveLength(2);
  });

  it.each(
    [Code.Aborted, Code.DeadlineExceeded, Code.InvalidArgument, Code.FailedPrecondition, Code.NotFound, Code.Internal].map(
      (c) => [Code[c], c] as const,
    ),
  )('never retries %s', async (_name, code) => {
    let calls = 0;
    const { client, delays } = clientWith({
      get: () => {
        calls++;
        throw new ConnectError('no', code);
      },
    });
    const err = await rejection(client.get('c', 'a'));
    expect(err.code).toBe(code);
    expect(calls).toBe(1);
    expect(delays).toEqual([]);
  });

  it('waits at least the RetryInfo delay the server asked for', async () => {
    let calls = 0;
    const { client, delays } = clientWith(
      {
        get: () => {
          if (++calls === 1) throw unavailable(400);
          return { document: doc('a') };
        },
      },
      { initialBackoffMs: 10, maxBackoffMs: 2000 },
      { random: () => 0 },
    );
    await client.get('c', 'a');
    expect(delays).toEqual([400]);
  });

  it('does not retry when disabled with maxAttempts 1', async () => {
    let calls = 0;
    const { client } = clientWith(
      {
        get: () => {
          calls++;
          throw unavailable();
        },
      },
      { maxAttempts: 1 },
    );
    await rejection(client.get('c', 'a'));
    expect(calls).toBe(1);
  });

  it('keeps the call deadline across retries and backoffs (real timers)', async () => {
    let calls = 0;
    const transport = createRouterTransport(
      (r) =>
        r.service(DocumentService, {
          get: () => {
            calls++;
            throw unavailable();
          },
        }),
      {
        transport: {
          interceptors: [createRetryInterceptor({ maxAttempts: 50, initialBackoffMs: 1000, maxBackoffMs: 1000 }, { random: () => 1 })],
        },
      },
    );
    const client: SmarterBaseClient = createClient({ transport });
    const started = Date.now();
    const err = await rejection(client.get('c', 'a', { timeoutMs: 150 }));
    expect(err.code).toBe(Code.DeadlineExceeded);
    expect(Date.now() - started).toBeLessThan(900);
    expect(calls).toBe(1);
  });
});

describe('retry interceptor (server streaming)', () => {
  it('retries BatchGet that fails before its first item, delivering each item once', async () => {
    let calls = 0;
    const { client, delays } = clientWith({
      async *batchGet(req) {
        calls++;
        if (calls === 1) throw unavailable();
        for (const id of req.ids) yield { id, found: id !== 'x', document: id !== 'x' ? doc(id) : undefined };
      },
    });
    const items = [];
    for await (const item of client.batchGet('c', ['a', 'x', 'b'])) items.push([item.id, item.found]);
    expect(items).toEqual([
      ['a', true],
      ['x', false],
      ['b', true],
    ]);
    expect(calls).toBe(2);
    expect(delays).toHaveLength(1);
  });

  it('does not retry BatchGet after an item was delivered', async () => {
    let calls = 0;
    const { client } = clientWith({
      async *batchGet() {
        calls++;
        yield { id: 'a', found: true, document: doc('a') };
        throw unavailable();
      },
    });
    const seen: string[] = [];
    let caught: unknown;
    try {
      for await (const item of client.batchGet('c', ['a', 'b'])) seen.push(item.id);
    } catch (e) {
      caught = e;
    }
    expect(seen).toEqual(['a']);
    expect(caught).toBeInstanceOf(SmarterBaseError);
    expect((caught as SmarterBaseError).code).toBe(Code.Unavailable);
    expect(calls).toBe(1);
  });
});

describe('isRetryableError', () => {
  it('retries UNAVAILABLE and a connection lost mid-call, never a server-sent error or a caller cancel', () => {
    expect(isRetryableError(unavailable())).toBe(true);
    expect(isRetryableError(new ConnectError('http/2 stream closed with error code CANCEL (0x8)', Code.Canceled))).toBe(true);
    expect(isRetryableError(new ConnectError('read ECONNRESET', Code.Internal))).toBe(true);
    expect(isRetryableError(new ConnectError('operation was aborted', Code.Canceled))).toBe(false);
    const sent = [{ desc: ErrorInfoSchema, value: { reason: 'INTERNAL_ERROR', domain: 'smarterbase.v1', metadata: {} } }];
    expect(isRetryableError(new ConnectError('read ECONNRESET', Code.Internal, undefined, sent))).toBe(false);
    expect(isRetryableError(new ConnectError('changed', Code.Aborted))).toBe(false);
  });
});
