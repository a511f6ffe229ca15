import { createServer, connect, type Server } from 'node:net';
import { performance } from 'node:perf_hooks';
import { startDelayProxy, type DelayProxy } from './delay-proxy.js';

describe('startDelayProxy', () => {
  let echo: Server;
  let proxy: DelayProxy;
  afterEach(async () => {
    await proxy?.close();
    await new Promise((r) => echo.close(r));
  });

  it('forwards bytes both ways in order and adds about twice the one-way delay to a round trip', async () => {
    echo = createServer((s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    const port = (echo.address() as { port: number }).port;
    proxy = await startDelayProxy(port, 20);
    const socket = connect({ host: '127.0.0.1', port: proxy.port });
    await new Promise((r) => socket.once('connect', r));
    const payload = Array.from({ length: 50 }, (_, i) => `chunk-${i};`).join('');
    let received = '';
    const t0 = performance.now();
    const firstByte = new Promise<number>((r) => socket.once('data', () => r(performance.now() - t0)));
    const all = new Promise<void>((r) =>
      socket.on('data', (c: Buffer) => {
        received += c.toString();
        if (received.length >= payload.length) r();
      }),
    );
    for (let i = 0; i < 50; i++) socket.write(`chunk-${i};`);
    const rtt = await firstByte;
    await all;
    socket.destroy();
    expect(received).toBe(payload);
    expect(rtt).toBeGreaterThanOrEqual(39);
    expect(rtt).toBeLessThan(200);
  });
});
