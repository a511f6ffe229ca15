import { Code, ConnectError, createClient, createRouterTransport } from '@connectrpc/connect';
import { Health, HealthCheckResponse_ServingStatus as S } from '../../../gen/grpc/health/v1/health_pb.js';
import type { HealthListener, SubsystemHealth } from '../../../common/health-monitor.js';
import { createHealthHandlers, HealthState, subsystemServiceName } from './health.js';

/** A SubsystemHealth the test flips by hand. */
class FakeBackends implements SubsystemHealth {
  readonly subsystems = ['storage', 'coordination'];
  private readonly up = new Map(this.subsystems.map((s) => [s, true]));
  private readonly listeners = new Set<HealthListener>();
  isUp(s: string): boolean {
    return this.up.get(s) ?? false;
  }
  subscribe(fn: HealthListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
  set(s: string, up: boolean): void {
    this.up.set(s, up);
    for (const l of this.listeners) l(s, up);
  }
}

function setupWithBackends() {
  const backends = new FakeBackends();
  const state = new HealthState(['smarterbase.v1.DocumentService'], backends);
  const client = createClient(
    Health,
    createRouterTransport((r) => {
      r.service(Health, createHealthHandlers(state));
    }),
  );
  return { backends, state, client };
}

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 2));
}

function setup() {
  const state = new HealthState(['smarterbase.v1.DocumentService']);
  const client = createClient(
    Health,
    createRouterTransport((r) => {
      r.service(Health, createHealthHandlers(state));
    }),
  );
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
    const done = (async () => {
      for await (const r of client.watch({ service: '' })) seen.push(r.status);
    })();
    while (seen.length === 0) await new Promise((r) => setTimeout(r, 5));
    state.setNotServing();
    await done;
    expect(seen).toEqual([S.SERVING, S.NOT_SERVING]);
  });

  test('subsystem names: smarterbase.storage / smarterbase.coordination are known and follow their backend', async () => {
    const { backends, state, client } = setupWithBackends();
    expect(subsystemServiceName('storage')).toBe('smarterbase.storage');
    for (const service of ['', 'smarterbase.v1.DocumentService', 'smarterbase.storage', 'smarterbase.coordination']) {
      expect((await client.check({ service })).status).toBe(S.SERVING);
    }
    backends.set('coordination', false);
    expect((await client.check({ service: 'smarterbase.coordination' })).status).toBe(S.NOT_SERVING);
    expect((await client.check({ service: '' })).status).toBe(S.SERVING); // coordination is not readiness
    expect((await client.check({ service: 'smarterbase.storage' })).status).toBe(S.SERVING);
    backends.set('storage', false);
    expect((await client.check({ service: '' })).status).toBe(S.NOT_SERVING); // storage is
    expect((await client.check({ service: 'smarterbase.v1.DocumentService' })).status).toBe(S.NOT_SERVING);
    backends.set('storage', true);
    backends.set('coordination', true);
    expect((await client.check({ service: '' })).status).toBe(S.SERVING);
    state.setNotServing();
    expect((await client.check({ service: 'smarterbase.storage' })).status).toBe(S.NOT_SERVING);
  });

  test('Watch of a subsystem streams every flip (none lost, no repeats) and ends at shutdown', async () => {
    const { backends, state, client } = setupWithBackends();
    const seen: S[] = [];
    const done = (async () => {
      for await (const r of client.watch({ service: 'smarterbase.storage' })) seen.push(r.status);
    })();
    await until(() => seen.length === 1);
    backends.set('coordination', false); // not this service: nothing sent
    backends.set('storage', false);
    await until(() => seen.length === 2);
    backends.set('storage', true);
    await until(() => seen.length === 3);
    state.setNotServing();
    await done;
    expect(seen).toEqual([S.SERVING, S.NOT_SERVING, S.SERVING, S.NOT_SERVING]);
  });

  test('Watch of "" follows storage (readiness)', async () => {
    const { backends, client } = setupWithBackends();
    const ac = new AbortController();
    const seen: S[] = [];
    const done = (async () => {
      for await (const r of client.watch({ service: '' }, { signal: ac.signal })) seen.push(r.status);
    })().catch(() => undefined);
    await until(() => seen.length === 1);
    backends.set('storage', false);
    await until(() => seen.length === 2);
    ac.abort();
    await done;
    expect(seen).toEqual([S.SERVING, S.NOT_SERVING]);
  });
});
