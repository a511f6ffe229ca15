/**
 * A fake ObjectService for the resumable-upload specs: a real server on
 * 127.0.0.1:0 (HTTP/2 for gRPC, or HTTP/1.1 for the connect transport)
 * keeping uploads in memory with the server's offset rules (ADR 0013 §3):
 * a write may start at most at the committed size, bytes below it are
 * skipped, above it FAILED_PRECONDITION / UPLOAD_OFFSET_MISMATCH; data after
 * completion UPLOAD_FINISHED; an unknown id UPLOAD_NOT_FOUND.
 *
 * Write call n (WriteUpload streams and WriteAt calls counted together,
 * 1-based) plays script[n - 1]: `busy` fails it at once with UPLOAD_BUSY and
 * a RetryInfo delay; otherwise, once `after` bytes were received in the call,
 * it keeps them minus `lose` (bytes the server never made durable) and fails
 * with UNAVAILABLE (`fail: 'unavailable'`) or by dropping every HTTP
 * connection (`fail: 'drop'`).
 */
import * as http from 'node:http';
import * as http2 from 'node:http2';
import type * as net from 'node:net';
import { createHash } from 'node:crypto';
import { durationFromMs } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError } from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import { createClient } from '../src/client.js';
import type { ClientOptions } from '../src/options.js';
import { ErrorInfoSchema, RetryInfoSchema } from '../src/gen/google/rpc/error_details_pb.js';
import type { UploadHeader } from '../src/gen/smarterbase/v1/object_pb.js';
import { ObjectService } from '../src/gen/smarterbase/v1/object_service_pb.js';

/** What write call n does (undefined: behave). */
export type WriteStep = { busy: number } | { after: number; fail: 'unavailable' | 'drop'; lose?: number } | undefined;

/** An error as the SmarterBase server sends it (ErrorInfo, optional RetryInfo). */
export const serverError = (code: Code, reason: string, retryMs?: number) =>
  new ConnectError(reason.toLowerCase(), code, undefined, [
    { desc: ErrorInfoSchema, value: { reason, domain: 'smarterbase.v1' } },
    ...(retryMs === undefined ? [] : [{ desc: RetryInfoSchema, value: { retryDelay: durationFromMs(retryMs) } }]),
  ]);

/** One upload session of the fake. */
export interface FakeUpload {
  readonly header: UploadHeader;
  data: Buffer;
  complete: boolean;
}

/** One write call as the fake saw it. */
export interface WriteCall {
  readonly kind: 'stream' | 'at';
  readonly offset: number;
  bytes: number;
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Starts the fake; `script[n]` applies to write call n + 1. */
export async function fakeUploadServer(opts: { script?: WriteStep[]; http1?: boolean; client?: Partial<ClientOptions> } = {}) {
  const uploads = new Map<string, FakeUpload>();
  const writes: WriteCall[] = [];
  let started = 0;
  let queries = 0;
  const sockets = new Set<net.Socket | http2.ServerHttp2Session>();

  const session = (id: string): FakeUpload => {
    const u = uploads.get(id);
    if (u === undefined) throw serverError(Code.NotFound, 'UPLOAD_NOT_FOUND');
    return u;
  };
  const answer = (u: FakeUpload) => ({
    committedSize: BigInt(u.data.length),
    complete: u.complete,
    object: u.complete
      ? { collection: u.header.collection, id: u.header.id, etag: 'e1', version: 1n, sizeBytes: BigInt(u.data.length), sha256: sha(u.data) }
      : undefined,
  });
  /** Appends `data` at object offset `at` under the offset rules; returns the bytes received. */
  const accept = (u: FakeUpload, at: number, data: Uint8Array): void => {
    if (u.complete) throw serverError(Code.FailedPrecondition, 'UPLOAD_FINISHED');
    if (at > u.data.length) throw serverError(Code.FailedPrecondition, 'UPLOAD_OFFSET_MISMATCH');
    const fresh = data.subarray(u.data.length - at);
    if (fresh.length > 0) u.data = Buffer.concat([u.data, fresh]);
  };
  /** Applies the script step of a call after `received` bytes; throws when it fails the call. */
  const check = (step: WriteStep, call: WriteCall, u: FakeUpload): void => {
    if (step === undefined || 'busy' in step || call.bytes < step.after) return;
    u.data = u.data.subarray(0, Math.max(0, u.data.length - (step.lose ?? 0)));
    if (step.fail === 'drop') {
      for (const s of sockets) s.destroy();
      throw new ConnectError('dropped', Code.Unavailable);
    }
    throw serverError(Code.Unavailable, 'BACKEND_UNAVAILABLE');
  };
  const begin = (kind: WriteCall['kind'], offset: number): { call: WriteCall; step: WriteStep } => {
    const call = { kind, offset, bytes: 0 };
    const n = writes.push(call);
    const step = opts.script?.[n - 1];
    if (step !== undefined && 'busy' in step) throw serverError(Code.Aborted, 'UPLOAD_BUSY', step.busy);
    return { call, step };
  };

  const adapter = connectNodeAdapter({
    routes: (r) =>
      r.service(ObjectService, {
        async startUpload(req) {
          const uploadId = `u${++started}`;
          uploads.set(uploadId, { header: req.header!, data: Buffer.alloc(0), complete: false });
          return { uploadId, partSizeBytes: 8n << 20n };
        },
        async writeUpload(reqs) {
          let u: FakeUpload | undefined;
          let at = 0;
          let w: { call: WriteCall; step: WriteStep } | undefined;
          for await (const m of reqs) {
            if (u === undefined) {
              u = session(m.uploadId);
              at = Number(m.writeOffset);
              w = begin('stream', at);
            }
            accept(u, at, m.data);
            at += m.data.length;
            w!.call.bytes += m.data.length;
            check(w!.step, w!.call, u);
            if (m.finishWrite) u.complete = true;
          }
          if (u === undefined) throw serverError(Code.InvalidArgument, 'FIELD_REQUIRED');
          return answer(u);
        },
        async writeAt(req) {
          const u = session(req.uploadId);
          const w = begin('at', Number(req.writeOffset));
          accept(u, Number(req.writeOffset), req.data);
          w.call.bytes = req.data.length;
          check(w.step, w.call, u);
          if (req.finishWrite) u.complete = true;
          return answer(u);
        },
        async queryUploadStatus(req) {
          queries++;
          return answer(session(req.uploadId));
        },
        async completeUpload(req) {
          const u = session(req.uploadId);
          u.complete = true;
          return { object: answer(u).object };
        },
        async abortUpload(req) {
          session(req.uploadId);
          uploads.delete(req.uploadId);
          return {};
        },
      }),
  });
  const server = opts.http1 ? http.createServer(adapter) : http2.createServer(adapter);
  server.on(opts.http1 ? 'connection' : 'session', (s: net.Socket | http2.ServerHttp2Session) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const db = createClient({ address: `127.0.0.1:${port}`, transport: opts.http1 ? 'connect' : 'grpc', ...opts.client });
  return {
    db,
    uploads,
    writes,
    started: () => started,
    queries: () => queries,
    close: async () => {
      db.close();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
