/**
 * Issue 14, encryption at rest (docs/adr/0016): one server process on a real,
 * disk-backed S3 server (versitygw) with a keyring file. Raw reads and writes
 * go straight to the bucket with the S3 adapter, bypassing the server.
 *   - 5 writes of identical data → 5 different stored ciphertexts, all sealed under k1;
 *   - a flipped byte in a stored body → Get answers DATA_LOSS / DECRYPTION_FAILED, other documents unaffected;
 *   - a body copied raw onto another id → DATA_LOSS / DECRYPTION_FAILED;
 *   - versitygw's storage directory holds no byte sequence of a marker written in documents
 *     (while a control object written in clear by the test is found there);
 *   - rotation: k2 added as primary, server restarted, RotateKeys while 4 writers update documents:
 *     every final body is its writer's last acknowledged write and every body ends under k2;
 *   - the embedded (filesystem) mode seals documents too and reads them after a restart.
 */
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Code, ConnectError } from '@connectrpc/connect';
import { ErrorInfoSchema } from '../../server/src/gen/google/rpc/error_details_pb.js';
import { S3BlobStore } from '../../server/src/storage/s3/s3-store.js';
import { isSealed, sealedKekId } from '../../server/src/storage/crypto/sealed-body.js';
import { serverClients, type ServerClients } from '../harness/doc-client.js';
import type { S3TestServer } from '../harness/s3-server.js';
import { startServer, type ServerProcess } from '../harness/server-process.js';
import { startVersitygw } from '../harness/versitygw.js';
import { filesContaining } from '../harness/files-containing.js';

jest.setTimeout(60_000);

const K1 = Buffer.alloc(32, 0x11).toString('base64');
const K2 = Buffer.alloc(32, 0x22).toString('base64');
const MARKER = 'MARKER-7f3a91c2-do-not-store-in-clear';

let s3: S3TestServer | undefined;
let server: ServerProcess | undefined;
let raw: S3BlobStore;
let dir: string;
let env: Record<string, string>;
let c: ServerClients;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sb-crypt-'));
  await writeFile(join(dir, 'keyring.json'), JSON.stringify({ primary: 'k1', keys: { k1: K1 } }));
  s3 = await startVersitygw('crypt');
  env = {
    SB_STORAGE: 's3',
    SB_S3_ENDPOINT: s3.endpoint,
    SB_S3_BUCKET: s3.bucket,
    SB_S3_FORCE_PATH_STYLE: 'true',
    SB_ENCRYPTION_KEYRING_FILE: join(dir, 'keyring.json'),
  };
  server = await startServer(env);
  c = serverClients(server.grpcUrl);
  raw = new S3BlobStore({ bucket: s3.bucket, endpoint: s3.endpoint, forcePathStyle: true, accessKeyId: 'test', secretAccessKey: 'test' });
});

afterAll(async () => {
  await server?.stop();
  await raw?.close();
  await s3?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

/** The gRPC code and ErrorInfo reason of a failed call. */
async function failure(call: () => Promise<unknown>): Promise<{ code: Code; reason: string | undefined }> {
  try {
    await call();
  } catch (e) {
    const err = ConnectError.from(e);
    return { code: err.code, reason: err.findDetails(ErrorInfoSchema)[0]?.reason };
  }
  throw new Error('expected the call to fail');
}

it('5 writes of identical data give 5 different sealed ciphertexts in S3, and read back in clear', async () => {
  const bodies = new Set<string>();
  for (let i = 0; i < 5; i++) {
    await c.docs.put({ collection: 'same', id: 'x', data: { marker: MARKER, n: 1 } });
    const stored = await raw.get('docs/same/x');
    expect(isSealed(stored!.body)).toBe(true);
    expect(sealedKekId(stored!.body)).toBe('k1');
    bodies.add(Buffer.from(stored!.body).toString('hex'));
  }
  expect(bodies.size).toBe(5);
  const got = await c.docs.get({ collection: 'same', id: 'x' });
  expect(got.document?.data).toEqual({ marker: MARKER, n: 1 });
});

it('a flipped byte in a stored body → DATA_LOSS / DECRYPTION_FAILED; other documents still read', async () => {
  await c.docs.put({ collection: 'tamper', id: 'a', data: { v: 'a' } });
  await c.docs.put({ collection: 'tamper', id: 'ok', data: { v: 'ok' } });
  const stored = Buffer.from((await raw.get('docs/tamper/a'))!.body);
  stored[stored.length - 30]! ^= 0x01;
  await raw.put('docs/tamper/a', stored);
  expect(await failure(() => c.docs.get({ collection: 'tamper', id: 'a' }))).toEqual({ code: Code.DataLoss, reason: 'DECRYPTION_FAILED' });
  expect((await c.docs.get({ collection: 'tamper', id: 'ok' })).document?.data).toEqual({ v: 'ok' });
});

it('a body copied raw onto another id → DATA_LOSS / DECRYPTION_FAILED', async () => {
  await c.docs.put({ collection: 'moved', id: 'src', data: { owner: 'src' } });
  await c.docs.put({ collection: 'moved', id: 'dst', data: { owner: 'dst' } });
  await raw.put('docs/moved/dst', (await raw.get('docs/moved/src'))!.body);
  expect(await failure(() => c.docs.get({ collection: 'moved', id: 'dst' }))).toEqual({ code: Code.DataLoss, reason: 'DECRYPTION_FAILED' });
  expect((await c.docs.get({ collection: 'moved', id: 'src' })).document?.data).toEqual({ owner: 'src' });
});

it("versitygw's storage holds no plaintext of the marker (a clear control object is found, so the grep works)", async () => {
  for (let i = 0; i < 10; i++) await c.docs.put({ collection: 'grep', id: `g${i}`, data: { text: `${MARKER} #${i}` } });
  await raw.put('control/clear', Buffer.from(`CONTROL-${MARKER}`));
  const dataDir = s3!.dataDir!;
  expect(await filesContaining(dataDir, `CONTROL-${MARKER}`)).toHaveLength(1);
  const hits = await filesContaining(dataDir, MARKER);
  expect(hits.map((f) => f.slice(dataDir.length))).toEqual([`/${s3!.bucket}/control/clear`]);
});

it('rotation to k2 under 4 concurrent writers: no acknowledged write lost, every body ends under k2', async () => {
  const ids = Array.from({ length: 200 }, (_, i) => `r${String(i).padStart(3, '0')}`);
  for (let i = 0; i < ids.length; i += 50) {
    await Promise.all(ids.slice(i, i + 50).map((id) => c.docs.put({ collection: 'rot', id, data: { v: 'initial' } })));
  }
  await writeFile(join(dir, 'keyring.json'), JSON.stringify({ primary: 'k2', keys: { k1: K1, k2: K2 } }));
  await server!.stop();
  server = await startServer(env);
  c = serverClients(server.grpcUrl);

  // Each writer updates its own ids (a quarter each), so its last acknowledged write per id is the expected final body.
  const lastAck = new Map<string, string>();
  let stop = false;
  const own = (w: number): string[] => ids.filter((_, i) => i % 4 === w);
  const ownWriter = async (w: number): Promise<number> => {
    let n = 0;
    const mine = own(w);
    while (!stop) {
      const id = mine[n % mine.length]!;
      const v = `w${w}-n${n}`;
      await c.docs.put({ collection: 'rot', id, data: { v } });
      lastAck.set(id, v);
      n++;
    }
    return n;
  };
  const writers = [0, 1, 2, 3].map(ownWriter);
  // The rotation starts once the writers are under way, and they keep writing until it ends.
  while (lastAck.size < 8) await new Promise((r) => setTimeout(r, 5));
  const progress = [];
  for await (const m of c.admin.rotateKeys({ collection: 'rot' })) progress.push(m);
  stop = true;
  const writes = await Promise.all(writers);
  const last = progress[progress.length - 1]!;
  expect(last.done).toBe(true);
  expect([last.primaryKeyId, last.failed, last.scanned]).toEqual(['k2', 0n, BigInt(ids.length)]);
  expect(last.rewritten + last.skipped).toBe(BigInt(ids.length));
  expect(last.rewritten).toBeGreaterThan(0n);
  for (const id of ids) {
    const got = await c.docs.get({ collection: 'rot', id });
    expect(got.document?.data).toEqual({ v: lastAck.get(id) ?? 'initial' });
    expect(sealedKekId((await raw.get(`docs/rot/${id}`))!.body)).toBe('k2');
  }
  console.log(
    `rotation: ${JSON.stringify({ ...last, scanned: Number(last.scanned), rewritten: Number(last.rewritten), skipped: Number(last.skipped), failed: Number(last.failed) })}; writes during it: ${writes.join(', ')}`,
  );

  // The whole store: the two tampered bodies are reported, never rewritten.
  const all = [];
  for await (const m of c.admin.rotateKeys({})) all.push(m);
  const summary = all[all.length - 1]!;
  expect([summary.failed, [...summary.failedKeys].sort()]).toEqual([
    2n,
    ['docs/moved/dst: DECRYPTION_FAILED', 'docs/tamper/a: DECRYPTION_FAILED'],
  ]);
}, 180_000); // a hang guard: ~800 sequential checks and a rotation under writers take ~20 s idle, much longer under CI load

it('SIGHUP reloads the keyring: new writes are sealed under the new primary; a bad file keeps the old keyring', async () => {
  const K3 = Buffer.alloc(32, 0x33).toString('base64');
  await writeFile(join(dir, 'keyring.json'), JSON.stringify({ primary: 'k3', keys: { k1: K1, k2: K2, k3: K3 } }));
  server!.child.kill('SIGHUP');
  const until = Date.now() + 20_000; // hang guard
  let kek: string | undefined;
  do {
    await c.docs.put({ collection: 'hup', id: 'h', data: { n: 1 } });
    kek = sealedKekId((await raw.get('docs/hup/h'))!.body);
    if (kek !== 'k3') await new Promise((r) => setTimeout(r, 50));
  } while (kek !== 'k3' && Date.now() < until);
  expect(kek).toBe('k3');
  await writeFile(join(dir, 'keyring.json'), '{"primary":"k9","keys":{}}');
  server!.child.kill('SIGHUP');
  const logged = Date.now() + 20_000;
  while (!server!.output().includes('encryption keyring reload failed') && Date.now() < logged) await new Promise((r) => setTimeout(r, 50));
  expect(server!.output()).toContain('encryption keyring reload failed');
  await c.docs.put({ collection: 'hup', id: 'h', data: { n: 2 } });
  expect(sealedKekId((await raw.get('docs/hup/h'))!.body)).toBe('k3');
  expect((await c.docs.get({ collection: 'hup', id: 'h' })).document?.data).toEqual({ n: 2 });
  // Restore the file for the tests below.
  await writeFile(join(dir, 'keyring.json'), JSON.stringify({ primary: 'k2', keys: { k1: K1, k2: K2, k3: K3 } }));
});

it('an invalid keyring file stops start-up with a message naming the file', async () => {
  await writeFile(join(dir, 'bad.json'), JSON.stringify({ primary: 'k1', keys: { k1: 'c2hvcnQ=' } }));
  await expect(startServer({ ...env, SB_ENCRYPTION_KEYRING_FILE: join(dir, 'bad.json') })).rejects.toThrow(/bad\.json.*32 bytes/);
});

it('embedded (filesystem) mode seals documents and reads them after a restart', async () => {
  const data = join(dir, 'fsdata');
  const fsEnv = {
    SB_STORAGE: 'filesystem',
    SB_DATA_DIR: data,
    SB_ENCRYPTION_KEYRING_FILE: join(dir, 'keyring.json'),
    SB_FEED_DIR: join(dir, 'feed'),
  };
  let fs = await startServer(fsEnv);
  try {
    await serverClients(fs.grpcUrl).docs.put({ collection: 'emb', id: 'e1', data: { text: MARKER } });
    expect(await filesContaining(data, MARKER)).toEqual([]);
    await fs.stop();
    fs = await startServer(fsEnv);
    expect((await serverClients(fs.grpcUrl).docs.get({ collection: 'emb', id: 'e1' })).document?.data).toEqual({ text: MARKER });
    expect(
      await failure(async () => {
        for await (const _ of serverClients(fs.grpcUrl).admin.rotateKeys({ collection: 'bad/name' })) void _;
      }),
    ).toMatchObject({ code: Code.InvalidArgument });
  } finally {
    await fs.stop();
  }
});
