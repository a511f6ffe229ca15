import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../common/manual-clock.js';
import { systemRandom } from '../../common/clock.js';
import { loadConfig } from '../../config/load-config.js';
import { MemoryBlobStore } from '../../storage/memory/memory-store.js';
import { openAuth } from './open-auth.js';

const KEY = `sbk_0011223344556677_${'k'.repeat(43)}`;
const log = { info: () => undefined, warn: () => undefined, error: () => undefined };
const headers = (authorization?: string) => ({ requestHeader: new Headers(authorization === undefined ? {} : { authorization }) });

describe('openAuth', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'open-auth-'));
    writeFileSync(join(dir, 'key'), `${KEY}\n`);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const deps = () => ({ store: new MemoryBlobStore(), log, clock: new ManualClock({ startMs: 1000 }), random: systemRandom });

  test('with auth off there is nothing to compose', async () => {
    const closers: { name: string; close(): Promise<void> }[] = [];
    expect(await openAuth(loadConfig({ argv: [], env: {} }).config, deps(), closers)).toBeUndefined();
    expect(closers).toEqual([]);
  });

  test('with auth on, the bootstrap key authenticates as admin; metrics follow SB_AUTH_METRICS; the refresh timer is closed', async () => {
    const env = { SB_AUTH: 'on', SB_AUTH_BOOTSTRAP_KEY_FILE: join(dir, 'key') };
    const closers: { name: string; close(): Promise<void> }[] = [];
    const opened = (await openAuth(loadConfig({ argv: [], env }).config, deps(), closers))!;
    const caller = await opened.auth.authenticate(headers(`Bearer ${KEY}`));
    expect(caller).toMatchObject({ principal: 'bootstrap' });
    expect(caller.roles.map((r) => r.name)).toEqual(['admin']);
    await expect(opened.auth.authenticate(headers())).rejects.toMatchObject({ reason: 'UNAUTHENTICATED' });
    expect(opened.reflection).toBe('authenticated');
    expect(await opened.metricsAllowed(undefined)).toBe(false);
    expect(await opened.metricsAllowed(`Bearer ${KEY}`)).toBe(true);
    expect(closers.map((c) => c.name)).toEqual(['access cache refresh']);
    await Promise.all(closers.map((c) => c.close()));

    const open = (await openAuth(
      loadConfig({ argv: [], env: { SB_AUTH: 'on', SB_AUTH_METRICS: 'open', SB_AUTH_REFLECTION: 'open' } }).config,
      deps(),
      closers,
    ))!;
    expect(await open.metricsAllowed(undefined)).toBe(true);
    expect(open.reflection).toBe('open');
    await Promise.all(closers.map((c) => c.close()));
  });

  test('a certificate identity from the injected identify is used when no key is sent', async () => {
    const closers: { name: string; close(): Promise<void> }[] = [];
    const d = deps();
    const opened = (await openAuth(
      loadConfig({ argv: [], env: { SB_AUTH: 'on', SB_AUTH_BOOTSTRAP_KEY_FILE: join(dir, 'key') } }).config,
      { ...d, identify: () => ({ subject: 'CN=ops', sans: [] }) },
      closers,
    ))!;
    await expect(opened.auth.authenticate(headers())).rejects.toMatchObject({ reason: 'UNAUTHENTICATED', metadata: { subject: 'CN=ops' } });
    await opened.access.setPrincipal({ name: 'ops', roles: ['admin'], certificateNames: ['CN=ops'] });
    expect((await opened.auth.authenticate(headers())).principal).toBe('ops');
    await Promise.all(closers.map((c) => c.close()));
  });
});
