/**
 * The worker thread of the decode-stall benchmark that keeps sending one
 * oversized request (already encoded) until told to stop, one at a time,
 * and reports how each was answered. It runs on its own thread so that
 * sending 5 MB does not delay the small calls the main thread measures.
 */
import * as http from 'node:http';
import * as http2 from 'node:http2';
import { parentPort, workerData } from 'node:worker_threads';
import { status as GrpcStatus } from '@grpc/grpc-js';

/** What the worker sends, and where. */
export interface AbuserJob {
  /** Port to send to (127.0.0.1). */
  readonly port: number;
  /** 'grpc': gRPC over h2c; 'connect': Connect over HTTP/1.1. */
  readonly protocol: 'grpc' | 'connect';
  /** Request path, e.g. /smarterbase.v1.DocumentService/BatchGet. */
  readonly path: string;
  /** Content type of the request. */
  readonly contentType: string;
  /** The request body, as sent (enveloped where the protocol wants it). */
  readonly body: Uint8Array;
}

/** What the worker reports when stopped. */
export interface AbuserReport {
  /** Requests answered. */
  readonly sent: number;
  /** How many answers of each kind ("INVALID_ARGUMENT: message…"). */
  readonly outcomes: Record<string, number>;
  /** Time from sending to the complete answer of each request, ms. */
  readonly latenciesMs: number[];
}

function outcome(code: string, message: string | undefined): string {
  const m = decodeURIComponent(message ?? '').replace(/\d{4,}/g, 'N');
  return `${code}: ${m.length > 70 ? `${m.slice(0, 70)}…` : m}`;
}

function grpcCall(session: http2.ClientHttp2Session, job: AbuserJob): Promise<string> {
  return new Promise((resolve) => {
    const stream = session.request({ ':method': 'POST', ':path': job.path, 'content-type': job.contentType, te: 'trailers' });
    let meta: http2.IncomingHttpHeaders = {};
    stream.on('response', (h) => {
      if (h['grpc-status'] !== undefined) meta = h;
    });
    stream.on('trailers', (t) => {
      meta = t;
    });
    stream.on('data', () => undefined);
    stream.on('error', (e: Error) => resolve(`stream error: ${e.message}`));
    stream.on('close', () => {
      const code = Number(meta['grpc-status']);
      resolve(
        Number.isInteger(code)
          ? outcome((GrpcStatus[code] as string | undefined) ?? String(code), meta['grpc-message'] as string | undefined)
          : `reset ${stream.rstCode}`,
      );
    });
    stream.end(job.body);
  });
}

/** The error of a Connect answer: a unary JSON error body, or the end-stream message of a stream. */
function connectOutcome(status: number, body: Buffer, streaming: boolean): string {
  let json = body;
  if (streaming) {
    let pos = 0;
    while (pos + 5 <= body.length) {
      const len = body.readUInt32BE(pos + 1);
      if ((body[pos]! & 0x02) !== 0) json = body.subarray(pos + 5, pos + 5 + len);
      pos += 5 + len;
    }
  }
  try {
    const parsed = JSON.parse(json.toString('utf8')) as { code?: string; message?: string; error?: { code?: string; message?: string } };
    const err = parsed.error ?? parsed;
    if (err.code !== undefined) return outcome(err.code.toUpperCase(), err.message);
  } catch {
    // not JSON
  }
  return `HTTP ${status}`;
}

function connectCall(agent: http.Agent, job: AbuserJob): Promise<string> {
  return new Promise((resolve) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: job.port,
        path: job.path,
        method: 'POST',
        agent,
        headers: { 'content-type': job.contentType, 'connect-protocol-version': '1', 'content-length': job.body.length },
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () =>
          resolve(connectOutcome(res.statusCode ?? 0, Buffer.concat(parts), job.contentType.startsWith('application/connect+'))),
        );
        res.on('error', (e) => resolve(`response error: ${e.message}`));
      },
    );
    req.on('error', (e) => resolve(`request error: ${e.message}`));
    req.end(job.body);
  });
}

async function run(job: AbuserJob): Promise<void> {
  let stop = false;
  parentPort?.on('message', () => {
    stop = true;
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let session: http2.ClientHttp2Session | undefined;
  const outcomes: Record<string, number> = {};
  const latenciesMs: number[] = [];
  while (!stop) {
    if (job.protocol === 'grpc' && (session === undefined || session.destroyed || session.closed)) {
      session = http2.connect(`http://127.0.0.1:${job.port}`);
      session.on('error', () => undefined);
    }
    const t = performance.now();
    const o = job.protocol === 'grpc' ? await grpcCall(session!, job) : await connectCall(agent, job);
    latenciesMs.push(performance.now() - t);
    outcomes[o] = (outcomes[o] ?? 0) + 1;
  }
  session?.destroy();
  agent.destroy();
  const report: AbuserReport = { sent: latenciesMs.length, outcomes, latenciesMs };
  parentPort?.postMessage(report);
}

if (parentPort !== null) void run(workerData as AbuserJob);
