/**
 * Health (Check, Watch) on both ports, and graceful shutdown: NOT_SERVING,
 * in-flight calls drained, new calls refused, stragglers cancelled after the
 * grace period.
 */
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createConnectTransport, createGrpcTransport } from '@connectrpc/connect-node';
import type { CallContext } from '../../server/src/api/call-context.js';
import type { DocumentApi } from '../../server/src/api/document-api.js';
import { DbError } from '../../server/src/errors/db-error.js';
import { Health, HealthCheckResponse_ServingStatus as S } from '../../server/src/gen/grpc/health/v1/health_pb.js';
import { startFixture, type RpcFixture } from './rpc-fixture.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Get of id "slow-N" takes N ms (ignoring the signal); id "hang" waits for the signal. */
const aborted: string[] = [];
function slow(api: DocumentApi): DocumentApi {
  return new Proxy(api, {
    get(target, prop, receiver) {
      if (prop !== 'get') return Reflect.get(target, prop, receiver);
      return async (ctx: CallContext, collection: string, id: string) => {
        const m = /^slow-(\d+)$/.exec(id);
        if (m) {
          await sleep(Number(m[1]));
          return target.get(ctx, collection, 'there');
        }
        if (id === 'hang') {
          await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
          aborted.push(id);
          throw new DbError('unavailable', 'SHUTTING_DOWN', 'the server is shutting down');
        }
        return target.get(ctx, collection, id);
      };
    },
  });
}

describe('health', () => {
  let fx: RpcFixture;
  beforeAll(async () => {
    fx = await startFixture();
  });
  afterAll(async () => {
    await fx.server.shutdown(500);
  });

  test.each(['grpc', 'http'] as const)('Check on the %s port: SERVING for "" and DocumentService, NOT_FOUND otherwise', async (port) => {
    const baseUrl = `http://127.0.0.1:${port === 'grpc' ? fx.ports.grpcPort : fx.ports.httpPort}`;
    const h = createClient(
      Health,
      port === 'grpc' ? createGrpcTransport({ baseUrl }) : createConnectTransport({ baseUrl, httpVersion: '1.1' }),
    );
    expect((await h.check({ service: '' })).status).toBe(S.SERVING);
    expect((await h.check({ service: 'smarterbase.v1.DocumentService' })).status).toBe(S.SERVING);
    const e = await h.check({ service: 'nope.Service' }).catch((x: unknown) => ConnectError.from(x));
    expect((e as ConnectError).code).toBe(Code.NotFound);
  });

  test('Watch of an unknown service answers SERVICE_UNKNOWN', async () => {
    const h = createClient(Health, createGrpcTransport({ baseUrl: `http://127.0.0.1:${fx.ports.grpcPort}` }));
    const ac = new AbortController();
    const it = h.watch({ service: 'nope.Service' }, { signal: ac.signal })[Symbol.asyncIterator]();
    expect((await it.next()).value?.status).toBe(S.SERVICE_UNKNOWN);
    ac.abort();
  });
});

describe('graceful shutdown', () => {
  test('Watch sees NOT_SERVING, an in-flight call completes, new calls are refused', async () => {
    const fx = await startFixture(slow);
    await fx.grpc.put({ collection: 'c', id: 'there', data: { v: 1 } });
    const h = createClient(Health, createGrpcTransport({ baseUrl: `http://127.0.0.1:${fx.ports.grpcPort}` }));
    const statuses: S[] = [];
    const watching = (async () => {
      for await (const r of h.watch({ service: '' })) statuses.push(r.status);
    })();
    while (statuses.length === 0) await sleep(10);

    const inflightGrpc = fx.grpc.get({ collection: 'c', id: 'slow-600' });
    const inflightConnect = fx.connect.get({ collection: 'c', id: 'slow-600' });
    await sleep(100);
    const t0 = Date.now();
    const stopped = fx.server.shutdown(5000);
    await sleep(50);
    const late = await createClient(Health, createGrpcTransport({ baseUrl: `http://127.0.0.1:${fx.ports.grpcPort}` }))
      .check({ service: '' })
      .then(
        () => 'served',
        () => 'refused',
      );
    expect((await inflightGrpc).document?.data).toEqual({ v: 1 });
    expect((await inflightConnect).document?.data).toEqual({ v: 1 });
    await stopped;
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(350);
    expect(took).toBeLessThan(3000);
    await watching;
    expect(statuses).toEqual([S.SERVING, S.NOT_SERVING]);
    expect(late).toBe('refused');
    const after = await fx.grpc.get({ collection: 'c', id: 'there' }).catch((x: unknown) => ConnectError.from(x));
    expect(after).toBeInstanceOf(ConnectError); // the port is closed (the client reports UNAVAILABLE or INTERNAL)
  });

  test('calls still running after the grace period are cancelled through their signal', async () => {
    const fx = await startFixture(slow);
    aborted.length = 0;
    const g = fx.grpc.get({ collection: 'c', id: 'hang' }).catch((x: unknown) => ConnectError.from(x));
    const c = fx.connect.get({ collection: 'c', id: 'hang' }).catch((x: unknown) => ConnectError.from(x));
    await sleep(100);
    const t0 = Date.now();
    await fx.server.shutdown(300);
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(280);
    expect(took).toBeLessThan(2000);
    expect(await g).toBeInstanceOf(ConnectError);
    expect(await c).toBeInstanceOf(ConnectError);
    expect(aborted).toEqual(['hang', 'hang']);
  });
});
