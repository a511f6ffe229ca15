import * as http2 from 'node:http2';
import type * as net from 'node:net';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Code, ConnectError } from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import { createClient } from './client.js';
import { SmarterBaseError } from './errors.js';
import { ErrorInfoSchema } from './gen/google/rpc/error_details_pb.js';
import { ObjectService, type DownloadRequest, type UploadRequest } from './gen/smarterbase/v1/object_service_pb.js';

const serverError = (code: Code, reason: string) =>
  new ConnectError(reason.toLowerCase(), code, undefined, [{ desc: ErrorInfoSchema, value: { reason, domain: 'smarterbase.v1' } }]);

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function bodyOf(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + (i >> 8)) & 0xff;
  return b;
}

/**
 * A real gRPC server on 127.0.0.1:0 with a fake ObjectService: Upload keeps
 * what it received; Download serves `body` in 1,000-byte messages and fails
 * call n (1-based) with UNAVAILABLE once failAt[n] data bytes were sent.
 */
async function fakeObjectServer(o: { body?: Uint8Array; sha256?: string; etag?: string; failAt?: Record<number, number> } = {}) {
  const body = o.body ?? new Uint8Array();
  const uploads: UploadRequest[][] = [];
  const downloads: DownloadRequest[] = [];
  const adapter = connectNodeAdapter({
    routes: (r) =>
      r.service(ObjectService, {
        async upload(reqs) {
          const got: UploadRequest[] = [];
          uploads.push(got);
          for await (const m of reqs) got.push(m);
          const header = got[0]?.kind.case === 'header' ? got[0].kind.value : undefined;
          const data = Buffer.concat(got.flatMap((m) => (m.kind.case === 'data' ? [m.kind.value] : [])));
          return {
            object: {
              collection: header?.collection,
              id: header?.id,
              etag: 'e1',
              version: 1n,
              sizeBytes: BigInt(data.length),
              sha256: sha(data),
            },
          };
        },
        async *download(req) {
          const n = downloads.push(req);
          if (req.ifMatch !== '' && req.ifMatch !== (o.etag ?? 'v1')) throw serverError(Code.Aborted, 'ETAG_MISMATCH');
          yield {
            object: {
              collection: req.collection,
              id: req.id,
              etag: o.etag ?? 'v1',
              sizeBytes: BigInt(body.length),
              sha256: o.sha256 ?? sha(body),
            },
            offset: req.offset,
          };
          const start = Number(req.offset);
          const end = req.length > 0n ? Math.min(body.length, start + Number(req.length)) : body.length;
          let sent = 0;
          for (let off = start; off < end; off += 1000) {
            const stop = Math.min(off + 1000, end);
            const limit = o.failAt?.[n];
            if (limit !== undefined && sent + (stop - off) > limit) throw serverError(Code.Unavailable, 'BACKEND_UNAVAILABLE');
            yield { offset: BigInt(off), data: body.subarray(off, stop) };
            sent += stop - off;
          }
        },
      }),
  });
  const server = http2.createServer(adapter);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const db = createClient({ address: `127.0.0.1:${port}`, retry: false });
  return {
    db,
    uploads,
    downloads,
    close: async () => {
      db.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('objects.upload', () => {
  it('sends a header, the bytes in chunks and finish_write, reporting progress', async () => {
    const f = await fakeObjectServer();
    try {
      const body = bodyOf(2500);
      const progress: number[] = [];
      const info = await f.db.objects.upload('c', 'x', body, {
        createOnly: true,
        contentType: 'text/plain',
        chunkBytes: 1000,
        onProgress: (n) => progress.push(n),
      });
      expect(info.sha256).toBe(sha(body));
      expect(info.sizeBytes).toBe(2500n);
      const msgs = f.uploads[0]!;
      expect(msgs.map((m) => m.kind.case ?? (m.finishWrite ? 'finish' : 'empty'))).toEqual(['header', 'data', 'data', 'data', 'finish']);
      const header = msgs[0]!.kind.case === 'header' ? msgs[0]!.kind.value : undefined;
      expect(header?.precondition?.condition).toEqual({ case: 'exists', value: false });
      expect(header?.contentType).toBe('text/plain');
      expect(progress).toEqual([1000, 2000, 2500]);
    } finally {
      await f.close();
    }
  });

  it('refuses two preconditions before calling', async () => {
    const f = await fakeObjectServer();
    try {
      await expect(f.db.objects.upload('c', 'x', new Uint8Array(), { createOnly: true, ifMatch: 'e' })).rejects.toThrow(TypeError);
      expect(f.uploads).toHaveLength(0);
    } finally {
      await f.close();
    }
  });
});

describe('objects.download', () => {
  it('resumes from the bytes delivered, pinned to the first etag', async () => {
    const body = bodyOf(10_000);
    const f = await fakeObjectServer({ body, etag: 'v7', failAt: { 1: 3000, 2: 4000 } });
    try {
      const { info, data } = await f.db.objects.downloadBytes('c', 'x');
      expect(Buffer.compare(Buffer.from(data), Buffer.from(body))).toBe(0);
      expect(info.etag).toBe('v7');
      expect(f.downloads.map((d) => [Number(d.offset), d.ifMatch])).toEqual([
        [0, ''],
        [3000, 'v7'],
        [7000, 'v7'],
      ]);
    } finally {
      await f.close();
    }
  });

  it('resumes a range within its length', async () => {
    const body = bodyOf(5000);
    const f = await fakeObjectServer({ body, sha256: '00', failAt: { 1: 1500 } });
    try {
      const { data } = await f.db.objects.downloadBytes('c', 'x', { offset: 1000, length: 2500 });
      expect(Buffer.compare(Buffer.from(data), Buffer.from(body.subarray(1000, 3500)))).toBe(0);
      expect([Number(f.downloads[1]!.offset), Number(f.downloads[1]!.length)]).toEqual([2000, 1500]);
    } finally {
      await f.close();
    }
  });

  it('fails DATA_LOSS / OBJECT_CORRUPT on a SHA-256 mismatch and leaves no file', async () => {
    const f = await fakeObjectServer({ body: bodyOf(5000), sha256: '00' });
    try {
      const path = join(mkdtempSync(join(tmpdir(), 'sb-obj-')), 'out.bin');
      const err = await f.db.objects.downloadFile('c', 'x', path).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SmarterBaseError);
      expect((err as SmarterBaseError).reason).toBe('OBJECT_CORRUPT');
      expect(existsSync(path) || existsSync(`${path}.part`)).toBe(false);
    } finally {
      await f.close();
    }
  });

  it('writes a verified file', async () => {
    const body = bodyOf(4321);
    const f = await fakeObjectServer({ body, failAt: { 1: 2000 } });
    try {
      const path = join(mkdtempSync(join(tmpdir(), 'sb-obj-')), 'out.bin');
      await f.db.objects.downloadFile('c', 'x', path);
      expect(sha(readFileSync(path))).toBe(sha(body));
      expect(existsSync(`${path}.part`)).toBe(false);
    } finally {
      await f.close();
    }
  });

  it('gives up at once on a non-retryable error', async () => {
    const f = await fakeObjectServer({ body: bodyOf(100) });
    try {
      const err = await f.db.objects.downloadBytes('c', 'x', { ifMatch: 'stale' }).catch((e: unknown) => e);
      expect((err as SmarterBaseError).reason).toBe('ETAG_MISMATCH');
      expect(f.downloads).toHaveLength(1);
    } finally {
      await f.close();
    }
  });
});
