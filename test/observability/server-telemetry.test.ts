/**
 * The built server's Prometheus endpoint, scraped after real calls: call
 * counts by method and code on both ports, storage outcomes, and the S3
 * conditional-write gauges against gofakes3 (whose probe fails the
 * conditional-delete check, so the server runs in lock mode); metrics
 * switched off; and spans exported over OTLP/HTTP to a stub collector.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClient } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { DocumentService } from '../../server/src/gen/smarterbase/v1/document_service_pb.js';
import { docClient } from '../harness/doc-client.js';
import { startS3Server, type S3TestServer } from '../harness/s3-server.js';
import { startServer, type ServerProcess } from '../harness/server-process.js';

/** The metricsPort of the server's "listening" line (null when metrics are off). */
function metricsPortOf(server: ServerProcess): number | null {
  const line = server
    .output()
    .split('\n')
    .find((l) => l.includes('"msg":"listening"'));
  return (JSON.parse(line!) as { metricsPort: number | null }).metricsPort;
}

/** The value of the sample `name{...}` whose labels include all of `labels`; undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)\{(.*)\} (\S+)$/.exec(line);
    if (m === null || m[1] !== name) continue;
    const got = Object.fromEntries([...m[2]!.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}

describe('metrics endpoint of the server process', () => {
  let s3: S3TestServer;
  let server: ServerProcess;
  beforeAll(async () => {
    s3 = await startS3Server('sb-metrics');
    server = await startServer({
      SB_STORAGE: 's3',
      SB_S3_ENDPOINT: s3.endpoint,
      SB_S3_BUCKET: s3.bucket,
      SB_S3_FORCE_PATH_STYLE: 'true',
      SB_METRICS_PORT: '0',
    });
  });
  afterAll(async () => {
    await server?.stop();
    await s3?.stop();
  });

  test('after calls on both ports, /metrics has call counts by method and code, storage outcomes and the S3 probe result', async () => {
    const port = metricsPortOf(server);
    expect(port).toBeGreaterThan(0);
    const grpc = docClient(server.grpcUrl);
    const connect = createClient(
      DocumentService,
      createConnectTransport({ baseUrl: `http://127.0.0.1:${server.httpPort}`, httpVersion: '1.1' }),
    );
    await grpc.create({ collection: 'users', id: 'ada', data: { name: 'Ada' } });
    await expect(grpc.create({ collection: 'users', id: 'ada', data: {} })).rejects.toMatchObject({ code: 6 }); // ALREADY_EXISTS
    await grpc.get({ collection: 'users', id: 'ada' });
    await expect(connect.get({ collection: 'users', id: 'nobody' })).rejects.toMatchObject({ code: 5 }); // NOT_FOUND
    await connect.get({ collection: 'users', id: 'ada' });
    let batchItems = 0;
    for await (const item of grpc.batchGet({ collection: 'users', ids: ['ada', 'nobody', 'ada'] })) batchItems += item.found ? 1 : 0;
    expect(batchItems).toBe(2);

    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    const calls = (method: string, transport: string, code: number) =>
      sample(text, 'smarterbase_rpc_server_calls_total', {
        rpc_service: 'smarterbase.v1.DocumentService',
        rpc_method: method,
        transport,
        rpc_grpc_status_code: String(code),
      });
    expect(calls('Create', 'grpc', 0)).toBe(1);
    expect(calls('Create', 'grpc', 6)).toBe(1);
    expect(calls('Get', 'grpc', 0)).toBe(1);
    expect(calls('Get', 'connect', 5)).toBe(1);
    expect(calls('Get', 'connect', 0)).toBe(1);
    expect(calls('Get', 'grpc', 5)).toBeUndefined();
    expect(
      sample(text, 'smarterbase_rpc_server_duration_seconds_count', { rpc_method: 'Create', transport: 'grpc', rpc_grpc_status_code: '0' }),
    ).toBe(1);

    // Calls as the engine made them; requests as they went to S3 (lock mode on gofakes3: the first
    // create's condition is checked by a HEAD, the refused one against the etag memo, with no request).
    expect(sample(text, 'smarterbase_storage_calls_total', { op: 'put', outcome: 'ok', backend: 's3' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'smarterbase_storage_calls_total', { op: 'put', outcome: 'condition_failed', backend: 's3' })).toBe(1);
    expect(sample(text, 'smarterbase_storage_operations_total', { op: 'put', outcome: 'ok', backend: 's3' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'smarterbase_storage_operations_total', { op: 'head', outcome: 'ok', backend: 's3' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'smarterbase_storage_operations_total', { op: 'put', outcome: 'condition_failed', backend: 's3' })).toBeUndefined();

    // Per RPC method, the requests that reached S3 before the call answered (common/call-tally.ts).
    const requests = (method: string, transport: string) =>
      sample(text, 'smarterbase_rpc_server_storage_requests_total', {
        rpc_service: 'smarterbase.v1.DocumentService',
        rpc_method: method,
        transport,
      });
    expect(requests('Get', 'grpc')).toBe(1); // one GET
    expect(requests('Get', 'connect')).toBe(2); // one GET each, the absent document's included
    // Lock mode: the first Create is HEAD + PUT; the refused one is refused by the etag memo without a
    // request, then reads the document (one GET) to tell "exists" from "reserved by a transaction".
    expect(requests('Create', 'grpc')).toBe(3);
    expect(requests('BatchGet', 'grpc')).toBe(3); // a server stream: one GET per requested id, counted through ordered-map's signal
    expect(requests('Put', 'grpc')).toBe(0); // a method with no call has a zero series, not a missing one

    expect(sample(text, 'smarterbase_s3_conditional_native', { mode: 'lock', source: 'probe' })).toBe(0);
    expect(sample(text, 'smarterbase_s3_conditional_check', { check: 'deleteWrongEtagRefused', mode: 'lock' })).toBe(0);
    expect(sample(text, 'smarterbase_s3_conditional_check', { check: 'ifNoneMatchOnExistingRefused', mode: 'lock' })).toBe(1);
    expect(sample(text, 'smarterbase_build_info', { storage: 's3' })).toBe(1);
  });
});

describe('metrics switched off', () => {
  test('SB_METRICS=off logs metricsPort null and the server still serves', async () => {
    const server = await startServer({ SB_STORAGE: 'memory', SB_METRICS: 'off' });
    try {
      expect(metricsPortOf(server)).toBeNull();
      await docClient(server.grpcUrl).put({ collection: 'c', id: 'x', data: {} });
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });
});

describe('trace export over OTLP/HTTP', () => {
  test("SB_OTLP_ENDPOINT receives the RPC span (trace id from the caller's traceparent) and its storage spans, flushed at shutdown", async () => {
    const bodies: string[] = [];
    const paths: string[] = [];
    const collector = http.createServer((req, res) => {
      paths.push(req.url ?? '');
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        bodies.push(body);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
      });
    });
    await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
    const port = (collector.address() as AddressInfo).port;
    const server = await startServer({ SB_STORAGE: 'memory', SB_METRICS: 'false', SB_OTLP_ENDPOINT: `http://127.0.0.1:${port}` });
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    try {
      await docClient(server.grpcUrl).put(
        { collection: 'c', id: 'x', data: {} },
        { headers: { traceparent: `00-${traceId}-b7ad6b7169203331-01` } },
      );
    } finally {
      expect(await server.stop()).toBe(0);
      collector.close();
    }
    expect(paths).toContain('/v1/traces');
    const spans = bodies.flatMap((b) => (JSON.parse(b) as OtlpTraces).resourceSpans).flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
    const rpc = spans.find((s) => s.name === 'smarterbase.v1.DocumentService/Put');
    expect(rpc).toMatchObject({ traceId, parentSpanId: 'b7ad6b7169203331' });
    const storage = spans.filter((s) => s.name.startsWith('storage.'));
    // Background work makes root spans of its own: start-up (restoring index definitions: lists;
    // loading the token keyring: a get, maybe a put) and the storage health probe (a head of
    // _meta/health-probe). Every other storage span belongs to the call.
    const background = new Set(['storage.list', 'storage.get', 'storage.put', 'storage.head']);
    const startup = storage.filter((s) => s.parentSpanId === undefined || s.parentSpanId === '');
    expect(startup.filter((s) => !background.has(s.name) || s.traceId === traceId)).toEqual([]);
    const ofCall = storage.filter((s) => !startup.includes(s));
    expect(ofCall.length).toBeGreaterThan(0);
    for (const s of ofCall) expect(s).toMatchObject({ traceId, parentSpanId: rpc!.spanId });
  });
});

/** The part of an OTLP/JSON ExportTraceServiceRequest the test reads. */
interface OtlpTraces {
  resourceSpans: { scopeSpans: { spans: { name: string; traceId: string; spanId: string; parentSpanId?: string }[] }[] }[];
}
