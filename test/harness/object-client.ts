/**
 * ObjectService helpers for cross-process tests: raw clients (gRPC to the
 * grpc-js port, Connect over HTTP/2 to the HTTP port), a deterministic
 * pseudo-random body of any size streamed in 1 MiB chunks with its SHA-256,
 * a download that hashes what it receives, and the server's resident memory
 * (VmRSS) sampled from /proc while a transfer runs.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createClient, type Client } from '@connectrpc/connect';
import { createConnectTransport, createGrpcTransport } from '@connectrpc/connect-node';
import type { MessageInitShape } from '@bufbuild/protobuf';
import {
  ObjectService,
  type DownloadRequestSchema,
  type UploadRequestSchema,
} from '../../server/src/gen/smarterbase/v1/object_service_pb.js';
import type { UploadHeaderSchema } from '../../server/src/gen/smarterbase/v1/object_pb.js';

/** An ObjectService client. */
export type ObjectClient = Client<typeof ObjectService>;

/** A client speaking native gRPC (HTTP/2) to `baseUrl`. */
export function grpcObjectClient(baseUrl: string): ObjectClient {
  return createClient(ObjectService, createGrpcTransport({ baseUrl }));
}

/** A client speaking the Connect protocol over HTTP/2 to the HTTP port at `baseUrl`. */
export function connectObjectClient(baseUrl: string): ObjectClient {
  return createClient(ObjectService, createConnectTransport({ baseUrl, httpVersion: '2', useBinaryFormat: true }));
}

const MiB = 1024 * 1024;

/** A body of `size` bytes: a random 1 MiB block whose first 8 bytes hold the chunk number, so no two chunks are equal. */
export class TestBody {
  private readonly block = randomBytes(MiB);
  private readonly hash = createHash('sha256');
  private digest: string | undefined;
  constructor(readonly size: number) {}

  /** The bytes in chunks of at most 1 MiB (hashed as they are produced). */
  *chunks(): Generator<Buffer> {
    for (let at = 0, n = 0; at < this.size; at += MiB, n++) {
      const chunk = Buffer.from(this.block.subarray(0, Math.min(MiB, this.size - at)));
      if (chunk.length >= 8) chunk.writeBigUInt64BE(BigInt(n), 0);
      this.hash.update(chunk);
      yield chunk;
    }
  }

  /** The SHA-256 of the body (after chunks() has been consumed once). */
  sha256(): string {
    return (this.digest ??= this.hash.digest('hex'));
  }
}

type UploadInit = MessageInitShape<typeof UploadRequestSchema>;

/** The messages of an upload: the header, then the chunks, the last with finish_write (an empty message when there are none). */
export async function* uploadMessages(
  header: MessageInitShape<typeof UploadHeaderSchema> & { collection: string; id: string },
  chunks: Iterable<Uint8Array>,
): AsyncGenerator<UploadInit> {
  yield { kind: { case: 'header', value: header } };
  let previous: Uint8Array | undefined;
  for (const c of chunks) {
    if (previous !== undefined) yield { kind: { case: 'data', value: previous } };
    previous = c;
  }
  yield previous === undefined ? { finishWrite: true } : { kind: { case: 'data', value: previous }, finishWrite: true };
}

/** What a download received. */
export interface Downloaded {
  readonly etag: string;
  readonly sizeBytes: number;
  readonly sha256: string;
  readonly startOffset: number;
  readonly bytes: number;
  /** The SHA-256 of the bytes received. */
  readonly receivedSha256: string;
  /** The bytes themselves when `keep` was set. */
  readonly body?: Buffer;
}

/** Downloads and hashes (keeping the bytes only with `keep`). */
export async function download(
  client: ObjectClient,
  req: MessageInitShape<typeof DownloadRequestSchema> & { collection: string; id: string },
  keep = false,
): Promise<Downloaded> {
  const hash = createHash('sha256');
  const kept: Buffer[] = [];
  let first: { etag: string; sizeBytes: number; sha256: string; startOffset: number } | undefined;
  let bytes = 0;
  for await (const msg of client.download(req)) {
    if (first === undefined) {
      const o = msg.object!;
      first = { etag: o.etag, sizeBytes: Number(o.sizeBytes), sha256: o.sha256, startOffset: Number(msg.offset) };
    }
    if (msg.data.byteLength === 0) continue;
    if (Number(msg.offset) !== first.startOffset + bytes) throw new Error(`data at ${msg.offset}, expected ${first.startOffset + bytes}`);
    hash.update(msg.data);
    if (keep) kept.push(Buffer.from(msg.data));
    bytes += msg.data.byteLength;
  }
  if (first === undefined) throw new Error('download sent no message');
  return { ...first, bytes, receivedSha256: hash.digest('hex'), ...(keep ? { body: Buffer.concat(kept) } : {}) };
}

/** The resident set size of process `pid`, in bytes (VmRSS of /proc/<pid>/status). */
export function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (m === null) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]) * 1024;
}

/** Samples rssBytes(pid) every `everyMs` until stopped; stop() returns the peak. */
export function sampleRss(pid: number, everyMs = 50): { stop(): number } {
  let peak = rssBytes(pid);
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, rssBytes(pid));
    } catch {
      // the process is gone; the test fails on its own
    }
  }, everyMs);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.max(peak, rssBytes(pid));
    },
  };
}
