import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import type { DocumentApi } from '../../api/document-api.js';
import { Health, HealthCheckResponse_ServingStatus as S } from '../../gen/grpc/health/v1/health_pb.js';
import { HealthMonitor } from '../../common/health-monitor.js';
import { RpcServer } from './rpc-server.js';

describe('RpcServer', () => {
  test('start binds two distinct free ports for port 0; both serve health; shutdown releases them', async () => {
    const server = new RpcServer({ api: {} as DocumentApi, grpcPort: 0, httpPort: 0 });
    const ports = await server.start();
    expect(ports.grpcPort).toBeGreaterThan(0);
    expect(ports.httpPort).toBeGreaterThan(0);
    expect(ports.grpcPort).not.toBe(ports.httpPort);
    for (const port of [ports.grpcPort, ports.httpPort]) {
      const h = createClient(Health, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` }));
      expect((await h.check({ service: 'smarterbase.v1.DocumentService' })).status).toBe(S.SERVING);
    }
    await server.shutdown(100);
    expect(server.health.status()).toBe(S.NOT_SERVING);
    const again = new RpcServer({ api: {} as DocumentApi, grpcPort: ports.grpcPort, httpPort: ports.httpPort });
    await expect(again.start()).resolves.toEqual(ports);
    await again.shutdown(100);
  });

  test('a taken port fails start', async () => {
    const a = new RpcServer({ api: {} as DocumentApi, grpcPort: 0, httpPort: 0 });
    const ports = await a.start();
    const b = new RpcServer({ api: {} as DocumentApi, grpcPort: 0, httpPort: ports.httpPort });
    await expect(b.start()).rejects.toThrow(/EADDRINUSE/);
    await Promise.all([a.shutdown(100), b.shutdown(100)]);
  });

  test('backends: both ports report smarterbase.storage / smarterbase.coordination from the monitor', async () => {
    let storageUp = true;
    const backends = new HealthMonitor({
      probes: {
        storage: async () => {
          if (!storageUp) throw new Error('down');
        },
        coordination: async () => undefined,
      },
      intervalMs: 60_000,
      failuresToDown: 1,
    });
    const server = new RpcServer({ api: {} as DocumentApi, grpcPort: 0, httpPort: 0, backends });
    const ports = await server.start();
    const clients = [ports.grpcPort, ports.httpPort].map((port) =>
      createClient(Health, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` })),
    );
    for (const h of clients) expect((await h.check({ service: 'smarterbase.storage' })).status).toBe(S.SERVING);
    storageUp = false;
    await backends.probeOnce();
    for (const h of clients) {
      expect((await h.check({ service: 'smarterbase.storage' })).status).toBe(S.NOT_SERVING);
      expect((await h.check({ service: '' })).status).toBe(S.NOT_SERVING);
      expect((await h.check({ service: 'smarterbase.coordination' })).status).toBe(S.SERVING);
    }
    await backends.close();
    await server.shutdown(100);
  });
});
