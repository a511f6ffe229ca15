import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../../config/settings.js';
import { MemoryBlobStore } from '../memory/memory-store.js';
import { EncryptingBlobStore } from '../crypto/encrypting-store.js';
import { sealedKekId } from '../crypto/sealed-body.js';
import { openEncryption } from './open-encryption.js';

const ring = (primary: string, ids: string[]): string =>
  JSON.stringify({ primary, keys: Object.fromEntries(ids.map((id) => [id, Buffer.alloc(32, id.length).toString('base64')])) });

let dir: string;
beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'sb-open-enc-'))));
afterEach(() => rm(dir, { recursive: true, force: true }));

test('without a keyring file the store is the backend itself and nothing rotates', async () => {
  const backend = new MemoryBlobStore();
  const enc = await openEncryption({} as Config, backend);
  expect(enc.store).toBe(backend);
  expect([enc.rotation, enc.reload, enc.summary]).toEqual([undefined, undefined, undefined]);
});

test('with one, the store seals under the primary; reload swaps the keyring; a bad file rejects and keeps the old one', async () => {
  const path = join(dir, 'ring.json');
  await writeFile(path, ring('a1', ['a1']));
  const backend = new MemoryBlobStore();
  const enc = await openEncryption({ encryptionKeyringFile: path } as Config, backend);
  expect(enc.store).toBeInstanceOf(EncryptingBlobStore);
  expect(enc.summary).toEqual({ primary: 'a1', keys: 1 });
  await enc.store.put('docs/c/x', Buffer.from('{}'));
  expect(sealedKekId((await backend.get('docs/c/x'))!.body)).toBe('a1');

  await writeFile(path, ring('b22', ['a1', 'b22']));
  expect(await enc.reload!()).toEqual({ primary: 'b22', keys: 2 });
  await enc.store.put('docs/c/x', Buffer.from('{}'));
  expect(sealedKekId((await backend.get('docs/c/x'))!.body)).toBe('b22');

  await writeFile(path, 'not json');
  await expect(enc.reload!()).rejects.toThrow(/ring.json.*not JSON/);
  await enc.store.put('docs/c/x', Buffer.from('{}'));
  expect(sealedKekId((await backend.get('docs/c/x'))!.body)).toBe('b22');
});

test('a missing keyring file rejects naming it', async () => {
  await expect(openEncryption({ encryptionKeyringFile: join(dir, 'nope.json') } as Config, new MemoryBlobStore())).rejects.toThrow(
    /nope.json/,
  );
});
