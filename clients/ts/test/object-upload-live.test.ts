/**
 * Resumable uploads of the TypeScript client against a live server, over
 * gRPC (one WriteUpload stream) and Connect (WriteAt calls of 4 MiB): 20 MiB
 * whose source fails at 12 MiB (the uploading process dying), continued by
 * its upload id to the exact bytes; an aborted upload's id is then unknown.
 */
import { createHash } from 'node:crypto';
import { SourceError, type SmarterBaseClient, type UploadProgress } from '../src/index.js';
import { liveClients, LIVE_TRANSPORTS, uniqueCollection, useLiveServer } from './server-fixture.js';
import { rejection } from './expect-error.js';

const liveServer = useLiveServer();
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** A source giving `body` from an offset in 1 MiB blocks, failing once it would pass `failAt` (0: never). */
function dyingSource(body: Uint8Array, state: { failAt: number }) {
  return async function* (offset: number): AsyncGenerator<Uint8Array> {
    for (let i = offset; i < body.length; i += 1 << 20) {
      if (state.failAt > 0 && i + (1 << 20) > state.failAt) throw new Error('the uploading process died');
      yield body.subarray(i, i + (1 << 20));
    }
  };
}

describe.each(LIVE_TRANSPORTS)('resumable uploads over %s', (transport) => {
  const connect = liveClients(liveServer, transport, 60_000);
  let db: SmarterBaseClient;
  beforeAll(() => {
    db = connect();
  });

  it('continues a 20 MiB upload by its id after the source failed at 12 MiB, then aborts another', async () => {
    const col = uniqueCollection(`ts_up_${transport}`);
    const body = new Uint8Array(20 << 20);
    for (let i = 0; i < body.length; i++) body[i] = (i * 13 + (i >> 10)) & 0xff;
    const state = { failAt: 12 << 20 };
    let uploadId = '';
    const first = db.objects.uploadResumable(col, 'resumed', dyingSource(body, state), {
      createOnly: true,
      expectedSize: body.length,
      maxResumes: 0,
      onUploadId: (id) => (uploadId = id),
    });
    await expect(first).rejects.toBeInstanceOf(SourceError);
    const stopped = await db.objects.uploadStatus(uploadId);
    expect(stopped.object).toBeUndefined();
    expect(stopped.committedBytes).toBeLessThanOrEqual(12 << 20);

    state.failAt = 0;
    const progress: UploadProgress[] = [];
    const info = await db.objects.uploadResumable(col, 'resumed', dyingSource(body, state), {
      uploadId,
      onProgress: (p) => progress.push(p),
    });
    expect(info.sha256).toBe(sha(body));
    expect(info.sizeBytes).toBe(BigInt(body.length));
    expect(info.version).toBe(1n);
    expect(progress[progress.length - 1]!.committedBytes).toBe(body.length);
    const { data } = await db.objects.downloadBytes(col, 'resumed');
    expect(sha(data)).toBe(sha(body));

    let abortId = '';
    await expect(
      db.objects.uploadResumable(col, 'aborted', dyingSource(body, { failAt: 2 << 20 }), {
        maxResumes: 0,
        onUploadId: (id) => (abortId = id),
      }),
    ).rejects.toBeInstanceOf(SourceError);
    await db.objects.abortUpload(abortId);
    expect((await rejection(db.objects.uploadStatus(abortId))).reason).toBe('UPLOAD_NOT_FOUND');
    expect((await rejection(db.objects.stat(col, 'aborted'))).reason).toBe('OBJECT_NOT_FOUND');
  }, 120_000);
});
