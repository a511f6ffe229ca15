import * as http2 from 'node:http2';
import { createClient } from '@connectrpc/connect';
import { createConnectTransport, createGrpcTransport } from '@connectrpc/connect-node';
import { Health, HealthCheckResponse_ServingStatus as S } from '../gen/grpc/health/v1/health_pb.js';
import { ConnectEndpoint } from './connect-mount.js';
import { typedService } from './typed-service.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function endpoint(delayMs = 0): ConnectEndpoint {
  const impl = {
    async check() {
      await sleep(delayMs);
      return { status: S.SERVING };
    },
    async *watch() {
      yield { status: S.SERVING };
    },
  };
  return new ConnectEndpoint({ services: [typedService(Health, impl)], readMaxBytes: 1 << 20, writeMaxBytes: 1 << 20 });
}

describe('ConnectEndpoint', () => {
  test('one port serves HTTP/1.1 (Connect) and h2c prior knowledge (gRPC, Connect)', async () => {
    const ep = endpoint();
    const port = await ep.listen('127.0.0.1', 0);
    const base = `http://127.0.0.1:${port}`;
    try {
      expect((await createClient(Health, createConnectTransport({ baseUrl: base, httpVersion: '1.1' })).check({})).status).toBe(S.SERVING);
      expect((await createClient(Health, createGrpcTransport({ baseUrl: base })).check({})).status).toBe(S.SERVING);
      expect((await createClient(Health, createConnectTransport({ baseUrl: base, httpVersion: '2' })).check({})).status).toBe(S.SERVING);
      // A raw h2c request proves the HTTP/2 path, not a fallback.
      const session = http2.connect(base);
      const req = session.request({ ':method': 'POST', ':path': '/grpc.health.v1.Health/Check', 'content-type': 'application/json' });
      req.end('{}');
      const [status, body] = await new Promise<[number, string]>((resolve) => {
        let data = '';
        let st = 0;
        req.on('response', (h) => {
          st = Number(h[':status']);
        });
        req.on('data', (d: Buffer) => {
          data += d.toString();
        });
        req.on('end', () => resolve([st, data]));
      });
      session.close();
      expect(status).toBe(200);
      expect(JSON.parse(body)).toEqual({ status: 'SERVING' });
      const notFound = await fetch(`${base}/nope.Service/Method`, { method: 'POST' });
      expect(notFound.status).toBe(501); // Connect's HTTP status of unimplemented
      expect(((await notFound.json()) as { code: string }).code).toBe('unimplemented');
    } finally {
      await ep.shutdown(100);
    }
  });

  test('shutdown waits for in-flight requests, then refuses connections', async () => {
    const ep = endpoint(300);
    const port = await ep.listen('127.0.0.1', 0);
    const client = createClient(Health, createConnectTransport({ baseUrl: `http://127.0.0.1:${port}`, httpVersion: '1.1' }));
    const inflight = client.check({});
    // Wait for the request to reach the handler (it then sleeps 300 ms): polled, not a fixed sleep.
    for (const deadline = Date.now() + 5000; ep.activeRequests() === 0 && Date.now() < deadline;) await sleep(5);
    expect(ep.activeRequests()).toBe(1);
    const t0 = Date.now();
    await ep.shutdown(5000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(200);
    expect((await inflight).status).toBe(S.SERVING);
    await expect(
      fetch(`http://127.0.0.1:${port}/grpc.health.v1.Health/Check`, {
        method: 'POST',
        body: '{}',
        headers: { 'content-type': 'application/json' },
      }),
    ).rejects.toThrow();
  });
});
