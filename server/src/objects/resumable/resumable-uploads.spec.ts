import { ManualClock } from '../../common/manual-clock.js';
import { isDbError } from '../../errors/db-error.js';
import { HEADER, P, sha256, testBytes, World } from './resumable-test-kit.js';

async function caught(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('ResumableUploads', () => {
  it('start validates the header: names (.. refused), expected size against the maximum, the SHA-256 shape', async () => {
    const e = new World().engine('a', { maxBytes: 100 * P });
    expect(await caught(e.start({ collection: 'c', id: '..' }))).toMatchObject({ reason: 'INVALID_ID' });
    expect(await caught(e.start({ collection: '../c', id: 'x' }))).toMatchObject({ reason: 'INVALID_COLLECTION' });
    expect(await caught(e.start({ ...HEADER, expectedSize: 100 * P + 1 }))).toMatchObject({
      reason: 'OBJECT_TOO_LARGE',
      metadata: { sizeBytes: String(100 * P + 1), limitBytes: String(100 * P) },
    });
    expect(await caught(e.start({ ...HEADER, expectedSha256: 'xyz' }))).toMatchObject({
      reason: 'INVALID_ARGUMENT',
      field: 'expected_sha256',
    });
    expect(await caught(e.start({ ...HEADER, expectedSize: -1 }))).toMatchObject({ reason: 'INVALID_ARGUMENT', field: 'expected_size' });
  });

  it('raises the part size so an expected size fits in 5,000 parts (rounded up to a MiB)', async () => {
    const e = new World().engine('a', { maxBytes: 2 ** 50 });
    expect((await e.start({ ...HEADER, expectedSize: 1000 })).partSize).toBe(P);
    expect((await e.start({ ...HEADER, expectedSize: 5_000 * P })).partSize).toBe(P);
    expect((await e.start({ ...HEADER, expectedSize: 5_000 * P + 1 })).partSize).toBe(P + 1024 * 1024);
  });

  it('writes beyond the maximum size fail with OBJECT_TOO_LARGE and commit nothing', async () => {
    const world = new World();
    const e = world.engine('a', { maxBytes: 100 });
    const { uploadId } = await e.start(HEADER);
    expect(await caught(e.write(uploadId, 0, [testBytes(101)], { finishWrite: true }))).toMatchObject({ reason: 'OBJECT_TOO_LARGE' });
    expect((await e.status(uploadId)).committedSize).toBe(0);
    expect(world.commits).toEqual([]);
  });

  it('status is the same from every instance, moves forward only, and ends complete with the result', async () => {
    const world = new World();
    const [a, b] = [world.engine('a'), world.engine('b')];
    const { uploadId, expireTimeMs } = await a.start(HEADER);
    expect(await b.status(uploadId)).toEqual({ committedSize: 0, complete: false, expireTimeMs, partSize: P });
    await a.write(uploadId, 0, [testBytes(P + 3)]);
    expect(await b.status(uploadId)).toMatchObject({ committedSize: P + 3, complete: false });
    await b.write(uploadId, 0, [testBytes(10)]);
    expect((await a.status(uploadId)).committedSize).toBe(P + 3);
    await b.complete(uploadId);
    expect(await a.status(uploadId)).toMatchObject({ committedSize: P + 3, complete: true, completed: { size: P + 3 } });
  });

  it('an expired upload is UPLOAD_NOT_FOUND before the sweeper removed it', async () => {
    const clock = new ManualClock({ startMs: 1_800_000_000_000 });
    const e = new World(clock).engine('a', { maxAgeMs: 1000 });
    const { uploadId } = await e.start(HEADER);
    clock.advance(1000);
    expect(isDbError(await caught(e.status(uploadId)), 'UPLOAD_NOT_FOUND')).toBe(true);
    expect(isDbError(await caught(e.write(uploadId, 0, [testBytes(1)])), 'UPLOAD_NOT_FOUND')).toBe(true);
    expect(isDbError(await caught(e.complete(uploadId)), 'UPLOAD_NOT_FOUND')).toBe(true);
  });

  it('four instances racing to write one upload (busy retries, resends, mid-part stops) end with the exact bytes', async () => {
    const world = new World();
    const engines = ['a', 'b', 'c', 'd'].map((n) => world.engine(n, { busyWaitMs: 0 }));
    const data = testBytes(4 * P + 777, 11);
    const { uploadId } = await engines[0]!.start(HEADER);
    let busy = 0;
    let seed = 5;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    async function client(i: number): Promise<void> {
      const e = engines[i]!;
      for (;;) {
        const { committedSize } = await e.status(uploadId);
        if (committedSize === data.length) return;
        // Start a little below the committed size (a stale view) and stop after a random length.
        const from = Math.max(0, committedSize - rand(3000));
        const to = Math.min(data.length, from + 1 + rand(2 * P));
        try {
          await e.write(uploadId, from, [
            data.subarray(from, Math.min(to, from + 1_000_000)),
            data.subarray(Math.min(to, from + 1_000_000), to),
          ]);
        } catch (err) {
          if (!isDbError(err, 'UPLOAD_BUSY')) throw err;
          busy++;
        }
      }
    }
    await Promise.all(engines.map((_, i) => client(i)));
    const done = await engines[3]!.complete(uploadId);
    expect(done).toMatchObject({ size: data.length, sha256: sha256(data) });
    expect((await world.read(done.result.dataKey))?.equals(data)).toBe(true);
    const numbers = (await world.session(uploadId)).parts.map((p) => p.partNumber);
    expect([...numbers].sort((x, y) => x - y)).toEqual(numbers);
    expect(busy).toBeGreaterThan(0); // the race was real: writers met a held lease
  });

  it('one sweep round at a time across instances (the sweep:uploads mutex)', async () => {
    const world = new World();
    const [a, b] = [world.engine('a'), world.engine('b')];
    const held = await world.coordinator.acquireMutex('sweep:uploads', { ttlMs: 60_000, waitMs: 0 });
    expect(await a.sweep()).toBeUndefined();
    await held.release();
    expect(await b.sweep()).toEqual({ aborted: 0, deleted: 0, completed: 0, orphans: 0 });
  });
});
