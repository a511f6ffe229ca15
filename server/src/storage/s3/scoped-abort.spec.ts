import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { Readable } from 'node:stream';
import { abortWith, installAbortSignals, ScopedAbortHttpHandler } from './scoped-abort.js';

type Handle = NodeHttpHandler['handle'];

/** A client whose HTTP handler records each request's abort signal and headers, answering 200 without a network. */
function recordingClient() {
  const seen: { signal: AbortSignal | undefined; headers: Record<string, string> }[] = [];
  jest.spyOn(NodeHttpHandler.prototype, 'handle').mockImplementation(((request, options) => {
    seen.push({ signal: options?.abortSignal as AbortSignal | undefined, headers: { ...request.headers } });
    const body = Readable.from([Buffer.from('{}')]);
    return Promise.resolve({ response: { statusCode: 200, headers: { etag: '"e"' }, body } });
  }) as Handle);
  const client = new S3Client({
    endpoint: 'http://127.0.0.1:9',
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: { accessKeyId: 'a', secretAccessKey: 's' },
    maxAttempts: 1,
    cacheMiddleware: true,
    requestHandler: new ScopedAbortHttpHandler(),
  });
  installAbortSignals(client);
  return { client, seen };
}

afterEach(() => jest.restoreAllMocks());

describe('abortWith + installAbortSignals + ScopedAbortHttpHandler', () => {
  it("hands each send's own signal to its HTTP request, with concurrent sends on one cached stack", async () => {
    const { client, seen } = recordingClient();
    const a = new AbortController();
    const b = new AbortController();
    await Promise.all([
      client.send(new GetObjectCommand(abortWith(a.signal, { Bucket: 'b', Key: 'x' }))),
      client.send(new GetObjectCommand(abortWith(b.signal, { Bucket: 'b', Key: 'y' }))),
    ]);
    expect(seen.map((s) => s.signal)).toEqual([a.signal, b.signal]);
    client.destroy();
  });

  it('passes no signal for an input registered with none, and the signal never becomes a header', async () => {
    const { client, seen } = recordingClient();
    await client.send(new GetObjectCommand({ Bucket: 'b', Key: 'x' }));
    const c = new AbortController();
    await client.send(new PutObjectCommand(abortWith(c.signal, { Bucket: 'b', Key: 'x', Body: 'x', Metadata: { m: '1' } })));
    expect(seen[0].signal).toBeUndefined();
    expect(seen[1].signal).toBe(c.signal);
    expect(Object.keys(seen[1].headers).filter((h) => h.startsWith('x-amz-meta-'))).toEqual(['x-amz-meta-m']);
    client.destroy();
  });

  it('installing twice keeps one middleware', () => {
    const { client } = recordingClient();
    const before = client.middlewareStack.identify().length;
    installAbortSignals(client);
    expect(client.middlewareStack.identify()).toHaveLength(before);
    client.destroy();
  });
});
