import { ManualClock } from '../../common/manual-clock.js';
import { isDbError } from '../../errors/db-error.js';
import { chunksOf, HEADER, P, testBytes, World } from './resumable-test-kit.js';

const HOUR = 60 * 60 * 1000;
const MAX_AGE = 24 * HOUR;

async function caught(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

/** Nothing of any upload left: no session, no tail, no multipart upload, only the data keys of committed objects. */
async function expectNothingLeft(world: World): Promise<void> {
  expect(await world.blobKeys('_uploads/')).toEqual([]);
  expect(await world.objects.listUploads({ prefix: '', limit: 10 })).toEqual([]);
}

describe('UploadSweeper', () => {
  it('aborts an expired open session: multipart upload, tail and session gone; a fresh one is kept', async () => {
    const clock = new ManualClock({ startMs: 1_800_000_000_000 });
    const world = new World(clock);
    const e = world.engine('a');
    const old = await e.start(HEADER);
    await e.write(old.uploadId, 0, chunksOf(testBytes(P + 1000), 1 << 20));
    clock.advance(MAX_AGE - 1000);
    const fresh = await e.start({ collection: 'c', id: 'y' });
    await e.write(fresh.uploadId, 0, [testBytes(10)]);
    clock.advance(1000);
    expect(await e.sweep()).toEqual({ aborted: 1, deleted: 0, completed: 0, orphans: 0 });
    expect(await world.blobKeys('_uploads/s/')).toEqual([`_uploads/s/${fresh.uploadId}`]);
    expect(await world.blobKeys('_uploads/t/')).toHaveLength(1);
    expect(await world.objects.listUploads({ prefix: '', limit: 10 })).toEqual([]);
    expect(isDbError(await caught(e.status(old.uploadId)), 'UPLOAD_NOT_FOUND')).toBe(true);
    expect((await e.status(fresh.uploadId)).committedSize).toBe(10);
  });

  it('deletes finished sessions after their expiry, never the committed data', async () => {
    const clock = new ManualClock({ startMs: 1_800_000_000_000 });
    const world = new World(clock);
    const e = world.engine('a');
    const { uploadId } = await e.start(HEADER);
    await e.write(uploadId, 0, [testBytes(100)], { finishWrite: true });
    expect(await e.sweep()).toEqual({ aborted: 0, deleted: 0, completed: 0, orphans: 0 });
    clock.advance(MAX_AGE);
    expect(await e.sweep()).toMatchObject({ deleted: 1 });
    await expectNothingLeft(world);
    expect((await world.read(world.pointers.get('c/x')!.dataKey))?.equals(testBytes(100))).toBe(true);
  });

  it('finishes a completing session whose completer died (lease free)', async () => {
    const world = new World();
    const e = world.engine('a');
    const { uploadId } = await e.start(HEADER);
    await e.write(uploadId, 0, [testBytes(P + 5)]);
    world.crashes.arm('objects.completeUpload');
    await expect(e.complete(uploadId)).rejects.toMatchObject({ kind: 'unavailable' });
    expect(await world.engine('b').sweep()).toMatchObject({ completed: 1 });
    expect((await e.status(uploadId)).complete).toBe(true);
    expect(world.pointers.get('c/x')?.size).toBe(P + 5);
  });

  it('aborts multipart uploads under _objdata/ that no session names, once older than max age + 1 h', async () => {
    const clock = new ManualClock({ startMs: 1_800_000_000_000 });
    const world = new World(clock);
    const e = world.engine('a');
    const orphan = await world.objects.startUpload('_objdata/c/o/1');
    await world.objects.putPart('_objdata/c/o/1', orphan, 1, testBytes(10));
    await world.objects.startUpload('elsewhere/k');
    clock.advance(MAX_AGE + HOUR - 1);
    const named = await e.start(HEADER);
    await e.write(named.uploadId, 0, [testBytes(P)]);
    const young = await world.objects.startUpload('_objdata/c/o/2');
    expect(await e.sweep()).toMatchObject({ orphans: 0 });
    clock.advance(1);
    expect(await e.sweep()).toEqual({ aborted: 0, deleted: 0, completed: 0, orphans: 1 });
    const left = (await world.objects.listUploads({ prefix: '', limit: 10 })).map((u) => u.uploadId);
    expect(left).toHaveLength(3);
    expect(left).not.toContain(orphan);
    expect(left).toContain((await world.session(named.uploadId)).multipartId);
    expect(left).toContain(young);
  });

  it('AbortUpload removes everything at once; later calls see UPLOAD_NOT_FOUND; a completed upload is UPLOAD_FINISHED', async () => {
    const world = new World();
    const e = world.engine('a');
    const { uploadId } = await e.start(HEADER);
    await e.write(uploadId, 0, chunksOf(testBytes(2 * P + 3), 1 << 20));
    await world.engine('b').abort(uploadId);
    await expectNothingLeft(world);
    expect(isDbError(await caught(e.write(uploadId, 0, [testBytes(1)])), 'UPLOAD_NOT_FOUND')).toBe(true);
    expect(isDbError(await caught(e.abort(uploadId)), 'UPLOAD_NOT_FOUND')).toBe(true);
    const done = await e.start({ collection: 'c', id: 'd' });
    await e.write(done.uploadId, 0, [testBytes(1)], { finishWrite: true });
    expect(await caught(e.abort(done.uploadId))).toMatchObject({ reason: 'UPLOAD_FINISHED', metadata: { state: 'completed' } });
  });

  it('an abort during a write fences the writer: its part in flight is refused or discarded, nothing is left', async () => {
    const world = new World();
    const e = world.engine('a');
    const { uploadId } = await e.start(HEADER);
    await e.write(uploadId, 0, [testBytes(P)]);
    const gate = world.crashes.gate('objects.putPart');
    const writing = e.write(uploadId, P, [testBytes(P, 5)]).catch((err: unknown) => err);
    await gate.reached;
    await world.engine('b').abort(uploadId);
    gate.open();
    const err = await writing;
    expect(isDbError(err, 'UPLOAD_NOT_FOUND')).toBe(true);
    await expectNothingLeft(world);
  });

  it('an abort that crashed midway is finished by the next abort', async () => {
    const world = new World();
    const e = world.engine('a');
    const { uploadId } = await e.start(HEADER);
    await e.write(uploadId, 0, [testBytes(P + 7)]);
    world.crashes.arm('blobs.delete', { match: (args) => String(args[0]).startsWith('_uploads/s/') });
    await expect(e.abort(uploadId)).rejects.toMatchObject({ kind: 'unavailable' });
    expect((await world.session(uploadId)).state).toBe('aborting');
    await world.engine('b').abort(uploadId);
    await expectNothingLeft(world);
  });
});
