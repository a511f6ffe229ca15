import { MemoryBlobStore } from '../storage/memory/memory-store.js';
import { systemClock } from '../common/clock.js';
import { DurableTokenKeys } from './durable-token-keys.js';
import { decodeKeyring } from './keyring.js';
import { openToken, sealToken } from './signed-token.js';
import { TOKEN_KEYRING_KEY } from '../format/bucket-layout.js';

const DAY = 86_400_000;

function clock(start = 1_000_000): { now: () => number; advance(ms: number): void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe('DurableTokenKeys', () => {
  it('servers racing to create the ring all end up with one key', async () => {
    const store = new MemoryBlobStore();
    const rings = await Promise.all(Array.from({ length: 5 }, () => DurableTokenKeys.open({ store, refreshMs: 0 })));
    expect(new Set(rings.map((r) => r.signingKey().id)).size).toBe(1);
    const token = sealToken(rings[0]!, 'list', Buffer.from('p'));
    for (const r of rings) expect((await openToken(r, 'list', token)).ok).toBe(true);
  });

  it('a ring reopened from the store (a restarted server) verifies the tokens issued before', async () => {
    const store = new MemoryBlobStore();
    const before = await DurableTokenKeys.open({ store, refreshMs: 0 });
    const token = sealToken(before, 'query', Buffer.from('p'));
    const after = await DurableTokenKeys.open({ store, refreshMs: 0 });
    expect(await openToken(after, 'query', token)).toEqual({ ok: true, payload: Buffer.from('p') });
    expect(await store.get(TOKEN_KEYRING_KEY)).toBeDefined();
  });

  it('rotates: the new key signs after the activation delay, old tokens verify for the overlap, then expire', async () => {
    const store = new MemoryBlobStore();
    const c = clock();
    const options = { store, refreshMs: 1000, rotateAfterMs: 30 * DAY, overlapMs: 7 * DAY, clock: { ...systemClock, now: c.now } };
    const a = await DurableTokenKeys.open(options);
    const b = await DurableTokenKeys.open(options);
    a.close();
    b.close();
    const first = a.signingKey().id;
    const old = sealToken(a, 'list', Buffer.from('old'));

    c.advance(30 * DAY);
    await a.sync(); // a rotates
    expect(a.signingKey().id).toBe(first); // not active yet: b may not know the new key
    c.advance(3000);
    const second = a.signingKey().id;
    expect(second).not.toBe(first);
    // b has not reloaded: an unknown key id makes it reload once.
    const fresh = sealToken(a, 'list', Buffer.from('new'));
    expect((await openToken(b, 'list', fresh)).ok).toBe(true);
    expect((await openToken(b, 'list', old)).ok).toBe(true);

    c.advance(7 * DAY);
    await b.sync(); // drops the first key
    expect(await openToken(b, 'list', old)).toEqual({ ok: false, problem: 'unknown-key' });
    expect(await openToken(a, 'list', old)).toEqual({ ok: false, problem: 'unknown-key' });
    expect((await openToken(a, 'list', fresh)).ok).toBe(true);
  });

  it('reloads for unknown ids at most once per gap', async () => {
    const store = new MemoryBlobStore();
    const c = clock();
    const keys = await DurableTokenKeys.open({ store, refreshMs: 0, clock: { ...systemClock, now: c.now }, minReloadGapMs: 1000 });
    let gets = 0;
    const get = store.get.bind(store);
    store.get = (k, s) => (gets++, get(k, s));
    c.advance(1000);
    await keys.verifyingKey('nope1');
    await keys.verifyingKey('nope2');
    expect(gets).toBe(1);
  });
});

describe('DurableTokenKeys reload and signals', () => {
  it('a caller whose signal aborts stops waiting for a shared reload; the others still get the key', async () => {
    const store = new MemoryBlobStore();
    const c = clock();
    const keys = await DurableTokenKeys.open({ store, refreshMs: 0, clock: { ...systemClock, now: c.now } });
    const writer = await DurableTokenKeys.open({
      store,
      refreshMs: 0,
      clock: { ...systemClock, now: c.now },
      rotateAfterMs: 10,
      overlapMs: 60_000,
    });
    c.advance(10);
    await writer.sync(); // a new key that `keys` has not loaded
    const newId = decodeKeyring((await store.get(TOKEN_KEYRING_KEY))!.body, 'k').keys.at(-1)!.id;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const get = store.get.bind(store);
    store.get = async (k, s) => (await gate, get(k, s));
    c.advance(2000);
    const aborter = new AbortController();
    const aborted = keys.verifyingKey(newId, aborter.signal);
    const patient = keys.verifyingKey(newId);
    aborter.abort();
    await expect(aborted).rejects.toMatchObject({ kind: 'cancelled' });
    release();
    expect((await patient)?.id).toBe(newId);
  });
});
