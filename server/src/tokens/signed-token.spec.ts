import { openToken, sealToken } from './signed-token.js';
import { staticTokenKeys } from './token-keys.js';

describe('signed tokens', () => {
  const keys = staticTokenKeys('secret');
  const payload = Buffer.from('{"x":1}');

  it('opens what it sealed, for the same purpose only', async () => {
    const token = sealToken(keys, 'list', payload);
    expect(token.split('.')[0]).toBe(keys.signingKey().id);
    expect(await openToken(keys, 'list', token)).toEqual({ ok: true, payload });
    expect(await openToken(keys, 'query', token)).toEqual({ ok: false, problem: 'bad-signature' });
  });

  it('tells an unknown key from a bad signature and from a malformed token', async () => {
    const token = sealToken(keys, 'list', payload);
    expect(await openToken(staticTokenKeys('other'), 'list', token)).toEqual({ ok: false, problem: 'unknown-key' });
    const [kid, body] = token.split('.') as [string, string, string];
    expect(await openToken(keys, 'list', `${kid}.${body}.AAAA`)).toEqual({ ok: false, problem: 'bad-signature' });
    for (const bad of ['', 'a.b', `${kid}.${body}`, `bad id!.${body}.AAAA`, `${'k'.repeat(33)}.${body}.AAAA`]) {
      expect(await openToken(keys, 'list', bad)).toEqual({ ok: false, problem: 'malformed' });
    }
  });

  it('derives the id of a configured secret from the secret, so every replica agrees', () => {
    expect(staticTokenKeys('s1').signingKey().id).toBe(staticTokenKeys('s1').signingKey().id);
    expect(staticTokenKeys('s1').signingKey().id).not.toBe(staticTokenKeys('s2').signingKey().id);
    expect(staticTokenKeys().signingKey().id).not.toBe(staticTokenKeys().signingKey().id);
  });
});
