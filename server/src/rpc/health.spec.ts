import { Code, ConnectError, createClient, createRouterTransport } from '@connectrpc/connect';
import { Health, HealthCheckResponse_ServingStatus as S } from '../gen/grpc/health/v1/health_pb.js';
import { createHealthHandlers, HealthState } from './health.js';

function setup() {
  const state = new HealthState(['smarterbase.v1.DocumentService']);
  const client = createClient(Health, createRouterTransport((r) => { r.service(Health, createHealthHandlers(state)); }));
  return { state, client };
}

describe('health', () => {
  test('Check: SERVING, then NOT_SERVING after setNotServing; unknown → NOT_FOUND', async () => {
    const { state, client } = setup();
    expect((await client.check({ service: '' })).status).toBe(S.SERVING);
    state.setNotServing();
    expect((await client.check({ service: 'smarterbase.v1.DocumentService' })).status).toBe(S.NOT_SERVING);
    const e = await client.check({ service: 'x' }).catch((x: unknown) => ConnectError.from(x));
    expect((e as ConnectError).code).toBe(Code.NotFound);
  });

  test('Watch sends the current status, then NOT_SERVING, then ends', async () => {
    const { state, client } = setup();
    const seen: S[] = [];
    const done = (async () => { for await (const r of client.watch({ service: '' })) seen.push(r.status); })();
    while (seen.length === 0) await new Promise((r) => setTimeout(r, 5));
    state.setNotServing();
    await done;
    expect(seen).toEqual([S.SERVING, S.NOT_SERVING]);
  });
});
