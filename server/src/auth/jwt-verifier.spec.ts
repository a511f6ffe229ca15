import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type KeyLike } from 'jose';
import { JwtRejected, JwtVerifier } from './jwt-verifier.js';

const NOW = Date.parse('2026-12-03T00:00:00Z');

describe('JwtVerifier', () => {
  let dir: string;
  let file: string;
  let keyA: { privateKey: KeyLike; publicKey: KeyLike };
  let keyB: { privateKey: KeyLike; publicKey: KeyLike };
  let now = NOW;

  const writeJwks = async (...keys: [string, KeyLike][]): Promise<void> => {
    const jwks = { keys: await Promise.all(keys.map(async ([kid, k]) => ({ ...(await exportJWK(k)), kid, alg: 'ES256', use: 'sig' }))) };
    writeFileSync(file, JSON.stringify(jwks));
  };
  const token = (key: KeyLike, kid: string, claims: Record<string, unknown> = {}, expSec = NOW / 1000 + 3600): Promise<string> =>
    new SignJWT({ sub: 'ann', ...claims })
      .setProtectedHeader({ alg: 'ES256', kid })
      .setIssuer('https://idp.example')
      .setAudience('smarterbase')
      .setExpirationTime(expSec)
      .sign(key);
  const verifier = (extra: Partial<ConstructorParameters<typeof JwtVerifier>[0]> = {}): JwtVerifier =>
    new JwtVerifier({ jwksFile: file, issuer: 'https://idp.example', audience: 'smarterbase', now: () => now, ...extra });
  const refusal = (p: Promise<unknown>): Promise<string> =>
    p.then(
      () => 'accepted',
      (e: unknown) => (e instanceof JwtRejected ? e.message : `other: ${String(e)}`),
    );

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sb-jwt-'));
    file = join(dir, 'jwks.json');
    keyA = await generateKeyPair('ES256');
    keyB = await generateKeyPair('ES256');
  });
  beforeEach(async () => {
    now = NOW;
    await writeJwks(['a', keyA.publicKey]);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('a valid token names its principal (sub, or the configured claim) and roles from the roles claim', async () => {
    const t = await token(keyA.privateKey, 'a', { email: 'ann@example.com', groups: ['reader', 'ops'] });
    expect(await verifier().verify(t)).toEqual({ principal: 'ann', roles: [], expiresAtMs: NOW + 3_600_000 });
    const v = verifier({ principalClaim: 'email', rolesClaim: 'groups' });
    expect(await v.verify(t)).toMatchObject({ principal: 'ann@example.com', roles: ['reader', 'ops'] });
  });

  test('expired, wrong issuer or audience, unknown key, forged signature, alg none: refused with a reason', async () => {
    const v = verifier();
    expect(await refusal(v.verify(await token(keyA.privateKey, 'a', {}, NOW / 1000 - 60)))).toBe('the token has expired');
    expect(await refusal(verifier({ issuer: 'https://other' }).verify(await token(keyA.privateKey, 'a')))).toBe(
      "the token's iss claim is not accepted",
    );
    expect(await refusal(verifier({ audience: 'other' }).verify(await token(keyA.privateKey, 'a')))).toBe(
      "the token's aud claim is not accepted",
    );
    expect(await refusal(v.verify(await token(keyB.privateKey, 'b')))).toBe('no key of the JWKS file matches the token');
    expect(await refusal(v.verify(await token(keyB.privateKey, 'a')))).toBe('the token signature does not verify');
    const [h, p] = (await token(keyA.privateKey, 'a')).split('.');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', kid: 'a' })).toString('base64url')}.${p}.`;
    expect(await refusal(v.verify(none))).not.toBe('accepted');
    expect(await refusal(v.verify(`${h}.${p}`))).toBe('the token is not a valid JWT');
    expect(await refusal(v.verify('sbk_not_a_jwt'))).toBe('the token is not a valid JWT');
  });

  test('a token without a principal or with malformed roles is refused', async () => {
    const noSub = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: 'a' })
      .setIssuer('https://idp.example')
      .setAudience('smarterbase')
      .setExpirationTime(NOW / 1000 + 60)
      .sign(keyA.privateKey);
    expect(await refusal(verifier().verify(noSub))).toBe('the token has no sub claim naming the caller');
    const bad = await token(keyA.privateKey, 'a', { groups: 'admin' });
    expect(await refusal(verifier({ rolesClaim: 'groups' }).verify(bad))).toBe("the token's groups claim is not a list of role names");
  });

  test('a rotated JWKS file is picked up after the reload check, without a restart; a broken file keeps the old keys', async () => {
    const errors: unknown[] = [];
    const v = verifier({ reloadCheckMs: 1000, onReloadError: (e) => errors.push(e) });
    const byB = await token(keyB.privateKey, 'b');
    expect(await refusal(v.verify(byB))).toBe('no key of the JWKS file matches the token');
    await writeJwks(['b', keyB.publicKey]);
    utimesSync(file, new Date(), new Date(Date.now() + 5_000)); // a distinct mtime even on coarse clocks
    expect(await refusal(v.verify(byB))).not.toBe('accepted'); // not checked yet
    now += 1_000;
    expect((await v.verify(byB)).principal).toBe('ann');
    expect(await refusal(v.verify(await token(keyA.privateKey, 'a')))).toBe('no key of the JWKS file matches the token');
    writeFileSync(file, '{ not json');
    utimesSync(file, new Date(), new Date(Date.now() + 10_000));
    now += 1_000;
    expect((await v.verify(byB)).principal).toBe('ann');
    expect(errors).toHaveLength(1);
  });

  test('a missing or malformed file at start-up is an error, not an open door', () => {
    expect(() => new JwtVerifier({ jwksFile: join(dir, 'absent.json') })).toThrow();
    writeFileSync(join(dir, 'bad.json'), '{"nokeys":1}');
    expect(() => new JwtVerifier({ jwksFile: join(dir, 'bad.json') })).toThrow(/not a JWKS document/);
  });
});
