import type * as http2 from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { disableNagle } from './grpc-js-hooks.js';

describe('disableNagle', () => {
  let server: grpc.Server;
  afterEach(() => server?.forceShutdown());

  it('turns Nagle off on each connection the bound grpc-js server accepts, before its own handlers run', async () => {
    server = new grpc.Server();
    await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, port) => (e ? reject(e) : resolve(port))),
    );
    expect(disableNagle(server)).toBe(true);
    const h2s = [...(server as unknown as { http2Servers: Map<http2.Http2Server, unknown> }).http2Servers.keys()];
    expect(h2s).toHaveLength(1);
    const first = h2s[0]!.listeners('connection')[0] as (socket: unknown) => void;
    const calls: unknown[] = [];
    first({ setNoDelay: (on: unknown) => calls.push(on) });
    expect(calls).toEqual([true]);
  });

  it('reports false for a server that has no HTTP/2 servers to hook', () => {
    server = new grpc.Server();
    expect(disableNagle(server)).toBe(false);
  });
});
