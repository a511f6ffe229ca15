import type { RotateKeysProgress } from '../../api/key-rotation-api.js';
import { DbError } from '../../errors/db-error.js';
import type { BlobMeta, BlobStore, WriteCondition } from '../blob-store.js';
import { MemoryBlobStore } from '../memory/memory-store.js';
import { EncryptingBlobStore, ENCRYPTED_PREFIXES } from './encrypting-store.js';
import { KeyRotation } from './key-rotation.js';
import { KeyringRef, parseKeyring } from './keyring.js';
import { sealedKekId } from './sealed-body.js';

const k = (byte: number): string => Buffer.alloc(32, byte).toString('base64');
const ring = (primary: string, ids: string[]): KeyringRef =>
  new KeyringRef(parseKeyring(JSON.stringify({ primary, keys: Object.fromEntries(ids.map((id) => [id, k(id.charCodeAt(1))])) })));
const text = (s: string): Uint8Array => Buffer.from(s, 'utf8');
const str = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : Buffer.from(b).toString('utf8'));
const ctx = { signal: new AbortController().signal };

async function drain(gen: AsyncGenerator<RotateKeysProgress>): Promise<RotateKeysProgress[]> {
  const out: RotateKeysProgress[] = [];
  for await (const p of gen) out.push(p);
  return out;
}

/** A raw store whose put runs `before` once per key first (a concurrent writer that wins the race). */
class RacingStore extends MemoryBlobStore {
  before?: (key: string) => Promise<void>;
  override async put(key: string, body: Uint8Array, condition?: WriteCondition, signal?: AbortSignal): Promise<BlobMeta> {
    const hook = this.before;
    if (hook !== undefined && condition?.ifMatch !== undefined) await hook(key);
    return super.put(key, body, condition, signal);
  }
}

test('moves every body to the primary: k1 bodies re-wrapped, clear bodies sealed, primary bodies skipped; plaintexts unchanged', async () => {
  const raw = new MemoryBlobStore();
  const old = ring('k1', ['k1']);
  const byOld = new EncryptingBlobStore(raw, { keyring: old });
  for (let i = 0; i < 30; i++) await byOld.put(`docs/c/d${String(i).padStart(2, '0')}`, text(`{"i":${i}}`));
  await byOld.put('_txn/intents/t1', text('{"intent":1}'));
  await raw.put('docs/c/legacy', text('{"legacy":true}'));
  const next = ring('k2', ['k1', 'k2']);
  const store = new EncryptingBlobStore(raw, { keyring: next });
  await store.put('docs/c/fresh', text('{"fresh":1}'));
  await raw.put('_meta/indexes/c', text('{"clear":"meta"}'));

  const msgs = await drain(new KeyRotation({ raw, keyring: next, prefixes: ENCRYPTED_PREFIXES }).rotateKeys(ctx, {}));
  const last = msgs[msgs.length - 1]!;
  expect(last).toEqual({ scanned: 33, rewritten: 32, skipped: 1, failed: 0, done: true, primaryKeyId: 'k2', failedKeys: [] });
  expect(msgs.slice(0, -1).every((m) => !m.done)).toBe(true);
  for (const key of (await raw.list({ prefix: 'docs/', limit: 100 })).keys) expect(sealedKekId((await raw.get(key))!.body)).toBe('k2');
  expect(sealedKekId((await raw.get('_txn/intents/t1'))!.body)).toBe('k2');
  expect(str((await store.get('docs/c/d07'))?.body)).toBe('{"i":7}');
  expect(str((await store.get('docs/c/legacy'))?.body)).toBe('{"legacy":true}');
  expect(str((await raw.get('_meta/indexes/c'))?.body)).toBe('{"clear":"meta"}');
  // A second run has nothing to do.
  const again = await drain(new KeyRotation({ raw, keyring: next, prefixes: ENCRYPTED_PREFIXES }).rotateKeys(ctx, {}));
  expect(again[again.length - 1]).toMatchObject({ scanned: 33, rewritten: 0, skipped: 33, failed: 0 });
});

test('a collection limits the walk to its documents; an invalid name is INVALID_ARGUMENT', async () => {
  const raw = new MemoryBlobStore();
  const byOld = new EncryptingBlobStore(raw, { keyring: ring('k1', ['k1']) });
  await byOld.put('docs/a/1', text('a'));
  await byOld.put('docs/b/1', text('b'));
  const next = ring('k2', ['k1', 'k2']);
  const rotation = new KeyRotation({ raw, keyring: next, prefixes: ENCRYPTED_PREFIXES });
  const msgs = await drain(rotation.rotateKeys(ctx, { collection: 'a' }));
  expect(msgs[msgs.length - 1]).toMatchObject({ scanned: 1, rewritten: 1 });
  expect(sealedKekId((await raw.get('docs/b/1'))!.body)).toBe('k1');
  await expect(drain(rotation.rotateKeys(ctx, { collection: '../x' }))).rejects.toMatchObject({ kind: 'invalid' });
});

test('a concurrent write that wins under the primary is kept and counted skipped', async () => {
  const raw = new RacingStore();
  await new EncryptingBlobStore(raw, { keyring: ring('k1', ['k1']) }).put('docs/c/x', text('v1'));
  const next = ring('k2', ['k1', 'k2']);
  const writer = new EncryptingBlobStore(raw, { keyring: next });
  raw.before = async (key) => {
    raw.before = undefined;
    await writer.put(key, text('v2 by the writer'));
  };
  const msgs = await drain(new KeyRotation({ raw, keyring: next, prefixes: ENCRYPTED_PREFIXES }).rotateKeys(ctx, {}));
  expect(msgs[msgs.length - 1]).toMatchObject({ scanned: 1, rewritten: 0, skipped: 1, failed: 0 });
  expect(str((await writer.get('docs/c/x'))?.body)).toBe('v2 by the writer');
});

test('a concurrent write by a server with the old keyring is kept and then rotated', async () => {
  const raw = new RacingStore();
  const oldRing = ring('k1', ['k1']);
  await new EncryptingBlobStore(raw, { keyring: oldRing }).put('docs/c/x', text('v1'));
  const stale = new EncryptingBlobStore(raw, { keyring: oldRing });
  raw.before = async (key) => {
    raw.before = undefined;
    await stale.put(key, text('v2 under k1'));
  };
  const next = ring('k2', ['k1', 'k2']);
  const msgs = await drain(new KeyRotation({ raw, keyring: next, prefixes: ENCRYPTED_PREFIXES }).rotateKeys(ctx, {}));
  expect(msgs[msgs.length - 1]).toMatchObject({ scanned: 1, rewritten: 1, failed: 0 });
  expect(sealedKekId((await raw.get('docs/c/x'))!.body)).toBe('k2');
  expect(str((await new EncryptingBlobStore(raw, { keyring: next }).get('docs/c/x'))?.body)).toBe('v2 under k1');
});

test('a key that keeps losing the race fails after maxRounds, and its last write stays', async () => {
  const raw = new RacingStore();
  const oldRing = ring('k1', ['k1']);
  const stale = new EncryptingBlobStore(raw, { keyring: oldRing });
  await stale.put('docs/c/x', text('v0'));
  let n = 0;
  raw.before = async (key) => {
    const hook = raw.before;
    raw.before = undefined;
    await stale.put(key, text(`v${++n}`));
    raw.before = hook;
  };
  const next = ring('k2', ['k1', 'k2']);
  const msgs = await drain(new KeyRotation({ raw, keyring: next, prefixes: ENCRYPTED_PREFIXES, maxRounds: 3 }).rotateKeys(ctx, {}));
  expect(msgs[msgs.length - 1]).toMatchObject({
    scanned: 1,
    rewritten: 0,
    failed: 1,
    failedKeys: ['docs/c/x: CONCURRENT_MODIFICATION (3 rounds)'],
  });
  raw.before = undefined;
  expect(str((await stale.get('docs/c/x'))?.body)).toBe('v3');
});

test('corrupt bodies and bodies under unknown keys are counted failed with their reason, and left as they were', async () => {
  const raw = new MemoryBlobStore();
  const other = new EncryptingBlobStore(raw, { keyring: ring('k9', ['k9']) });
  await other.put('docs/c/unknown', text('u'));
  const k1 = new EncryptingBlobStore(raw, { keyring: ring('k1', ['k1']) });
  await k1.put('docs/c/corrupt', text('c'));
  const bytes = Buffer.from((await raw.get('docs/c/corrupt'))!.body);
  bytes[bytes.length - 1]! ^= 1;
  await raw.put('docs/c/corrupt', bytes);
  const msgs = await drain(new KeyRotation({ raw, keyring: ring('k2', ['k1', 'k2']), prefixes: ENCRYPTED_PREFIXES }).rotateKeys(ctx, {}));
  expect(msgs[msgs.length - 1]).toMatchObject({
    failed: 2,
    failedKeys: ['docs/c/corrupt: DECRYPTION_FAILED', 'docs/c/unknown: ENCRYPTION_KEY_UNKNOWN'],
  });
  expect(Buffer.from((await raw.get('docs/c/corrupt'))!.body)).toEqual(bytes);
});

test('4 concurrent read-modify-write writers (2 still with k1 as primary) lose no write while a rotation runs', async () => {
  const raw = new MemoryBlobStore();
  // The documented roll-out: k2 reaches every server's keyring before it becomes the primary anywhere.
  const oldRing = ring('k1', ['k1', 'k2']);
  const next = ring('k2', ['k1', 'k2']);
  const seed = new EncryptingBlobStore(raw, { keyring: oldRing });
  for (let i = 0; i < 200; i++) await seed.put(`docs/c/d${String(i).padStart(3, '0')}`, text('0'));
  const writers = [oldRing, oldRing, next, next].map((r, w) => ({ w, store: new EncryptingBlobStore(raw, { keyring: r }) as BlobStore }));
  const lastAck = new Map<string, string>();
  const runWriter = async (w: number, store: BlobStore): Promise<void> => {
    for (let n = 0; n < 60; n++) {
      const key = `docs/c/d${String((w * 50 + n) % 200).padStart(3, '0')}`;
      for (;;) {
        const cur = await store.get(key);
        const value = `${str(cur?.body)}+w${w}n${n}`;
        try {
          await store.put(key, text(value), { ifMatch: cur!.etag });
          lastAck.set(key, value);
          break;
        } catch (e) {
          if (e instanceof DbError) throw e;
        }
      }
    }
  };
  const rotation = drain(new KeyRotation({ raw, keyring: next, prefixes: ENCRYPTED_PREFIXES, concurrency: 4 }).rotateKeys(ctx, {}));
  await Promise.all([...writers.map(({ w, store }) => runWriter(w, store)), rotation]);
  const reader = new EncryptingBlobStore(raw, { keyring: next });
  for (const [key, value] of lastAck) expect(str((await reader.get(key))?.body)).toBe(value);
  expect(lastAck.size).toBeGreaterThan(100);
});
