import * as http from 'node:http';
import * as http2 from 'node:http2';
import type * as net from 'node:net';
import { Code } from '@connectrpc/connect';
import { createClient } from './client.js';
import { SmarterBaseError } from './errors.js';
import { resolveBaseUrl } from './transport.js';

/**
 * A plain HTTP server on 127.0.0.1 (HTTP/2 cleartext for gRPC, HTTP/1.1 for
 * Connect) that answers every request with 503, like a proxy whose backend is
 * down; both protocols map 503 to UNAVAILABLE. Counts the requests.
 */
async function unavailableServer(
  kind: 'grpc' | 'connect',
): Promise<{ address: string; requests: () => number; close: () => Promise<void> }> {
  let count = 0;
  const onRequest = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse): void => {
    count++;
    req.resume();
    req.on('end', () => {
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.end('no backend');
    });
  };
  const server = kind === 'grpc' ? http2.createServer(onRequest) : http.createServer(onRequest);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    requests: () => count,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('built-in transports', () => {
  it('resolves the base URL from address or baseUrl', () => {
    expect(resolveBaseUrl({ address: '127.0.0.1:50051' })).toBe('http://127.0.0.1:50051');
    expect(resolveBaseUrl({ baseUrl: 'https://db.example.com:8443/' })).toBe('https://db.example.com:8443');
  });

  it.each(['grpc', 'connect'] as const)('%s: retries a 503 answer maxAttempts times, then fails with UNAVAILABLE', async (transport) => {
    const backend = await unavailableServer(transport);
    const client = createClient({ address: backend.address, transport, retry: { maxAttempts: 3, initialBackoffMs: 1, maxBackoffMs: 5 } });
    try {
      const err = await client.get('c', 'a').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SmarterBaseError);
      expect((err as SmarterBaseError).code).toBe(Code.Unavailable);
      expect(backend.requests()).toBe(3);
    } finally {
      client.close();
      await backend.close();
    }
  });

  it.each(['grpc', 'connect'] as const)('%s: retry: false sends one attempt only', async (transport) => {
    const backend = await unavailableServer(transport);
    const client = createClient({ address: backend.address, transport, retry: false });
    try {
      const err = await client.get('c', 'a').catch((e: unknown) => e);
      expect((err as SmarterBaseError).code).toBe(Code.Unavailable);
      expect(backend.requests()).toBe(1);
    } finally {
      client.close();
      await backend.close();
    }
  });
});
