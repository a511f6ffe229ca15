import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { S3ObjectStore } from './s3-object-store.js';
import { S3BlobStore } from './s3-store.js';
import { sseParams } from './sse.js';

test('no SSE sends nothing; AES256 sends the mode; aws:kms sends the mode and the key id when given', () => {
  expect(sseParams(undefined)).toEqual({});
  expect(sseParams({})).toEqual({});
  expect(sseParams({ mode: 'AES256', kmsKeyId: 'ignored' })).toEqual({ ServerSideEncryption: 'AES256' });
  expect(sseParams({ mode: 'aws:kms' })).toEqual({ ServerSideEncryption: 'aws:kms' });
  expect(sseParams({ mode: 'aws:kms', kmsKeyId: 'arn:aws:kms:k' })).toEqual({
    ServerSideEncryption: 'aws:kms',
    SSEKMSKeyId: 'arn:aws:kms:k',
  });
});

describe('both S3 clients send the SSE headers on every object write', () => {
  /** A loopback S3 stand-in that records each request's method, URL and SSE headers. */
  async function recordingServer(): Promise<{
    endpoint: string;
    seen: Array<Record<string, string | undefined>>;
    close: () => Promise<void>;
  }> {
    const seen: Array<Record<string, string | undefined>> = [];
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        seen.push({
          method: req.method,
          url: req.url,
          sse: req.headers['x-amz-server-side-encryption'] as string | undefined,
          kms: req.headers['x-amz-server-side-encryption-aws-kms-key-id'] as string | undefined,
        });
        if (req.method === 'POST') {
          res.writeHead(200, { 'content-type': 'application/xml' });
          res.end('<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>u1</UploadId></InitiateMultipartUploadResult>');
          return;
        }
        res.writeHead(200, { etag: '"0123456789abcdef0123456789abcdef"' });
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return { endpoint: `http://127.0.0.1:${port}`, seen, close: () => new Promise((r) => server.close(() => r())) };
  }

  test.each([
    ['AES256', { mode: 'AES256' as const }, 'AES256', undefined],
    ['aws:kms with a key', { mode: 'aws:kms' as const, kmsKeyId: 'arn:aws:kms:eu:1:key/k' }, 'aws:kms', 'arn:aws:kms:eu:1:key/k'],
    ['off', undefined, undefined, undefined],
  ])('%s', async (_name, sse, header, kms) => {
    const s3 = await recordingServer();
    const blobs = new S3BlobStore({
      bucket: 'b',
      endpoint: s3.endpoint,
      forcePathStyle: true,
      accessKeyId: 'a',
      secretAccessKey: 's',
      maxAttempts: 1,
      ...(sse ? { sse } : {}),
    });
    try {
      await blobs.put('docs/c/1', Buffer.from('{}'));
      await blobs.put('docs/c/1', Buffer.from('{}'), { ifMatch: 'x' });
      const objects = new S3ObjectStore({ client: blobs.client, bucket: 'b', ...(sse ? { sse } : {}) });
      await objects.putSmall('_objdata/c/1/v', Buffer.from('data'));
      expect(await objects.startUpload('_objdata/c/1/w')).toBe('u1');
      expect(s3.seen.map((r) => r.method)).toEqual(['PUT', 'PUT', 'PUT', 'POST']);
      for (const r of s3.seen) expect([r.sse, r.kms]).toEqual([header, kms]);
    } finally {
      await blobs.close();
      await s3.close();
    }
  });
});
