import { serverArgs } from './smarterbase-server.js';

describe('serverArgs', () => {
  it('asks for free ports (metrics included) and the chosen storage', () => {
    expect(serverArgs({ kind: 'memory' })).toEqual(['--storage', 'memory', '--grpc-port', '0', '--http-port', '0', '--metrics-port', '0']);
    expect(serverArgs({ kind: 'filesystem', dataDir: '/tmp/x' })).toEqual([
      '--storage',
      'filesystem',
      '--grpc-port',
      '0',
      '--http-port',
      '0',
      '--metrics-port',
      '0',
      '--data-dir',
      '/tmp/x',
    ]);
    expect(serverArgs({ kind: 's3', endpoint: 'http://127.0.0.1:9', bucket: 'b' })).toEqual([
      '--storage',
      's3',
      '--grpc-port',
      '0',
      '--http-port',
      '0',
      '--metrics-port',
      '0',
      '--s3-endpoint',
      'http://127.0.0.1:9',
      '--s3-bucket',
      'b',
      '--s3-force-path-style',
      'true',
      '--s3-conditional',
      'auto',
    ]);
    expect(serverArgs({ kind: 's3', endpoint: 'http://127.0.0.1:9', bucket: 'b', conditional: 'native' }).slice(-2)).toEqual([
      '--s3-conditional',
      'native',
    ]);
  });
});
