import { Writable } from 'node:stream';
import { createLogger } from './logger.js';

describe('createLogger', () => {
  test('writes one JSON object per line with level, ISO time, msg and fields; respects the level', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        cb();
      },
    });
    const log = createLogger('info', sink);
    log.debug('hidden');
    log.info({ grpcPort: 1, httpPort: 2 }, 'listening');
    log.error({ err: new Error('boom') }, 'failed');
    expect(lines).toHaveLength(2);
    const first = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(first).toMatchObject({ level: 30, msg: 'listening', grpcPort: 1, httpPort: 2, service: 'smarterbase' });
    expect(new Date(first['time'] as string).toISOString()).toBe(first['time']);
    expect(JSON.parse(lines[1]!)).toMatchObject({ level: 50, err: { message: 'boom', type: 'Error' } });
  });
});
