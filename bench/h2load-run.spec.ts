import { h2loadArgs, requireH2load } from './h2load-run.js';

describe('h2loadArgs', () => {
  it('drives Get over one connection and thread with gRPC headers, the body file and a duration in ms', () => {
    expect(h2loadArgs({ port: 4321, bodyFile: '/tmp/b.bin', concurrency: 32, durationMs: 1500.4 })).toEqual([
      '-c1',
      '-m32',
      '-t1',
      '-D1500ms',
      '-d',
      '/tmp/b.bin',
      '-H',
      'content-type: application/grpc',
      '-H',
      'te: trailers',
      'http://127.0.0.1:4321/smarterbase.v1.DocumentService/Get',
    ]);
  });
});

describe('requireH2load', () => {
  it('names the package to install when the binary is missing', () => {
    expect(() => requireH2load('/nonexistent/h2load')).toThrow(/nghttp2-client/);
  });

  it('accepts an existing path', () => {
    expect(() => requireH2load(process.execPath)).not.toThrow();
  });
});
