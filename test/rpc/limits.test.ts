/** Message size limits on both ports, and compression only for large responses on the HTTP port. */
import { Code, ConnectError } from '@connectrpc/connect';
import { startFixture, type RpcFixture } from './rpc-fixture.js';

let fx: RpcFixture;
beforeAll(async () => {
  fx = await startFixture(undefined, 64 * 1024);
});
afterAll(async () => {
  await fx.server.shutdown(500);
});

test.each(['grpc', 'connect'] as const)(
  'over %s a request above maxMessageBytes is refused with RESOURCE_EXHAUSTED; one below passes',
  async (t) => {
    await fx[t].put({ collection: 'lim', id: `ok-${t}`, data: { s: 'x'.repeat(30 * 1024) } });
    const e = await fx[t]
      .put({ collection: 'lim', id: `big-${t}`, data: { s: 'x'.repeat(100 * 1024) } })
      .catch((x: unknown) => ConnectError.from(x));
    expect(e).toBeInstanceOf(ConnectError);
    expect((e as ConnectError).code).toBe(Code.ResourceExhausted);
  },
);

test('Connect responses are gzip-compressed only from 1 KiB', async () => {
  const c = fx.connect;
  await c.put({ collection: 'gz', id: 'small', data: { s: 'x' } });
  await c.put({ collection: 'gz', id: 'large', data: { s: 'y'.repeat(8 * 1024) } });
  const get = (id: string) =>
    fetch(`http://127.0.0.1:${fx.ports.httpPort}/smarterbase.v1.DocumentService/Get`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'accept-encoding': 'gzip' },
      body: JSON.stringify({ collection: 'gz', id }),
    });
  const small = await get('small');
  expect(small.headers.get('content-encoding')).toBeNull();
  const large = await get('large');
  expect(large.headers.get('content-encoding')).toBe('gzip');
  expect(((await large.json()) as { document: { data: { s: string } } }).document.data.s).toHaveLength(8 * 1024);
});
