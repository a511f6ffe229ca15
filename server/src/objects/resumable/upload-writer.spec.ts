import { ManualClock } from '../../common/manual-clock.js';
import { isDbError } from '../../errors/db-error.js';
import { chunksOf, HEADER, P, sha256, testBytes, World } from './resumable-test-kit.js';

const MiB = 1024 * 1024;

async function caught(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('UploadWriter', () => {
  it('three writes by three instances, the first two ending mid-part, complete to the exact bytes', async () => {
    const world = new World();
    const [a, b, c] = [world.engine('a'), world.engine('b'), world.engine('c')];
    const data = testBytes(3 * P + 123_456);
    const { uploadId } = await a.start(HEADER);
    const sizes: number[] = [];
    expect((await a.write(uploadId, 0, chunksOf(data.subarray(0, P + 1_000_000), MiB))).committedSize).toBe(P + 1_000_000);
    sizes.push((await c.status(uploadId)).committedSize);
    expect((await b.write(uploadId, P + 1_000_000, chunksOf(data.subarray(P + 1_000_000, 2 * P + 7), MiB))).committedSize).toBe(2 * P + 7);
    sizes.push((await a.status(uploadId)).committedSize);
    const out = await c.write(uploadId, 2 * P + 7, chunksOf(data.subarray(2 * P + 7), MiB), { finishWrite: true });
    expect(out.completed).toMatchObject({ size: data.length, sha256: sha256(data) });
    expect(sizes).toEqual([P + 1_000_000, 2 * P + 7]);
    const meta = world.pointers.get('c/x');
    expect(meta).toMatchObject({ size: data.length, sha256: sha256(data), version: 1 });
    expect((await world.read(meta!.dataKey))?.equals(data)).toBe(true);
    expect(await world.blobKeys('_uploads/t/')).toEqual([]);
    expect(await world.objects.listUploads({ prefix: '', limit: 10 })).toEqual([]);
    expect(await b.status(uploadId)).toMatchObject({ complete: true, committedSize: data.length, completed: { sha256: sha256(data) } });
  });

  it('skips bytes below the committed size (a client resending from 0 loses nothing)', async () => {
    const world = new World();
    const e = world.engine('a');
    const data = testBytes(P + 10);
    const { uploadId } = await e.start(HEADER);
    await e.write(uploadId, 0, [data.subarray(0, 3_000_000)]);
    const out = await e.write(uploadId, 0, chunksOf(data, MiB), { finishWrite: true });
    expect(out.completed?.sha256).toBe(sha256(data));
    expect((await world.read(world.pointers.get('c/x')!.dataKey))?.equals(data)).toBe(true);
  });

  it('refuses an offset above the committed size before writing anything: UPLOAD_OFFSET_MISMATCH', async () => {
    const world = new World();
    const e = world.engine('a');
    const { uploadId } = await e.start(HEADER);
    await e.write(uploadId, 0, [testBytes(10)]);
    const before = await world.blobs.get(`_uploads/s/${uploadId}`);
    const err = await caught(e.write(uploadId, 11, [testBytes(5)]));
    expect(isDbError(err, 'UPLOAD_OFFSET_MISMATCH')).toBe(true);
    expect(err).toMatchObject({ metadata: { writeOffset: '11', committedSize: '10' } });
    expect((await world.blobs.get(`_uploads/s/${uploadId}`))?.etag).toBe(before?.etag);
  });

  it('a broken stream keeps the whole chunks it delivered (spilled as the tail) and rethrows', async () => {
    const world = new World();
    const e = world.engine('a');
    const data = testBytes(3 * MiB);
    const { uploadId } = await e.start(HEADER);
    async function* broken(): AsyncGenerator<Uint8Array> {
      yield data.subarray(0, MiB);
      yield data.subarray(MiB, 2 * MiB);
      throw new Error('connection reset');
    }
    await expect(e.write(uploadId, 0, broken())).rejects.toThrow('connection reset');
    expect((await e.status(uploadId)).committedSize).toBe(2 * MiB);
    const out = await world.engine('b').write(uploadId, 2 * MiB, [data.subarray(2 * MiB)], { finishWrite: true });
    expect(out.completed?.sha256).toBe(sha256(data));
  });

  it('a second writer waits for the lease, then UPLOAD_BUSY with a retry delay', async () => {
    const world = new World();
    const [a, b] = [world.engine('a'), world.engine('b')];
    const { uploadId } = await a.start(HEADER);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    async function* slow(): AsyncGenerator<Uint8Array> {
      yield testBytes(10);
      await held;
    }
    const first = a.write(uploadId, 0, slow());
    await new Promise((r) => setTimeout(r, 50));
    const err = await caught(b.write(uploadId, 0, [testBytes(10)]));
    expect(isDbError(err, 'UPLOAD_BUSY')).toBe(true);
    expect((err as { retryDelayMs?: number }).retryDelayMs).toBeGreaterThan(0);
    release();
    expect((await first).committedSize).toBe(10);
  });

  it('takeover: a writer whose lease lapsed fails its next CAS, and its late part is never referenced', async () => {
    const clock = new ManualClock({ startMs: 1_800_000_000_000 });
    const world = new World(clock);
    const [a, b] = [world.engine('a'), world.engine('b')];
    const good = testBytes(P + MiB, 7);
    const garbage = testBytes(P, 99);
    const { uploadId } = await a.start(HEADER);
    const gate = world.crashes.gate('objects.putPart');
    const first = a.write(uploadId, 0, [garbage]).catch((e: unknown) => e);
    await gate.reached;
    clock.advance(10_000); // a paused process: its lease (2 s) lapsed
    expect((await b.write(uploadId, 0, chunksOf(good, MiB))).committedSize).toBe(good.length);
    gate.open();
    const err = await first;
    expect(isDbError(err, 'UPLOAD_BUSY')).toBe(true);
    const s = await world.session(uploadId);
    const landed = (await world.objects.listParts(s.dataKey, s.multipartId!)).map((p) => p.partNumber);
    expect(landed).toEqual([1, 65]);
    expect(s.parts.map((p) => p.partNumber)).toEqual([65]);
    const done = await b.complete(uploadId);
    expect(done.sha256).toBe(sha256(good));
    expect((await world.read(s.dataKey))?.equals(good)).toBe(true);
  });

  it('unary writes smaller than a part continue one block of part numbers (writers that ended cleanly hand it on)', async () => {
    const world = new World();
    const data = testBytes(3 * P + 5);
    const engines = [world.engine('a'), world.engine('b')];
    const { uploadId } = await engines[0]!.start(HEADER);
    let offset = 0;
    for (const [i, chunk] of chunksOf(data, 2 * MiB).entries()) {
      offset = (await engines[i % 2]!.write(uploadId, offset, [chunk])).committedSize;
    }
    expect(offset).toBe(data.length);
    const s = await world.session(uploadId);
    expect(s.nextPartNumber).toBe(65);
    expect(s.parts.map((p) => p.partNumber)).toEqual([1, 2, 3]);
    expect((await engines[1]!.complete(uploadId)).sha256).toBe(sha256(data));
  });

  it('no data after finish_write, nor to an unknown id: UPLOAD_FINISHED, UPLOAD_NOT_FOUND', async () => {
    const world = new World();
    const e = world.engine('a');
    const { uploadId } = await e.start(HEADER);
    await e.write(uploadId, 0, [testBytes(10)], { finishWrite: true });
    const err = await caught(e.write(uploadId, 10, [testBytes(1)]));
    expect(isDbError(err, 'UPLOAD_FINISHED')).toBe(true);
    expect(err).toMatchObject({ metadata: { state: 'completed' } });
    expect(isDbError(await caught(e.write('0193a2b4-c5d6-7e8f-9a0b-1c2d3e4f5a6b', 0, [])), 'UPLOAD_NOT_FOUND')).toBe(true);
    expect(isDbError(await caught(e.write('../../etc', 0, [])), 'UPLOAD_NOT_FOUND')).toBe(true);
  });

  it('hashes as bytes arrive when one instance saw them all, and rereads the data when not', async () => {
    const world = new World();
    const [a, b] = [world.engine('a'), world.engine('b')];
    const data = testBytes(P + 100);
    const one = await a.start(HEADER);
    await a.write(one.uploadId, 0, [data.subarray(0, 100)]);
    await a.write(one.uploadId, 100, [data.subarray(100)], { finishWrite: true });
    expect(world.crashes.calls.filter((c) => c === 'objects.get')).toEqual([]);
    const two = await a.start({ collection: 'c', id: 'y' });
    await a.write(two.uploadId, 0, [data.subarray(0, 100)]);
    await b.write(two.uploadId, 100, [data.subarray(100)], { finishWrite: true });
    expect(world.crashes.calls.filter((c) => c === 'objects.get')).toHaveLength(1);
    expect(world.pointers.get('c/y')?.sha256).toBe(sha256(data));
  });

  it('receives the next part while one is sent, and no further (memory: two parts)', async () => {
    const world = new World();
    const e = world.engine('a');
    const data = testBytes(4 * P);
    const { uploadId } = await e.start(HEADER);
    const gate = world.crashes.gate('objects.putPart');
    let pulled = 0;
    async function* source(): AsyncGenerator<Uint8Array> {
      for (const c of chunksOf(data, MiB)) {
        pulled++;
        yield c;
      }
    }
    const writing = e.write(uploadId, 0, source(), { finishWrite: true });
    await gate.reached;
    await new Promise((r) => setTimeout(r, 100));
    expect(pulled).toBe(10); // part 1 (5 chunks) in flight, part 2 (5 chunks) cut and waiting
    gate.open();
    expect((await writing).completed?.sha256).toBe(sha256(data));
  });

  it.each([
    ['after it landed: the session names the multipart upload, which is kept', true],
    ['before it landed: the unrecorded multipart upload is aborted', false],
  ])('a failure recording a new multipart upload, %s, and the upload id goes on', async (_, after) => {
    const world = new World();
    const e = world.engine('a');
    const data = testBytes(2 * P + 10);
    const { uploadId } = await e.start(HEADER);
    const recording = (args: unknown[]) =>
      String(args[0]).startsWith('_uploads/s/') &&
      Buffer.from(args[1] as Uint8Array)
        .toString('utf8')
        .includes('"multipartId"');
    world.crashes.arm('blobs.put', { after, match: recording });
    await expect(e.write(uploadId, 0, chunksOf(data.subarray(0, P + 5), MiB))).rejects.toMatchObject({ reason: 'BACKEND_UNAVAILABLE' });
    const open = await world.objects.listUploads({ prefix: '', limit: 10 });
    expect(open.map((u) => u.uploadId)).toEqual(after ? [(await world.session(uploadId)).multipartId] : []);
    const from = (await e.status(uploadId)).committedSize;
    const out = await world.engine('b').write(uploadId, from, chunksOf(data.subarray(from), MiB), { finishWrite: true });
    expect(out.completed?.sha256).toBe(sha256(data));
    expect((await world.read(world.pointers.get('c/x')!.dataKey))?.equals(data)).toBe(true);
  });
});
