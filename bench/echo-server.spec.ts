import type { Server } from '@grpc/grpc-js';
import { CLIENT_KINDS, createDocClient } from './doc-client.js';
import { PRE_ENCODED_DOCUMENT, startEchoServer } from './echo-server.js';

describe('echo server with both benchmark clients', () => {
  let server: Server;
  let port: number;

  beforeAll(async () => {
    ({ server, port } = await startEchoServer(1024));
  });
  afterAll(() => {
    server.forceShutdown();
  });

  it.each(CLIENT_KINDS)('answers Get through the %s client with the 1 KB document of the requested id', async (kind) => {
    const client = createDocClient(kind, `127.0.0.1:${port}`);
    try {
      const res = await client.get('bench', 'doc-7');
      expect(res.document?.collection).toBe('bench');
      expect(res.document?.id).toBe('doc-7');
      expect(Buffer.byteLength(JSON.stringify(res.document?.data))).toBe(1024);
      expect(res.document?.version).toBe(1n);
    } finally {
      client.close();
    }
  });

  it.each(CLIENT_KINDS)('the %s load call succeeds and returns the response', async (kind) => {
    const client = createDocClient(kind, `127.0.0.1:${port}`);
    try {
      const call = client.loadCall('bench', 'doc-8');
      const first = await call();
      await call();
      // The undecoded kind hands back the wire bytes: the 1 KB document and its envelope.
      if (kind === 'grpc-js-undecoded') expect((first as Buffer).length).toBeGreaterThan(1024);
      else expect((first as { document?: { id: string } }).document?.id).toBe('doc-8');
    } finally {
      client.close();
    }
  });

  it.each(CLIENT_KINDS)('rejects a method the echo server lacks (Put) through the %s client', async (kind) => {
    const client = createDocClient(kind, `127.0.0.1:${port}`);
    try {
      await expect(client.put('bench', 'x', { a: 1 })).rejects.toThrow(/unimplemented/i);
    } finally {
      client.close();
    }
  });
});

describe('pre-encoded echo server', () => {
  let server: Server;
  let port: number;

  beforeAll(async () => {
    ({ server, port } = await startEchoServer(1024, true));
  });
  afterAll(() => {
    server.forceShutdown();
  });

  it('answers any Get with the same bytes as the decoding echo gives for bench/doc-1kb', async () => {
    const reference = await startEchoServer(1024);
    const fixed = createDocClient('grpc-js-undecoded', `127.0.0.1:${port}`);
    const decoding = createDocClient('grpc-js', `127.0.0.1:${port}`);
    const ref = createDocClient('grpc-js-undecoded', `127.0.0.1:${reference.port}`);
    try {
      const res = await decoding.get('other', 'doc-9');
      expect(res.document?.collection).toBe(PRE_ENCODED_DOCUMENT.collection);
      expect(res.document?.id).toBe(PRE_ENCODED_DOCUMENT.id);
      expect(Buffer.byteLength(JSON.stringify(res.document?.data))).toBe(1024);
      const bytes = (await fixed.loadCall('x', 'y')()) as Buffer;
      const expected = (await ref.loadCall(PRE_ENCODED_DOCUMENT.collection, PRE_ENCODED_DOCUMENT.id)()) as Buffer;
      expect(bytes.length).toBe(expected.length);
    } finally {
      fixed.close();
      decoding.close();
      ref.close();
      reference.server.forceShutdown();
    }
  });
});
