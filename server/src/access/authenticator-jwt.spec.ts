import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { ManualClock } from '../common/manual-clock.js';
import { DbError } from '../errors/db-error.js';
import { MemoryBlobStore } from '../storage/memory/memory-store.js';
import { AccessAdmin } from './access-admin.js';
import { AccessCache } from './access-cache.js';
import { AccessStore } from './access-store.js';
import { Authenticator } from './authenticator.js';
import { JwtVerifier } from './jwt-verifier.js';

const random = { random: () => 0.5, bytes: (n: number) => new Uint8Array(randomBytes(n)) };
const NOW = 1_700_000_000_000;

describe('Authenticator with JWTs', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'sb-authjwt-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("a JWT authenticates as its principal: stored roles and limits plus the roles claim's; bad tokens are INVALID_TOKEN, keys stay keys", async () => {
    const clock = new ManualClock({ startMs: NOW });
    const store = new AccessStore(new MemoryBlobStore());
    const cache = new AccessCache({ store, clock, maxAgeMs: 5000 });
    const admin = new AccessAdmin({ store, cache, clock, random });
    const perm = (verb: 'read' | 'write') => [{ verbs: [verb], collections: ['*'], locks: [], logs: [], accessControl: false }];
    await admin.putRole({ name: 'reader', description: '', permissions: perm('read') });
    await admin.putRole({ name: 'writer', description: '', permissions: perm('write') });
    await admin.setPrincipal({ name: 'ann', roles: ['reader'], certificateNames: [], limits: { callsPerSecond: 5 } });
    const keys = await generateKeyPair('ES256');
    const file = join(dir, 'jwks.json');
    writeFileSync(file, JSON.stringify({ keys: [{ ...(await exportJWK(keys.publicKey)), kid: 'k1', alg: 'ES256' }] }));
    const jwt = new JwtVerifier({ jwksFile: file, issuer: 'idp', rolesClaim: 'groups', now: () => clock.now() });
    const auth = new Authenticator(cache, clock, jwt);
    const sign = (claims: Record<string, unknown>, iss = 'idp') =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .setIssuer(iss)
        .setExpirationTime(NOW / 1000 + 600)
        .sign(keys.privateKey);

    const ann = await auth.authenticate({ authorization: `Bearer ${await sign({ sub: 'ann', groups: ['writer', 'nosuch'] })}` });
    expect([ann.principal, ann.via, ann.roles.map((r) => r.name).sort(), ann.limits]).toEqual([
      'ann',
      'jwt',
      ['reader', 'writer'],
      { callsPerSecond: 5 },
    ]);
    const bob = await auth.authenticate({ authorization: `Bearer ${await sign({ sub: 'bob' })}` });
    expect([bob.principal, bob.roles]).toEqual(['bob', []]); // no record, no claim: authenticated, allowed nothing

    const reasonOf = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (e: unknown) => (e instanceof DbError ? `${e.kind}/${e.reason}` : String(e)),
      );
    expect(await reasonOf(auth.authenticate({ authorization: `Bearer ${await sign({ sub: 'ann' }, 'other')}` }))).toBe(
      'unauthenticated/INVALID_TOKEN',
    );
    expect(await reasonOf(auth.authenticate({ authorization: 'Bearer sbk_bad' }))).toBe('unauthenticated/INVALID_API_KEY');
    expect(await reasonOf(new Authenticator(cache, clock).authenticate({ authorization: `Bearer ${await sign({ sub: 'ann' })}` }))).toBe(
      'unauthenticated/INVALID_API_KEY',
    ); // without a JWKS file a JWT is just not a key
  });
});
