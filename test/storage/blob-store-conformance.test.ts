/**
 * One set of BlobStore scenarios run against every adapter: memory, filesystem,
 * S3 on each real S3 implementation of SB_TEST_S3 (default gofakes3 and
 * versitygw, one process each for the file), and LockedConditionsStore and
 * VerifiedReadsStore (as main.ts composes it on an endpoint with MD5 ETags) over each.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConditionFailedError, type BlobStore } from '../../server/src/storage/blob-store.js';
import { EncryptingBlobStore } from '../../server/src/storage/crypto/encrypting-store.js';
import { KeyringRef, parseKeyring } from '../../server/src/storage/crypto/keyring.js';
import { MemoryBlobStore } from '../../server/src/storage/memory/memory-store.js';
import { FilesystemBlobStore } from '../../server/src/storage/filesystem/filesystem-store.js';
import { S3BlobStore } from '../../server/src/storage/s3/s3-store.js';
import { LockedConditionsStore } from '../../server/src/storage/locked-conditions.js';
import type { S3TestServer } from '../harness/s3-server.js';
import { selectedS3Implementations, type S3Implementation } from '../harness/s3-implementations.js';
import { LocalCoordinator } from '../../server/src/coordination/local/local-coordinator.js';
import { VerifiedReadsStore } from '../../server/src/storage/verified-reads.js';
import { systemClock, systemRandom } from '../../server/src/common/clock.js';

/** How to build one adapter for the suite, and which scenarios it cannot pass (with why). */
interface Subject {
  readonly name: string;
  /**
   * Scenarios this subject is known to fail because of its backend, each proven
   * separately (test/storage/s3-store.test.ts asserts the probe finds exactly this gap).
   */
  readonly gaps?: readonly string[];
  setup(): Promise<BlobStore>;
  teardown(): Promise<void>;
}

const CONDITIONAL_DELETE = 'conditional delete: a wrong etag fails and keeps the object, the right one deletes';
const RACE_CREATE = '16 concurrent ifNoneMatch puts of one key: exactly one wins, and it is what is stored';
const RACE_UPDATE = '16 concurrent ifMatch puts with the same etag: exactly one wins, and it is what is stored';

/**
 * Scenarios each S3 implementation is known to fail on the raw S3BlobStore, with why
 * (the start-up probe finds the same gap, so the server runs in lock mode there).
 */
const S3_GAPS: Record<string, readonly string[]> = {
  // gofakes3 ignores If-Match on DeleteObject: it deletes whatever the etag.
  gofakes3: [CONDITIONAL_DELETE],
  // S3Mock 4.11.0 checks a put's condition and writes it non-atomically: several racers win.
  s3mock: [RACE_CREATE, RACE_UPDATE],
};

const implementations = selectedS3Implementations();
const servers = new Map<string, S3TestServer>();
let tempRoot: string | undefined;

beforeAll(async () => {
  const started = await Promise.allSettled(implementations.map(async (impl) => servers.set(impl.name, await impl.start('conformance'))));
  tempRoot = await mkdtemp(join(tmpdir(), 'sb-fs-conf-'));
  for (const r of started) if (r.status === 'rejected') throw r.reason;
});

afterAll(async () => {
  await Promise.all([...servers.values()].map((s) => s.stop()));
  if (tempRoot !== undefined) await rm(tempRoot, { recursive: true, force: true });
});

function s3Store(impl: S3Implementation, prefix: string): S3BlobStore {
  const s3 = servers.get(impl.name);
  if (s3 === undefined) throw new Error(`${impl.name} not started`);
  return new S3BlobStore({
    bucket: s3.bucket,
    endpoint: s3.endpoint,
    forcePathStyle: true,
    accessKeyId: 'test',
    secretAccessKey: 'test',
    prefix,
  });
}

const subjects: Subject[] = [
  (() => {
    let store: BlobStore;
    return {
      name: 'MemoryBlobStore',
      setup: async () => (store = new MemoryBlobStore()),
      teardown: () => store.close(),
    };
  })(),
  (() => {
    let store: BlobStore;
    const keyring = new KeyringRef(parseKeyring(JSON.stringify({ primary: 'k1', keys: { k1: Buffer.alloc(32, 7).toString('base64') } })));
    return {
      name: 'EncryptingBlobStore over MemoryBlobStore',
      setup: async () => (store = new EncryptingBlobStore(new MemoryBlobStore(), { keyring })),
      teardown: () => store.close(),
    };
  })(),
  (() => {
    let store: BlobStore;
    let n = 0;
    return {
      name: 'FilesystemBlobStore',
      setup: async () => (store = await FilesystemBlobStore.open({ root: join(tempRoot as string, `r${n++}`) })),
      teardown: () => store.close(),
    };
  })(),
  ...implementations.flatMap((impl): Subject[] => {
    let store: BlobStore;
    let inner: BlobStore;
    let n = 0;
    return [
      {
        name: `S3BlobStore (${impl.name} ${impl.version})`,
        gaps: S3_GAPS[impl.name],
        setup: async () => (store = s3Store(impl, `raw-${n++}/`)),
        teardown: () => store.close(),
      },
      {
        name: `VerifiedReadsStore over S3BlobStore (${impl.name} ${impl.version})`,
        gaps: S3_GAPS[impl.name],
        setup: async () => {
          inner = s3Store(impl, `verified-${n++}/`);
          return new VerifiedReadsStore(inner, { clock: systemClock, random: systemRandom, etagsAreMd5: true });
        },
        teardown: () => inner.close(),
      },
      {
        name: `LockedConditionsStore over S3BlobStore (${impl.name} ${impl.version})`,
        setup: async () => {
          inner = s3Store(impl, `locked-${n++}/`);
          return new LockedConditionsStore(inner, new LocalCoordinator(), { waitMs: 20_000 });
        },
        teardown: () => inner.close(),
      },
    ];
  }),
];

const enc = (s: string): Uint8Array => Buffer.from(s, 'utf8');
const dec = (b: Uint8Array): string => Buffer.from(b).toString('utf8');
const byteOrder = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

describe.each(subjects)('$name', (subject) => {
  let store: BlobStore;
  beforeEach(async () => {
    store = await subject.setup();
  });
  afterEach(() => subject.teardown());

  it('get and head of a missing key are undefined', async () => {
    expect(await store.get('docs/users/nobody')).toBeUndefined();
    expect(await store.head('docs/users/nobody')).toBeUndefined();
  });

  it('put then get returns the body and the same etag as put and head', async () => {
    const meta = await store.put('docs/users/u1', enc('{"a":1}'));
    expect(meta.etag).toMatch(/^[^"]+$/);
    const blob = await store.get('docs/users/u1');
    expect(blob && dec(blob.body)).toBe('{"a":1}');
    expect(blob?.etag).toBe(meta.etag);
    expect((await store.head('docs/users/u1'))?.etag).toBe(meta.etag);
  });

  it('the etag changes for every distinct body', async () => {
    const etags = new Set<string>();
    for (let i = 0; i < 5; i++) etags.add((await store.put('docs/users/u1', enc(`{"v":${i}}`))).etag);
    expect(etags.size).toBe(5);
  });

  it('ifNoneMatch on an existing key fails and leaves the object', async () => {
    const first = await store.put('docs/c/k', enc('one'));
    await expect(store.put('docs/c/k', enc('two'), { ifNoneMatch: true })).rejects.toBeInstanceOf(ConditionFailedError);
    expect((await store.get('docs/c/k'))?.etag).toBe(first.etag);
  });

  it('ifNoneMatch on a fresh key creates it', async () => {
    const meta = await store.put('docs/c/fresh', enc('x'), { ifNoneMatch: true });
    expect((await store.head('docs/c/fresh'))?.etag).toBe(meta.etag);
  });

  it('ifMatch with a stale etag fails and leaves the object unchanged', async () => {
    const v1 = await store.put('docs/c/k', enc('v1'));
    const v2 = await store.put('docs/c/k', enc('v2'), { ifMatch: v1.etag });
    await expect(store.put('docs/c/k', enc('v3'), { ifMatch: v1.etag })).rejects.toBeInstanceOf(ConditionFailedError);
    const blob = await store.get('docs/c/k');
    expect(blob && dec(blob.body)).toBe('v2');
    expect(blob?.etag).toBe(v2.etag);
  });

  it('ifMatch on a missing key fails and creates nothing', async () => {
    const other = await store.put('docs/c/other', enc('o'));
    await expect(store.put('docs/c/missing', enc('m'), { ifMatch: other.etag })).rejects.toBeInstanceOf(ConditionFailedError);
    expect(await store.head('docs/c/missing')).toBeUndefined();
  });

  it('delete returns true for an existing key and false for a missing one', async () => {
    await store.put('docs/c/d', enc('d'));
    expect(await store.delete('docs/c/d')).toBe(true);
    expect(await store.get('docs/c/d')).toBeUndefined();
    expect(await store.delete('docs/c/d')).toBe(false);
  });

  (subject.gaps?.includes(CONDITIONAL_DELETE) ? it.skip : it)(CONDITIONAL_DELETE, async () => {
    const meta = await store.put('docs/c/d', enc('d1'));
    const other = await store.put('docs/c/e', enc('e1'));
    await expect(store.delete('docs/c/d', { ifMatch: other.etag })).rejects.toBeInstanceOf(ConditionFailedError);
    expect((await store.head('docs/c/d'))?.etag).toBe(meta.etag);
    expect(await store.delete('docs/c/d', { ifMatch: meta.etag })).toBe(true);
    expect(await store.head('docs/c/d')).toBeUndefined();
  });

  it('lists in UTF-8 byte order with prefixes ending mid-name, startAfter and limit', async () => {
    const ids = ['a b', 'a-b', 'a.b', 'a:b', 'a~b', 'aB', 'ab', 'Zed', 'é', '日本', '😀', 'A', 'a', 'ab2', 'abc'];
    await Promise.all(ids.map((id, i) => store.put(`docs/users/${id}`, enc(`{"i":${i}}`))));
    await store.put('docs/usersx/other', enc('x'));
    await store.put('docs/other/ab', enc('x'));
    const expected = ids.map((id) => `docs/users/${id}`).sort(byteOrder);

    const all = await store.list({ prefix: 'docs/users/', limit: 1000 });
    expect(all).toEqual({ keys: expected, isTruncated: false });

    const mid = await store.list({ prefix: 'docs/users/ab', limit: 1000 });
    expect(mid.keys).toEqual(['docs/users/ab', 'docs/users/ab2', 'docs/users/abc']);

    const both = await store.list({ prefix: 'docs/user', limit: 1000 });
    expect(both.keys).toEqual([...expected, 'docs/usersx/other']);

    const pages: string[] = [];
    let startAfter: string | undefined;
    for (let guard = 0; guard < 20; guard++) {
      const page = await store.list({ prefix: 'docs/users/', startAfter, limit: 4 });
      expect(page.keys.length).toBeLessThanOrEqual(4);
      pages.push(...page.keys);
      if (!page.isTruncated) break;
      startAfter = page.keys[page.keys.length - 1];
    }
    expect(pages).toEqual(expected);

    const after = await store.list({ prefix: 'docs/users/', startAfter: 'docs/users/a:b', limit: 3 });
    expect(after).toEqual({ keys: expected.slice(expected.indexOf('docs/users/a:b') + 1).slice(0, 3), isTruncated: true });
    expect(await store.list({ prefix: 'docs/none/', limit: 10 })).toEqual({ keys: [], isTruncated: false });
  });

  it('list refuses a limit outside 1..1000 as invalid', async () => {
    await expect(store.list({ prefix: 'docs/', limit: 0 })).rejects.toMatchObject({ kind: 'invalid' });
    await expect(store.list({ prefix: 'docs/', limit: 1001 })).rejects.toMatchObject({ kind: 'invalid' });
  });

  (subject.gaps?.includes(RACE_CREATE) ? it.skip : it)(RACE_CREATE, async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 16 }, (_, i) => store.put('docs/race/create', enc(`{"w":${i}}`), { ifNoneMatch: true })),
    );
    const wins = results.filter((r) => r.status === 'fulfilled');
    const losses = results.filter((r) => r.status === 'rejected');
    expect(wins).toHaveLength(1);
    for (const l of losses) expect((l as PromiseRejectedResult).reason).toBeInstanceOf(ConditionFailedError);
    expect((await store.head('docs/race/create'))?.etag).toBe((wins[0] as PromiseFulfilledResult<{ etag: string }>).value.etag);
  });

  (subject.gaps?.includes(RACE_UPDATE) ? it.skip : it)(RACE_UPDATE, async () => {
    const base = await store.put('docs/race/update', enc('{"base":true}'));
    const results = await Promise.allSettled(
      Array.from({ length: 16 }, (_, i) => store.put('docs/race/update', enc(`{"w":${i}}`), { ifMatch: base.etag })),
    );
    const wins = results.filter((r) => r.status === 'fulfilled');
    expect(wins).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(ConditionFailedError);
    expect((await store.head('docs/race/update'))?.etag).toBe((wins[0] as PromiseFulfilledResult<{ etag: string }>).value.etag);
  });
});
