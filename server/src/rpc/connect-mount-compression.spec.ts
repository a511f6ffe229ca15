import type { ServiceImpl } from '@connectrpc/connect';
import { ObjectService } from '../gen/smarterbase/v1/object_service_pb.js';
import { ConnectEndpoint } from './connect-mount.js';
import { typedService } from './typed-service.js';

// A response of about 8 KiB, well above the compression threshold (1 KiB).
const impl: Pick<ServiceImpl<typeof ObjectService>, 'statObject'> = {
  statObject: () => ({ object: { collection: 'c', id: 'x', contentType: 'x'.repeat(8192) } }),
};

async function contentEncoding(incompressible: boolean): Promise<string | null> {
  const ep = new ConnectEndpoint({
    services: [typedService(ObjectService, impl as ServiceImpl<typeof ObjectService>, { incompressible })],
    readMaxBytes: 1 << 20,
    writeMaxBytes: 1 << 20,
  });
  const port = await ep.listen('127.0.0.1', 0);
  try {
    const res = await fetch(`http://127.0.0.1:${port}/smarterbase.v1.ObjectService/StatObject`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'accept-encoding': 'gzip' },
      body: JSON.stringify({ collection: 'c', id: 'x' }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { object: { contentType: string } }).object.contentType).toHaveLength(8192);
    return res.headers.get('content-encoding');
  } finally {
    await ep.shutdown(0);
  }
}

test('an incompressible service answers uncompressed although the client accepts gzip; others are compressed', async () => {
  expect(await contentEncoding(false)).toBe('gzip');
  expect(await contentEncoding(true)).toBeNull();
});
