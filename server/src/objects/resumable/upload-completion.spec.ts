import { DbError, isDbError } from '../../errors/db-error.js';
import { HEADER, P, sha256, testBytes, World } from './resumable-test-kit.js';

const sessionPut = (marker: string) => (args: unknown[]) =>
  String(args[0]).startsWith('_uploads/s/') &&
  Buffer.from(args[1] as Uint8Array)
    .toString('utf8')
    .includes(marker);

async function caught(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

/** An upload of `data` written (not completed) by instance a. */
async function written(world: World, data: Buffer, header = HEADER): Promise<string> {
  const a = world.engine('a');
  const { uploadId } = await a.start(header);
  await a.write(uploadId, 0, [data]);
  return uploadId;
}

describe('UploadCompletion', () => {
  const crashes: [string, (w: World) => void][] = [
    ['the claim', (w) => w.crashes.arm('blobs.put', { match: sessionPut('"completing"') })],
    ['the last part, before it lands', (w) => w.crashes.arm('objects.putPart')],
    ['the last part, after it landed', (w) => w.crashes.arm('objects.putPart', { after: true })],
    ['completeUpload, before', (w) => w.crashes.arm('objects.completeUpload')],
    ['completeUpload, after it took effect', (w) => w.crashes.arm('objects.completeUpload', { after: true })],
    ['recording the data', (w) => w.crashes.arm('blobs.put', { match: sessionPut('"data":{') })],
    ['the commit (unavailable)', (w) => (w.commitError = new DbError('unavailable', 'BACKEND_UNAVAILABLE', 'S3 down'))],
    ['recording completed, after the commit', (w) => w.crashes.arm('blobs.put', { match: sessionPut('"completed"') })],
  ];

  it.each(crashes)('a crash at %s leaves a session that the next CompleteUpload (another instance) finishes', async (_name, arm) => {
    const world = new World();
    const data = testBytes(2 * P + 1000, 3);
    const uploadId = await written(world, data);
    arm(world);
    const err = await caught(world.engine('a').complete(uploadId));
    expect(isDbError(err) && err.kind).toBe('unavailable');
    expect(world.crashes.pending).toBe(0);
    const done = await world.engine('b').complete(uploadId);
    expect(done).toMatchObject({ size: data.length, sha256: sha256(data) });
    const meta = world.pointers.get('c/x')!;
    expect(meta).toMatchObject({ version: 1, sha256: sha256(data) });
    expect((await world.read(meta.dataKey))?.equals(data)).toBe(true);
    expect(await world.blobKeys('_uploads/t/')).toEqual([]);
    expect(await world.objects.listUploads({ prefix: '', limit: 10 })).toEqual([]);
    expect((await world.session(uploadId)).state).toBe('completed');
  });

  it('a retried CompleteUpload returns the recorded result without committing again', async () => {
    const world = new World();
    const data = testBytes(1000);
    const uploadId = await written(world, data);
    const first = await world.engine('a').complete(uploadId);
    const again = await world.engine('b').complete(uploadId);
    expect(again).toEqual(first);
    expect(world.commits).toHaveLength(1);
  });

  it('concurrent CompleteUploads of one session commit once and agree', async () => {
    const world = new World();
    const data = testBytes(P + 10);
    const uploadId = await written(world, data);
    const results = await Promise.all(['a', 'b', 'c'].map((n) => world.engine(n, { busyWaitMs: 5_000 }).complete(uploadId)));
    expect(new Set(results.map((r) => r.result.dataKey)).size).toBe(1);
    expect(results.every((r) => r.sha256 === sha256(data))).toBe(true);
    expect(world.commits).toHaveLength(1);
  });

  it.each([
    ['expected_size', { expectedSize: 999 }, '999', '1000'],
    ['expected_sha256', { expectedSha256: 'ab'.repeat(32) }, 'ab'.repeat(32), sha256(testBytes(1000))],
  ])(
    'a %s mismatch is CHECKSUM_MISMATCH: data deleted, nothing committed, the session failed for good',
    async (field, expected, exp, actual) => {
      const world = new World();
      const uploadId = await written(world, testBytes(1000));
      const err = await caught(world.engine('a').complete(uploadId, expected));
      expect(isDbError(err, 'CHECKSUM_MISMATCH')).toBe(true);
      expect(err).toMatchObject({ kind: 'invalid', field, metadata: { field, expected: exp, actual } });
      expect(world.commits).toEqual([]);
      const s = await world.session(uploadId);
      expect(s.state).toBe('failed');
      expect(await world.read(s.dataKey)).toBeUndefined();
      const again = await caught(world.engine('b').complete(uploadId));
      expect(again).toMatchObject({ reason: 'CHECKSUM_MISMATCH', field });
    },
  );

  it('a declared SHA-256 that matches (any case) completes', async () => {
    const world = new World();
    const data = testBytes(P + 1);
    const a = world.engine('a');
    const { uploadId } = await a.start({ ...HEADER, expectedSize: data.length, expectedSha256: sha256(data).toUpperCase() });
    expect((await a.write(uploadId, 0, [data], { finishWrite: true })).completed?.sha256).toBe(sha256(data));
  });

  it('a commit that loses (already exists) fails the upload and deletes its data', async () => {
    const world = new World();
    const header = { ...HEADER, precondition: { exists: false } };
    const first = await written(world, testBytes(100, 1), header);
    const second = await written(world, testBytes(100, 2), header);
    await world.engine('a').complete(first);
    const err = await caught(world.engine('b').complete(second));
    expect(isDbError(err, 'OBJECT_ALREADY_EXISTS')).toBe(true);
    const s = await world.session(second);
    expect(s.state).toBe('failed');
    expect(await world.read(s.dataKey)).toBeUndefined();
    expect((await world.read(world.pointers.get('c/x')!.dataKey))?.equals(testBytes(100, 1))).toBe(true);
  });

  it('an empty upload and one below a part are one PUT of the data key (no multipart upload)', async () => {
    const world = new World();
    for (const [id, n] of [
      ['e', 0],
      ['s', 4096],
    ] as const) {
      const uploadId = await written(world, testBytes(n), { collection: 'c', id });
      const done = await world.engine('b').complete(uploadId);
      expect(done).toMatchObject({ size: n, sha256: sha256(testBytes(n)) });
    }
    expect(world.crashes.calls).not.toContain('objects.startUpload');
  });

  it('an aborted upload cannot be completed: UPLOAD_NOT_FOUND', async () => {
    const world = new World();
    const uploadId = await written(world, testBytes(10));
    await world.engine('a').abort(uploadId);
    expect(isDbError(await caught(world.engine('b').complete(uploadId)), 'UPLOAD_NOT_FOUND')).toBe(true);
  });
});

describe('UploadCompletion of a session whose first part never got recorded', () => {
  it('publishes the tail with one PUT and aborts the unused multipart upload', async () => {
    const world = new World();
    const a = world.engine('a');
    const { uploadId } = await a.start(HEADER);
    await a.write(uploadId, 0, [testBytes(100)]);
    world.crashes.arm('objects.putPart');
    await expect(a.write(uploadId, 100, [testBytes(P, 2)])).rejects.toMatchObject({ kind: 'unavailable' });
    expect((await world.session(uploadId)).multipartId).toBeDefined();
    const done = await world.engine('b').complete(uploadId);
    expect(done).toMatchObject({ size: 100, sha256: sha256(testBytes(100)) });
    expect(await world.objects.listUploads({ prefix: '', limit: 10 })).toEqual([]);
  });
});
