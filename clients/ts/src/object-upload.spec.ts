import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Code } from '@connectrpc/connect';
import { fakeUploadServer, type WriteStep } from '../test/upload-fake.js';
import { SmarterBaseError } from './errors.js';
import { chunksFrom, SourceError, type UploadProgress } from './object-upload.js';

function bodyOf(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + (i >> 8)) & 0xff;
  return b;
}

/** Records the waits instead of sleeping; random 0 makes every backoff its floor (the RetryInfo delay). */
function hooks() {
  const sleeps: number[] = [];
  return { sleeps, hooks: { random: () => 0, sleep: async (ms: number) => void sleeps.push(ms) } };
}

function expectMonotone(progress: UploadProgress[]): void {
  for (let i = 1; i < progress.length; i++) {
    expect(progress[i]!.committedBytes).toBeGreaterThanOrEqual(progress[i - 1]!.committedBytes);
    expect(progress[i]!.sentBytes).toBeGreaterThanOrEqual(progress[i - 1]!.sentBytes);
  }
}

async function withFake(
  opts: { script?: WriteStep[]; http1?: boolean },
  fn: (f: Awaited<ReturnType<typeof fakeUploadServer>>) => Promise<void>,
) {
  const f = await fakeUploadServer({ ...opts, client: { retry: { maxAttempts: 1 } } });
  try {
    await fn(f);
  } finally {
    await f.close();
  }
}

describe('chunksFrom', () => {
  it('flags the last chunk of bytes and of a factory, from an offset', async () => {
    const got = async (src: Parameters<typeof chunksFrom>[0]) => {
      const out: [number, boolean][] = [];
      for await (const c of chunksFrom(src, 3, 4)) out.push([c.data.length, c.last]);
      return out;
    };
    expect(await got(bodyOf(12))).toEqual([
      [4, false],
      [4, false],
      [1, true],
    ]);
    const factory = async function* (offset: number) {
      yield bodyOf(12).subarray(offset, 8);
      yield bodyOf(12).subarray(8);
    };
    expect(await got(factory)).toEqual([
      [4, false],
      [1, false],
      [4, true],
    ]);
    expect(await got(bodyOf(3))).toEqual([]);
  });
});

describe('objects.uploadResumable', () => {
  it('starts an upload with the header, streams it with finish_write and reports the id and progress', async () => {
    await withFake({}, async (f) => {
      const body = bodyOf(5000);
      const ids: string[] = [];
      const progress: UploadProgress[] = [];
      const info = await f.db.objects.uploadResumable('c', 'x', body, {
        createOnly: true,
        contentType: 'text/plain',
        chunkBytes: 1000,
        onUploadId: (id) => ids.push(id),
        onProgress: (p) => progress.push(p),
      });
      expect(ids).toEqual(['u1']);
      const u = f.uploads.get('u1')!;
      expect(Buffer.compare(u.data, body)).toBe(0);
      expect(u.header.precondition?.condition).toEqual({ case: 'exists', value: false });
      expect(u.header.expectedSize).toBe(5000n);
      expect(u.header.contentType).toBe('text/plain');
      expect(info.sizeBytes).toBe(5000n);
      expect(f.writes).toEqual([{ kind: 'stream', offset: 0, bytes: 5000 }]);
      expectMonotone(progress);
      expect(progress[progress.length - 1]).toEqual({ committedBytes: 5000, sentBytes: 5000, totalBytes: 5000 });
    });
  });

  it('resumes from the committed size after UNAVAILABLE, a dropped connection and UPLOAD_BUSY', async () => {
    const script: WriteStep[] = [{ after: 3000, fail: 'unavailable' }, { after: 4000, fail: 'drop' }, { busy: 250 }];
    await withFake({ script }, async (f) => {
      const body = bodyOf(20_000);
      const { sleeps, hooks: h } = hooks();
      const progress: UploadProgress[] = [];
      const info = await f.db.objects.uploadResumable('c', 'x', body, { chunkBytes: 1000, hooks: h, onProgress: (p) => progress.push(p) });
      expect(Buffer.compare(f.uploads.get('u1')!.data, body)).toBe(0);
      expect(info.sizeBytes).toBe(20_000n);
      expect(f.writes.map((w) => w.offset)).toEqual([0, 3000, 7000, 7000]);
      expect(f.started()).toBe(1);
      expect(f.queries()).toBe(3);
      expect(sleeps).toContain(250); // UPLOAD_BUSY's RetryInfo delay (random 0: the other waits are 0)
      expectMonotone(progress);
    });
  });

  it('resends from a committed size below what it sent', async () => {
    await withFake({ script: [{ after: 6000, fail: 'unavailable', lose: 2500 }] }, async (f) => {
      const body = bodyOf(10_000);
      const { hooks: h } = hooks();
      const progress: UploadProgress[] = [];
      await f.db.objects.uploadResumable('c', 'x', body, { chunkBytes: 1000, hooks: h, onProgress: (p) => progress.push(p) });
      expect(f.writes.map((w) => w.offset)).toEqual([0, 3500]);
      expect(Buffer.compare(f.uploads.get('u1')!.data, body)).toBe(0);
      expectMonotone(progress);
    });
  });

  it('gives up after maxResumes resumes in a row that commit nothing, and does not resume other errors', async () => {
    const always: WriteStep[] = Array.from({ length: 10 }, () => ({ after: 0, fail: 'unavailable' as const, lose: 1000 }));
    await withFake({ script: always }, async (f) => {
      const { hooks: h } = hooks();
      const err = await f.db.objects.uploadResumable('c', 'x', bodyOf(100), { hooks: h, maxResumes: 3 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SmarterBaseError);
      expect((err as SmarterBaseError).code).toBe(Code.Unavailable);
      expect(f.writes.map((w) => w.offset)).toEqual([0, 0, 0, 0]);
    });
    await withFake({}, async (f) => {
      const err = await f.db.objects.uploadResumable('c', 'x', bodyOf(100), { uploadId: 'nope' }).catch((e: unknown) => e);
      expect((err as SmarterBaseError).reason).toBe('UPLOAD_NOT_FOUND');
      expect(f.writes).toHaveLength(0);
    });
  });

  it('continues an upload by its id after the first process gave up, without starting another', async () => {
    await withFake({ script: [{ after: 4000, fail: 'drop' }] }, async (f) => {
      const dir = mkdtempSync(join(tmpdir(), 'sb-up-'));
      const path = join(dir, 'src.bin');
      const body = bodyOf(12_345);
      writeFileSync(path, body);
      let saved = '';
      const first = f.db.objects.uploadResumable('c', 'x', path, { chunkBytes: 1000, maxResumes: 0, onUploadId: (id) => (saved = id) });
      await expect(first).rejects.toBeInstanceOf(SmarterBaseError);
      expect(saved).toBe('u1');
      const info = await f.db.objects.uploadResumable('c', 'x', path, { uploadId: saved, chunkBytes: 1000 });
      expect(info.sizeBytes).toBe(12_345n);
      expect(f.started()).toBe(1);
      expect(f.writes.map((w) => w.offset)).toEqual([0, 4000]);
      expect(Buffer.compare(f.uploads.get('u1')!.data, body)).toBe(0);
      // a completed upload continued again answers its object without writing
      await f.db.objects.uploadResumable('c', 'x', path, { uploadId: saved });
      expect(f.writes).toHaveLength(2);
    });
  });

  it('uploads a factory source and aborts an upload by id', async () => {
    await withFake({ script: [{ after: 2000, fail: 'unavailable' }] }, async (f) => {
      const body = bodyOf(7000);
      const offsets: number[] = [];
      const source = async function* (offset: number) {
        offsets.push(offset);
        for (let i = offset; i < body.length; i += 1500) yield body.subarray(i, i + 1500);
      };
      const { hooks: h } = hooks();
      await f.db.objects.uploadResumable('c', 'x', source, { chunkBytes: 1000, hooks: h });
      expect(offsets).toEqual([0, 2500]); // blocks of 1500 cut into 1000 + 500: the failure lands after 2500
      expect(Buffer.compare(f.uploads.get('u1')!.data, body)).toBe(0);
      let id = '';
      const never = async function* () {
        yield new Uint8Array(0);
        throw new Error('the source broke');
      };
      const { sleeps, hooks: h2 } = hooks();
      const broke = f.db.objects.uploadResumable('c', 'y', never, { onUploadId: (u) => (id = u), hooks: h2 });
      await expect(broke).rejects.toBeInstanceOf(SourceError);
      await expect(broke).rejects.toThrow('the source broke');
      expect(sleeps).toEqual([]); // a source's own failure is never resumed
      expect((await f.db.objects.uploadStatus(id)).committedBytes).toBe(0);
      await f.db.objects.abortUpload(id);
      expect(f.uploads.has(id)).toBe(false);
      await expect(f.db.objects.abortUpload(id)).rejects.toMatchObject({ reason: 'UPLOAD_NOT_FOUND' });
    });
  });

  it('uses WriteAt chunks of at most 4 MiB on the connect transport, resuming after UNAVAILABLE', async () => {
    await withFake({ http1: true, script: [undefined, { after: 1, fail: 'unavailable', lose: 1_000_000 }] }, async (f) => {
      const body = bodyOf(9 * 1024 * 1024 + 17);
      const { hooks: h } = hooks();
      const info = await f.db.objects.uploadResumable('c', 'x', body, { hooks: h });
      expect(info.sizeBytes).toBe(BigInt(body.length));
      const mib4 = 4 * 1024 * 1024;
      expect(f.writes.map((w) => [w.kind, w.offset])).toEqual([
        ['at', 0],
        ['at', mib4],
        ['at', 2 * mib4 - 1_000_000],
      ]);
      expect(f.writes.every((w) => w.bytes <= mib4)).toBe(true);
      expect(Buffer.compare(f.uploads.get('u1')!.data, body)).toBe(0);
    });
  });

  it('reports a failing source as SourceError on the WriteAt path too', async () => {
    await withFake({ http1: true }, async (f) => {
      const source = async function* () {
        yield bodyOf(10);
        throw new Error('disk gone');
      };
      const { sleeps, hooks: h } = hooks();
      await expect(f.db.objects.uploadResumable('c', 'x', source, { hooks: h })).rejects.toBeInstanceOf(SourceError);
      expect(sleeps).toEqual([]);
    });
  });
});
