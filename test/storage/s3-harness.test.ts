/** The S3 server harnesses themselves (gofakes3, versitygw): start, answer, stop, and a clear error without the binary. */
import { connect } from 'node:net';
import { startS3Server } from '../harness/s3-server.js';
import { startVersitygw } from '../harness/versitygw.js';
import { selectedS3Implementations } from '../harness/s3-implementations.js';
import { S3BlobStore } from '../../server/src/storage/s3/s3-store.js';

function canConnect(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

describe('startS3Server', () => {
  it('serves the bucket on a loopback port and stops (idempotently)', async () => {
    const server = await startS3Server('harness-bucket');
    expect(server.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.bucket).toBe('harness-bucket');
    const res = await fetch(`${server.endpoint}/harness-bucket?list-type=2`);
    expect(res.status).toBe(200);
    await server.stop();
    await server.stop();
    expect(await canConnect(server.endpoint)).toBe(false);
  });

  it('two servers at once get different ports', async () => {
    const [a, b] = await Promise.all([startS3Server(), startS3Server()]);
    expect(a.endpoint).not.toBe(b.endpoint);
    await Promise.all([a.stop(), b.stop()]);
  });

  it('without the binary it tells you to run scripts/setup.sh', async () => {
    const saved = process.env.GOFAKES3;
    process.env.GOFAKES3 = '/nonexistent/gofakes3';
    try {
      await expect(startS3Server()).rejects.toThrow(/bash scripts\/setup\.sh/);
    } finally {
      if (saved === undefined) delete process.env.GOFAKES3;
      else process.env.GOFAKES3 = saved;
    }
  });
});

describe('startVersitygw', () => {
  it('serves the bucket on a loopback port to signed requests and stops (idempotently)', async () => {
    const server = await startVersitygw('harness-bucket');
    expect(server.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const store = new S3BlobStore({
      bucket: server.bucket,
      endpoint: server.endpoint,
      forcePathStyle: true,
      accessKeyId: 'test',
      secretAccessKey: 'test',
    });
    await store.put('k', Buffer.from('v'));
    expect((await store.list({ prefix: '', limit: 10 })).keys).toEqual(['k']);
    await store.close();
    await server.stop();
    await server.stop();
    expect(await canConnect(server.endpoint)).toBe(false);
  });

  it('without the binary it tells you to run scripts/setup.sh', async () => {
    const saved = process.env.VERSITYGW;
    process.env.VERSITYGW = '/nonexistent/versitygw';
    try {
      await expect(startVersitygw()).rejects.toThrow(/bash scripts\/setup\.sh/);
    } finally {
      if (saved === undefined) delete process.env.VERSITYGW;
      else process.env.VERSITYGW = saved;
    }
  });
});

describe('selectedS3Implementations', () => {
  it('defaults to the CI pair, takes SB_TEST_S3 and refuses an unknown name', () => {
    expect(selectedS3Implementations({}).map((i) => i.name)).toEqual(['gofakes3', 'versitygw']);
    expect(selectedS3Implementations({ SB_TEST_S3: 'versitygw, moto' }).map((i) => i.name)).toEqual(['versitygw', 'moto']);
    expect(() => selectedS3Implementations({ SB_TEST_S3: 'nope' })).toThrow(/unknown S3 implementation nope/);
  });
});
