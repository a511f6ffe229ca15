import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DbError } from '../errors/db-error.js';
import { KeyringRef, parseKeyring } from '../storage/crypto/keyring.js';
import type { ChangeFeed, FeedChange, FeedEvent, FeedPage } from './change-feed.js';
import { putRef, tempDir, TestClock } from './local/feed-test-kit.js';
import { LocalFeed } from './local/local-feed.js';
import { feedSealName, openChange, sealChange, SealingFeed } from './sealing-feed.js';

const MARKER = 'MARKER-91c2-feedbody';
const ring = (primary = 'k1'): KeyringRef =>
  new KeyringRef(
    parseKeyring(
      JSON.stringify({ primary, keys: { k1: Buffer.alloc(32, 1).toString('base64'), k2: Buffer.alloc(32, 2).toString('base64') } }),
    ),
  );

const doc = (n: number) => ({
  etag: `"e${n}"`,
  version: n,
  createTime: '2026-12-03T10:00:00.000Z',
  updateTime: '2026-12-03T10:00:00.000Z',
  data: { n, secret: MARKER, nested: { list: [1, 'two', null, true] } },
});

const put = (id: string, revision: number, n = 1): FeedChange => ({ id, op: 'put', revision, prevRevision: 0, doc: doc(n) });

async function failure(f: () => unknown): Promise<DbError> {
  try {
    await f();
  } catch (e) {
    return e as DbError;
  }
  throw new Error('expected a failure');
}

/** Every file of the journal directory, concatenated. */
async function journalBytes(dir: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) parts.push(await readFile(join(entry.parentPath, entry.name)));
  }
  return Buffer.concat(parts);
}

describe('sealChange / openChange', () => {
  test('the data round-trips; the sealed form holds no plaintext; other fields stay as they were', () => {
    const keyring = ring();
    const sealed = sealChange('users', put('ada', 7), keyring);
    expect(sealed.doc?.data).toEqual({});
    expect(sealed.doc?.sealedData).toEqual(expect.any(String));
    expect(JSON.stringify(sealed)).not.toContain(MARKER);
    expect(sealed).toMatchObject({ id: 'ada', revision: 7, doc: { etag: '"e1"', version: 1 } });
    expect(openChange('users', sealed, keyring)).toEqual(put('ada', 7));
    expect(sealChange('users', put('ada', 7), keyring).doc?.sealedData).not.toBe(sealed.doc?.sealedData); // a fresh data key each time
  });

  test('deletes and clear (legacy) changes pass through both ways', () => {
    const keyring = ring();
    const del: FeedChange = { id: 'x', op: 'delete', revision: 3, prevRevision: 2 };
    expect(sealChange('c', del, keyring)).toBe(del);
    expect(openChange('c', del, keyring)).toBe(del);
    const clear = put('x', 4);
    expect(openChange('c', clear, keyring)).toBe(clear);
  });

  test('data moved onto another id, revision or collection, or a flipped byte: DATA_LOSS / DECRYPTION_FAILED', async () => {
    const keyring = ring();
    const sealed = sealChange('users', put('ada', 7), keyring);
    const moved: [string, FeedChange][] = [
      ['users', { ...sealed, id: 'bob' }],
      ['users', { ...sealed, revision: 8 }],
      ['admins', sealed],
    ];
    const bytes = Buffer.from(sealed.doc!.sealedData!, 'base64');
    bytes[bytes.length - 3]! ^= 1;
    moved.push(['users', { ...sealed, doc: { ...sealed.doc!, sealedData: bytes.toString('base64') } }]);
    for (const [collection, change] of moved) {
      const err = await failure(() => openChange(collection, change, keyring));
      expect(err).toBeInstanceOf(DbError);
      expect([err.kind, err.reason]).toEqual(['data_loss', 'DECRYPTION_FAILED']);
    }
    expect((await failure(() => openChange('users', { ...sealed, id: 'bob' }, keyring))).metadata?.key).toBe(
      feedSealName('users', 'bob', 7),
    );
  });

  test('data sealed under a key the keyring lacks: ENCRYPTION_KEY_UNKNOWN; a keyring holding it opens it under another primary', async () => {
    const sealed = sealChange('c', put('x', 1), ring('k2'));
    const onlyK1 = new KeyringRef(parseKeyring(JSON.stringify({ primary: 'k1', keys: { k1: Buffer.alloc(32, 1).toString('base64') } })));
    expect((await failure(() => openChange('c', sealed, onlyK1))).reason).toBe('ENCRYPTION_KEY_UNKNOWN');
    expect(openChange('c', sealed, ring('k1'))).toEqual(put('x', 1));
  });
});

describe('SealingFeed over the journaled in-process feed', () => {
  async function opened(dir: string) {
    const clock = new TestClock();
    const inner = await LocalFeed.open({ clock, dir });
    return { clock, inner, feed: new SealingFeed(inner, ring()) };
  }

  test('the journal and the feed below hold no plaintext; read, subscribe and a reopened journal give it back', async () => {
    const tmp = await tempDir();
    try {
      const { clock, inner, feed } = await opened(tmp.dir);
      const heard: FeedEvent[] = [];
      feed.subscribe('c', (events) => heard.push(...events));
      const a = await feed.allocate('c', putRef('a'));
      const b = await feed.allocate('c', putRef('b'));
      const event: FeedEvent = { revision: a, txid: 't1', commitTimeMs: clock.ms, changes: [put('a', a, 1), put('b', b, 2)] };
      expect(await feed.resolve('c', [a, b], event)).toBe(true);
      expect(heard).toEqual([event]);
      const page = (await feed.read('c', inner.born, 10)) as FeedPage;
      expect(page.events).toEqual([event]);
      const below = (await inner.read('c', inner.born, 10)).events;
      expect(JSON.stringify(below)).not.toContain(MARKER);
      expect(below[0]!.changes.map((c) => c.doc?.sealedData !== undefined)).toEqual([true, true]);
      await feed.close();
      expect((await journalBytes(tmp.dir)).includes(MARKER)).toBe(false);
      const again = await opened(tmp.dir);
      expect((await again.feed.read('c', again.inner.born, 10)).events).toEqual([event]);
      await again.feed.close();
    } finally {
      await tmp.remove();
    }
  });

  test('events written in clear before encryption was on are read as they are, beside sealed ones', async () => {
    const tmp = await tempDir();
    try {
      const { clock, inner, feed } = await opened(tmp.dir);
      const a = await inner.allocate('c', putRef('a'));
      const clear: FeedEvent = { revision: a, commitTimeMs: clock.ms, changes: [put('a', a)] };
      await inner.resolve('c', [a], clear); // as a server without a keyring wrote it
      const b = await feed.allocate('c', putRef('b'));
      const sealed: FeedEvent = { revision: b, commitTimeMs: clock.ms, changes: [put('b', b)] };
      await feed.resolve('c', [b], sealed);
      expect((await feed.read('c', inner.born, 10)).events).toEqual([clear, sealed]);
      await feed.close();
    } finally {
      await tmp.remove();
    }
  });

  test('a tampered stored event: read fails DECRYPTION_FAILED, and a subscriber is woken without events', async () => {
    const keyring = ring();
    const forged = sealChange('c', put('a', 1), keyring);
    // A feed below that hands out a's sealed data under id b (moved in the feed's storage).
    const events: FeedEvent[] = [{ revision: 1, commitTimeMs: 0, changes: [{ ...forged, id: 'b' }] }];
    let listener: ((events: readonly FeedEvent[], watermark: number) => void) | undefined;
    const inner = {
      read: () => ({ events, watermark: 1 }),
      subscribe: (_c: string, l: typeof listener) => {
        listener = l;
        return () => undefined;
      },
    } as unknown as ChangeFeed;
    const feed = new SealingFeed(inner, keyring);
    expect((await failure(() => feed.read('c', 0, 10))).reason).toBe('DECRYPTION_FAILED');
    const heard: [number, number][] = [];
    feed.subscribe('c', (evs, watermark) => heard.push([evs.length, watermark]));
    listener!(events, 1);
    expect(heard).toEqual([[0, 1]]);
  });

  test('watchers reading the same events decrypt each change once; other bytes under the same name are opened (and fail) anew', async () => {
    let opens = 0;
    const keyring = ring();
    const counting = { get: () => (opens++, keyring.get()) } as unknown as KeyringRef;
    const good = sealChange('c', put('a', 1), keyring);
    const bad = sealChange('c', put('a', 1, 2), ring('k2')); // same name, other bytes
    let events: FeedEvent[] = [{ revision: 1, commitTimeMs: 0, changes: [good] }];
    const inner = { read: () => ({ events, watermark: 1 }) } as unknown as ChangeFeed;
    const feed = new SealingFeed(inner, counting);
    for (let w = 0; w < 5; w++) expect(((await feed.read('c', 0, 10)) as FeedPage).events[0]!.changes[0]).toEqual(put('a', 1));
    expect(opens).toBe(1);
    // The stored bytes change under the same name (k2 sealed them, with other data): opened again, not served from the cache.
    const flipped = Buffer.from(bad.doc!.sealedData!, 'base64');
    flipped[flipped.length - 1]! ^= 1;
    events = [{ revision: 1, commitTimeMs: 0, changes: [{ ...bad, doc: { ...bad.doc!, sealedData: flipped.toString('base64') } }] }];
    expect((await failure(() => feed.read('c', 0, 10))).reason).toBe('DECRYPTION_FAILED');
    expect(opens).toBe(2);
  });
});
