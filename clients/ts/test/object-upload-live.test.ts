/**
 * Resumable uploads of the TypeScript client against a live server, over
 * gRPC (one WriteUpload stream) and Connect (WriteAt calls of 4 MiB): 20 MiB
 * whose source fails at 12 MiB (the uploading process dying), continued by
 * its upload id to the exact bytes; an aborted upload's id is then unknown.
 * And 24 MiB through a TCP proxy cut at 30, 60 and 90 %: the client resumes
 * by itself (query, seek, write) to the exact bytes.
 */
import { createHash } from 'node:crypto';
import { connect as tcpConnect, createServer, type Socket } from 'node:net';
import { createClient, SourceError, type SmarterBaseClient, type UploadProgress } from '../src/index.js';
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

/** A TCP proxy to 127.0.0.1:`port` whose cut() closes every open connection (new ones pass). */
async function cuttableProxy(port: number): Promise<{ port: number; cut(): void; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const track = (s: Socket): void => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  };
  const server = createServer((client) => {
    const upstream = tcpConnect({ host: '127.0.0.1', port });
    track(client);
    track(upstream);
    upstream.once('close', () => client.destroy());
    client.once('close', () => upstream.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const cut = (): void => {
    for (const s of sockets) s.resetAndDestroy();
  };
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : 0,
    cut,
    close: async () => {
      cut();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
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

  it('resumes by itself through connections cut at 30, 60 and 90 %', async () => {
    const s = liveServer();
    const target = transport === 'grpc' ? Number(s.grpcAddress.split(':').pop()) : Number(new URL(s.httpUrl!).port);
    const proxy = await cuttableProxy(target);
    const viaProxy = createClient({ address: `127.0.0.1:${proxy.port}`, transport, timeoutMs: 60_000 });
    try {
      const col = uniqueCollection(`ts_cut_${transport}`);
      const body = new Uint8Array(24 << 20);
      for (let i = 0; i < body.length; i++) body[i] = (i * 29 + (i >> 9)) & 0xff;
      const cuts = [0.3, 0.6, 0.9].map((f) => Math.floor(body.length * f));
      const source = async function* (offset: number): AsyncGenerator<Uint8Array> {
        for (let i = offset; i < body.length; i += 1 << 20) {
          if (cuts.length > 0 && i >= cuts[0]!) {
            cuts.shift();
            proxy.cut();
          }
          yield body.subarray(i, i + (1 << 20));
        }
      };
      const resumes: string[] = [];
      const info = await viaProxy.objects.uploadResumable(col, 'cut', source, {
        expectedSize: body.length,
        hooks: { onResume: (_n, err) => resumes.push(`${err.code}:${err.reason}`) },
      });
      expect(cuts).toEqual([]);
      expect(resumes.length).toBeGreaterThanOrEqual(3);
      expect(info.sha256).toBe(sha(body));
      const { data } = await db.objects.downloadBytes(col, 'cut');
      expect(sha(data)).toBe(sha(body));
    } finally {
      viaProxy.close();
      await proxy.close();
    }
  }, 120_000);
});
