import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_S3_MAX_SOCKETS, S3BlobStore, type S3BlobStoreOptions } from './s3-store.js';

// Behaviour against real servers is in test/storage/s3-store.test.ts and the conformance suite.
describe('S3BlobStore configuration', () => {
  it('defaults: region us-east-1, 3 attempts, SDK default checksums on AWS', async () => {
    const store = new S3BlobStore({ bucket: 'b', accessKeyId: 'a', secretAccessKey: 's' });
    const config = store.client.config;
    expect(await config.region()).toBe('us-east-1');
    expect(await config.maxAttempts()).toBe(3);
    expect(await config.requestChecksumCalculation()).toBe('WHEN_SUPPORTED');
    await store.close();
  });

  it('a custom endpoint gets path style options and WHEN_REQUIRED checksums; static credentials are used', async () => {
    const store = new S3BlobStore({
      bucket: 'b',
      endpoint: 'http://127.0.0.1:9',
      forcePathStyle: true,
      region: 'eu-west-3',
      maxAttempts: 5,
      accessKeyId: 'AK',
      secretAccessKey: 'SK',
    });
    const config = store.client.config;
    expect(await config.region()).toBe('eu-west-3');
    expect(await config.maxAttempts()).toBe(5);
    expect(config.forcePathStyle).toBe(true);
    expect(await config.requestChecksumCalculation()).toBe('WHEN_REQUIRED');
    expect(await config.responseChecksumValidation()).toBe('WHEN_REQUIRED');
    expect(await config.credentials()).toMatchObject({ accessKeyId: 'AK', secretAccessKey: 'SK' });
    await store.close();
  });
});

describe('S3BlobStore connection pool', () => {
  /** A loopback HTTP server that holds every request until `release`, counting connections. */
  async function holdingServer() {
    const held: ServerResponse[] = [];
    let connections = 0;
    const server = createServer((_req, res) => void held.push(res));
    server.on('connection', () => connections++);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    return {
      endpoint: `http://127.0.0.1:${port}`,
      held: () => held.length,
      connections: () => connections,
      release: () =>
        held
          .splice(0)
          .forEach((res) => res.writeHead(404, { 'content-type': 'application/xml' }).end('<Error><Code>NoSuchKey</Code></Error>')),
      close: () => new Promise<void>((r) => server.close(() => r())),
    };
  }

  /** A store of bucket 'b' at `endpoint`, one attempt per call. */
  const storeAt = (endpoint: string, extra: Partial<S3BlobStoreOptions> = {}) =>
    new S3BlobStore({ bucket: 'b', endpoint, forcePathStyle: true, accessKeyId: 'a', secretAccessKey: 's', maxAttempts: 1, ...extra });

  const until = async (cond: () => boolean) => {
    for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  };

  it('opens at most maxSockets connections; further requests wait for one', async () => {
    const srv = await holdingServer();
    const store = storeAt(srv.endpoint, { maxSockets: 3 });
    const gets = Array.from({ length: 6 }, (_, i) => store.get(`k${i}`));
    await until(() => srv.held() >= 3);
    await new Promise((r) => setTimeout(r, 50)); // an absence cannot be polled: give a 4th request time to arrive
    expect(srv.held()).toBe(3);
    expect(srv.connections()).toBe(3);
    let done = false;
    const all = Promise.all(gets).finally(() => (done = true));
    while (!done) {
      srv.release(); // the freed sockets carry the waiting requests
      await until(() => srv.held() > 0 || done);
    }
    expect(await all).toEqual(Array(6).fill(undefined));
    expect(srv.connections()).toBe(3);
    await store.close();
    await srv.close();
  });

  it('defaults to the SDK default of 50 sockets (more than 8 requests run at once)', async () => {
    expect(DEFAULT_S3_MAX_SOCKETS).toBe(50);
    const srv = await holdingServer();
    const store = storeAt(srv.endpoint);
    const gets = Array.from({ length: 8 }, (_, i) => store.get(`k${i}`));
    await until(() => srv.held() >= 8);
    expect(srv.connections()).toBe(8);
    srv.release();
    await Promise.all(gets);
    await store.close();
    await srv.close();
  });
});
