import { ManualClock, fixedRandom } from '../common/manual-clock.js';
import { isDbError } from '../errors/db-error.js';
import type { Blob } from './blob-store.js';
import { MemoryBlobStore } from './memory/memory-store.js';
import { RetryingBlobStore } from './retrying-store.js';
import { TornReadsStore } from './torn-reads-store.js';
import { isMd5Shaped, md5Hex, proveBlob, VerifiedReadsStore } from './verified-reads.js';

const bytes = (s: string): Uint8Array => Buffer.from(s);

/** A memory store whose gets answer from a script (then its last entry forever), counting them. */
class ScriptedStore extends MemoryBlobStore {
  gets = 0;
  constructor(private readonly answers: Blob[]) {
    super();
  }
  override get(): Promise<Blob | undefined> {
    return Promise.resolve(this.answers[Math.min(this.gets++, this.answers.length - 1)]);
  }
}
const scripted = (answers: Blob[]): ScriptedStore => new ScriptedStore(answers);

function counters() {
  const cell = () => ({ value: 0, add(n = 1) { this.value += n; } }); // prettier-ignore
  return { mismatches: cell(), giveUps: cell(), unverified: cell() };
}

const v1 = bytes('{"v":1}');
const v2 = bytes('{"v":2}');
const honest = (body: Uint8Array): Blob => ({ body, etag: md5Hex(body) });
const torn: Blob = { body: v1, etag: md5Hex(v2) }; // version 1's body with version 2's etag

describe('proveBlob', () => {
  test('an MD5-shaped etag is compared with md5(body) when the store has MD5 etags', () => {
    expect(proveBlob(honest(v1), true)).toEqual({ proof: 'md5-etag', ok: true });
    expect(proveBlob({ body: v1, etag: md5Hex(v1).toUpperCase() }, true)).toEqual({ proof: 'md5-etag', ok: true });
    expect(proveBlob(torn, true)).toEqual({ proof: 'md5-etag', ok: false });
  });

  test('without MD5 etags (or with a multipart etag) the writer digest in metadata is the proof; without either, none', () => {
    expect(proveBlob({ body: v1, etag: 'opaque-1', contentMd5: md5Hex(v1) }, false)).toEqual({ proof: 'digest', ok: true });
    expect(proveBlob({ body: v1, etag: 'opaque-2', contentMd5: md5Hex(v2) }, false)).toEqual({ proof: 'digest', ok: false });
    expect(proveBlob({ body: v1, etag: `${md5Hex(v2)}-3`, contentMd5: md5Hex(v1) }, true)).toEqual({ proof: 'digest', ok: true });
    expect(proveBlob(torn, false)).toEqual({ proof: 'none', ok: true });
    expect(proveBlob({ body: v1, etag: 'opaque' }, true)).toEqual({ proof: 'none', ok: true });
  });

  test('isMd5Shaped: 32 hex digits, nothing else', () => {
    expect(isMd5Shaped(md5Hex(v1))).toBe(true);
    expect(isMd5Shaped(`${md5Hex(v1)}-2`)).toBe(false);
    expect(isMd5Shaped('abc')).toBe(false);
  });
});

describe('VerifiedReadsStore', () => {
  test('a mismatched pair is re-read after a jittered wait on the clock; the proven pair is returned', async () => {
    const inner = scripted([torn, torn, honest(v2)]);
    const clock = new ManualClock({ autoAdvance: true });
    const c = counters();
    const store = new VerifiedReadsStore(inner, { clock, random: fixedRandom(0.5), etagsAreMd5: true, counters: c });
    const got = await store.get('k');
    expect(got).toEqual(honest(v2));
    expect(inner.gets).toBe(3);
    expect(clock.sleeps).toEqual([3, 5]); // 0.5 of [0, 5], then of [0, 10]
    expect(c.mismatches.value).toBe(2);
    expect(c.giveUps.value).toBe(0);
  });

  test('a persistent mismatch fails unavailable / STORAGE_INCONSISTENT after maxAttempts reads, never returning the pair', async () => {
    const inner = scripted([torn]);
    const c = counters();
    const store = new VerifiedReadsStore(inner, {
      clock: new ManualClock({ autoAdvance: true }),
      random: fixedRandom(0.5),
      etagsAreMd5: true,
      counters: c,
    });
    const err = await store.get('k').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isDbError(err, 'STORAGE_INCONSISTENT')).toBe(true);
    expect(err).toMatchObject({ kind: 'unavailable', metadata: { attempts: '5' } });
    expect(inner.gets).toBe(5);
    expect(c).toMatchObject({ mismatches: { value: 5 }, giveUps: { value: 1 } });
  });

  test('RetryingBlobStore above it does not multiply the attempts of STORAGE_INCONSISTENT', async () => {
    const inner = scripted([torn]);
    const clock = new ManualClock({ autoAdvance: true });
    const verified = new VerifiedReadsStore(inner, { clock, random: fixedRandom(0), etagsAreMd5: true, maxAttempts: 3 });
    const store = new RetryingBlobStore(verified, { clock, random: fixedRandom(0) });
    await expect(store.get('k')).rejects.toMatchObject({ reason: 'STORAGE_INCONSISTENT' });
    expect(inner.gets).toBe(3);
  });

  test('non-MD5 etags: the sb-md5 digest read with the etag catches a torn read (TornReadsStore over memory)', async () => {
    const torny = new TornReadsStore(new MemoryBlobStore());
    const c = counters();
    const store = new VerifiedReadsStore(torny, {
      clock: new ManualClock({ autoAdvance: true }),
      random: fixedRandom(0.5),
      etagsAreMd5: false,
      counters: c,
    });
    await store.put('k', v1);
    const second = await store.put('k', v2);
    torny.tear('k', 2);
    const got = await store.get('k');
    expect(got).toMatchObject({ etag: second.etag, body: v2 });
    expect(torny.gets.get('k')).toBe(3);
    expect(c.mismatches.value).toBe(2);
  });

  test('a read with no proof passes unverified and is counted; missing keys are undefined', async () => {
    const c = counters();
    const store = new VerifiedReadsStore(new MemoryBlobStore(), {
      clock: new ManualClock({ autoAdvance: true }),
      random: fixedRandom(0.5),
      etagsAreMd5: false,
      counters: c,
    });
    await store.put('k', v1);
    await expect(store.get('k')).resolves.toMatchObject({ body: v1 });
    await expect(store.get('missing')).resolves.toBeUndefined();
    expect(c.unverified.value).toBe(1);
  });

  test('an abort during the backoff ends the get with the abort error', async () => {
    const inner = scripted([torn]);
    const controller = new AbortController();
    const clock = new ManualClock();
    const store = new VerifiedReadsStore(inner, { clock, random: fixedRandom(0.5), etagsAreMd5: true });
    const pending = store.get('k', controller.signal);
    await new Promise((r) => setImmediate(r));
    controller.abort();
    await expect(pending).rejects.toMatchObject({ kind: 'cancelled' });
  });
});
