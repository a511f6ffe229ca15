import { DbError } from '../../errors/db-error.js';
import { ConditionFailedError } from '../blob-store.js';
import { MemoryBlobStore } from '../memory/memory-store.js';
import { EncryptingBlobStore } from './encrypting-store.js';
import { KeyringRef, parseKeyring } from './keyring.js';
import { isSealed, sealedKekId } from './sealed-body.js';

const k = (byte: number): string => Buffer.alloc(32, byte).toString('base64');
const text = (s: string): Uint8Array => Buffer.from(s, 'utf8');
const str = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : Buffer.from(b).toString('utf8'));

function setup(): { raw: MemoryBlobStore; store: EncryptingBlobStore; keyring: KeyringRef } {
  const raw = new MemoryBlobStore();
  const keyring = new KeyringRef(parseKeyring(JSON.stringify({ primary: 'k1', keys: { k1: k(1) } })));
  return { raw, store: new EncryptingBlobStore(raw, { keyring }), keyring };
}

test('documents, intents and logs are stored sealed and read back as plaintext; the etag is of the stored bytes', async () => {
  const { raw, store } = setup();
  for (const key of [
    'docs/users/ada',
    '_txn/intents/0193',
    'logs/l/c/00000000000000000001',
    'logs/l/s/00000000000000000009',
    'logs/l/meta',
  ]) {
    const meta = await store.put(key, text('{"secret":"MARKER"}'));
    const stored = await raw.get(key);
    expect(isSealed(stored!.body)).toBe(true);
    expect(Buffer.from(stored!.body).includes('MARKER')).toBe(false);
    expect(stored!.etag).toBe(meta.etag);
    const got = await store.get(key);
    expect([str(got?.body), got?.etag]).toEqual(['{"secret":"MARKER"}', meta.etag]);
    expect((await store.head(key))?.etag).toBe(meta.etag);
  }
});

test('other keys (request records, metadata, object pointers) pass through in clear', async () => {
  const { raw, store } = setup();
  for (const key of ['_txn/requests/0000000001/ab', '_meta/indexes/users', 'objects/c/x']) {
    await store.put(key, text('{"clear":true}'));
    expect(str((await raw.get(key))?.body)).toBe('{"clear":true}');
    expect(str((await store.get(key))?.body)).toBe('{"clear":true}');
  }
});

test('a legacy clear body under docs/ is read as is, and sealed at its next write', async () => {
  const { raw, store } = setup();
  const { etag } = await raw.put('docs/users/old', text('{"legacy":1}'));
  const got = await store.get('docs/users/old');
  expect([str(got?.body), got?.etag]).toEqual(['{"legacy":1}', etag]);
  await store.put('docs/users/old', text('{"legacy":2}'), { ifMatch: etag });
  expect(isSealed((await raw.get('docs/users/old'))!.body)).toBe(true);
});

test('conditions work on the etags get returns: a stale etag fails, the current one wins', async () => {
  const { store } = setup();
  const first = await store.put('docs/c/a', text('1'), { ifNoneMatch: true });
  await expect(store.put('docs/c/a', text('x'), { ifNoneMatch: true })).rejects.toBeInstanceOf(ConditionFailedError);
  const second = await store.put('docs/c/a', text('2'), { ifMatch: (await store.get('docs/c/a'))!.etag });
  await expect(store.put('docs/c/a', text('3'), { ifMatch: first.etag })).rejects.toBeInstanceOf(ConditionFailedError);
  expect(await store.delete('docs/c/a', { ifMatch: second.etag })).toBe(true);
});

test('identical writes give different stored bytes and etags', async () => {
  const { raw, store } = setup();
  const etags = new Set<string>();
  for (let i = 0; i < 5; i++) etags.add((await store.put('docs/c/same', text('{"same":true}'))).etag);
  expect(etags.size).toBe(5);
  expect(isSealed((await raw.get('docs/c/same'))!.body)).toBe(true);
});

test('a flipped stored byte and a body copied onto another id are DATA_LOSS / DECRYPTION_FAILED naming the key', async () => {
  const { raw, store } = setup();
  await store.put('docs/c/a', text('{"v":"a"}'));
  const sealed = Buffer.from((await raw.get('docs/c/a'))!.body);
  await raw.put('docs/c/b', sealed);
  const flipped = Buffer.from(sealed);
  flipped[flipped.length - 3]! ^= 0x10;
  await raw.put('docs/c/a', flipped);
  for (const key of ['docs/c/a', 'docs/c/b']) {
    const err = await store.get(key).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DbError);
    expect([(err as DbError).kind, (err as DbError).reason, (err as DbError).metadata]).toEqual([
      'data_loss',
      'DECRYPTION_FAILED',
      { key },
    ]);
  }
});

test('a reloaded keyring seals new writes under its primary and still opens bodies of the old key', async () => {
  const { raw, store, keyring } = setup();
  await store.put('docs/c/old', text('old'));
  keyring.set(parseKeyring(JSON.stringify({ primary: 'k2', keys: { k1: k(1), k2: k(2) } })));
  await store.put('docs/c/new', text('new'));
  expect(sealedKekId((await raw.get('docs/c/old'))!.body)).toBe('k1');
  expect(sealedKekId((await raw.get('docs/c/new'))!.body)).toBe('k2');
  expect([str((await store.get('docs/c/old'))?.body), str((await store.get('docs/c/new'))?.body)]).toEqual(['old', 'new']);
});

test('list and delete pass through; missing keys are undefined', async () => {
  const { store } = setup();
  await store.put('docs/c/a', text('a'));
  await store.put('docs/c/b', text('b'));
  expect((await store.list({ prefix: 'docs/c/', limit: 10 })).keys).toEqual(['docs/c/a', 'docs/c/b']);
  expect(await store.get('docs/c/zz')).toBeUndefined();
  expect(await store.delete('docs/c/a')).toBe(true);
  expect(store.raw).toBeInstanceOf(MemoryBlobStore);
});

test('requireSealed refuses a clear body under docs/ (DATA_LOSS / DECRYPTION_FAILED) and still reads sealed ones and other keys', async () => {
  const raw = new MemoryBlobStore();
  const keyring = new KeyringRef(parseKeyring(JSON.stringify({ primary: 'k1', keys: { k1: k(1) } })));
  const store = new EncryptingBlobStore(raw, { keyring, requireSealed: true });
  await raw.put('docs/c/planted', text('{"planted":true}'));
  await raw.put('_meta/indexes/c', text('{"clear":true}'));
  await store.put('docs/c/sealed', text('ok'));
  const err = await store.get('docs/c/planted').catch((e: unknown) => e);
  expect([(err as DbError).kind, (err as DbError).reason]).toEqual(['data_loss', 'DECRYPTION_FAILED']);
  expect(str((await store.get('docs/c/sealed'))?.body)).toBe('ok');
  expect(str((await store.get('_meta/indexes/c'))?.body)).toBe('{"clear":true}');
});
