import { ManualClock } from '../common/manual-clock.js';
import { DbError } from '../errors/db-error.js';
import { MemoryBlobStore } from '../storage/memory/memory-store.js';
import { AccessAdmin } from './access-admin.js';
import { AccessCache } from './access-cache.js';
import { AccessStore } from './access-store.js';
import { Authenticator } from './authenticator.js';
import { randomBytes } from 'node:crypto';

const random = { random: () => 0.5, bytes: (n: number) => new Uint8Array(randomBytes(n)) };

async function setup() {
  const clock = new ManualClock({ startMs: 1_700_000_000_000 });
  const store = new AccessStore(new MemoryBlobStore());
  const cache = new AccessCache({ store, clock, maxAgeMs: 5000 });
  const admin = new AccessAdmin({ store, cache, clock, random });
  await admin.putRole({
    name: 'reader',
    description: '',
    permissions: [{ verbs: ['read'], collections: ['*'], locks: [], logs: [], accessControl: false }],
  });
  await admin.putRole({ name: 'gone', description: '', permissions: [] });
  await admin.setPrincipal({ name: 'ann', roles: ['reader', 'gone'], certificateNames: ['CN=ann,O=Example', 'DNS:ann.internal'] });
  await admin.deleteRole('gone'); // a principal may still name a role deleted since
  return { clock, admin, auth: new Authenticator(cache, clock) };
}

async function reasonOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof DbError) return `${e.kind}/${e.reason}`;
    throw e;
  }
  return 'ok';
}

describe('Authenticator', () => {
  test('a valid bearer key authenticates as its principal, with the roles that exist', async () => {
    const { admin, auth } = await setup();
    const { token, record } = await admin.createKey('ann');
    const caller = await auth.authenticate({ authorization: `Bearer ${token}` });
    expect(caller).toMatchObject({ principal: 'ann', via: record.id });
    expect(caller.roles.map((r) => r.name)).toEqual(['reader']);
    expect((await auth.authenticate({ authorization: `bearer   ${token}` })).principal).toBe('ann');
  });

  test('no credentials, a malformed header, an unknown id or a wrong secret are UNAUTHENTICATED', async () => {
    const { admin, auth } = await setup();
    const { token } = await admin.createKey('ann');
    expect(await reasonOf(auth.authenticate({}))).toBe('unauthenticated/UNAUTHENTICATED');
    expect(await reasonOf(auth.authenticate({ authorization: token }))).toBe('unauthenticated/INVALID_API_KEY');
    expect(await reasonOf(auth.authenticate({ authorization: 'Basic abc' }))).toBe('unauthenticated/INVALID_API_KEY');
    expect(await reasonOf(auth.authenticate({ authorization: `Bearer sbk_0000000000000000_${'a'.repeat(43)}` }))).toBe(
      'unauthenticated/INVALID_API_KEY',
    );
    const wrong = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
    expect(await reasonOf(auth.authenticate({ authorization: `Bearer ${wrong}` }))).toBe('unauthenticated/INVALID_API_KEY');
  });

  test('a revoked key is API_KEY_REVOKED; an expired one API_KEY_EXPIRED', async () => {
    const { admin, auth, clock } = await setup();
    const revoked = await admin.createKey('ann');
    await admin.revokeKey(revoked.record.id);
    expect(await reasonOf(auth.authenticate({ authorization: `Bearer ${revoked.token}` }))).toBe('unauthenticated/API_KEY_REVOKED');
    const expiring = await admin.createKey('ann', clock.now() + 60_000);
    expect(await reasonOf(auth.authenticate({ authorization: `Bearer ${expiring.token}` }))).toBe('ok');
    clock.advance(60_000);
    expect(await reasonOf(auth.authenticate({ authorization: `Bearer ${expiring.token}` }))).toBe('unauthenticated/API_KEY_EXPIRED');
  });

  test('a key of a principal that does not exist is authenticated with no roles', async () => {
    const { admin, auth } = await setup();
    const { token } = await admin.createKey('nobody');
    expect(await auth.authenticate({ authorization: `Bearer ${token}` })).toMatchObject({ principal: 'nobody', roles: [] });
  });

  test('a certificate whose subject or a SAN a principal lists authenticates as it; others do not', async () => {
    const { auth } = await setup();
    expect((await auth.authenticate({ identity: { subject: 'CN=ann,O=Example', sans: [] } })).principal).toBe('ann');
    expect((await auth.authenticate({ identity: { subject: 'CN=x', sans: ['DNS:other', 'DNS:ann.internal'] } })).via).toBe('certificate');
    expect(await reasonOf(auth.authenticate({ identity: { subject: 'CN=mallory', sans: ['DNS:mallory'] } }))).toBe(
      'unauthenticated/UNAUTHENTICATED',
    );
  });

  test('the bearer key is tried first: a bad key is refused even with a good certificate', async () => {
    const { auth } = await setup();
    expect(await reasonOf(auth.authenticate({ authorization: 'Bearer nope', identity: { subject: 'CN=ann,O=Example', sans: [] } }))).toBe(
      'unauthenticated/INVALID_API_KEY',
    );
  });
});
