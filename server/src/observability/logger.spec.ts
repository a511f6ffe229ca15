import { Writable } from 'node:stream';
import { createLogger, resolveLogFormat } from './logger.js';

function sinkOf(lines: string[]): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      cb();
    },
  });
}

describe('createLogger', () => {
  test('writes one JSON object per line with level, ISO time, msg and fields; respects the level', () => {
    const lines: string[] = [];
    const log = createLogger('info', sinkOf(lines));
    log.debug('hidden');
    log.info({ grpcPort: 1, httpPort: 2 }, 'listening');
    log.error({ err: new Error('boom') }, 'failed');
    expect(lines).toHaveLength(2);
    const first = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(first).toMatchObject({ level: 30, msg: 'listening', grpcPort: 1, httpPort: 2, service: 'smarterbase' });
    expect(new Date(first['time'] as string).toISOString()).toBe(first['time']);
    expect(JSON.parse(lines[1]!)).toMatchObject({ level: 50, err: { message: 'boom', type: 'Error' } });
  });

  test('pretty: one human line per record with the level word, the message and the fields, no JSON and no colour codes', () => {
    const lines: string[] = [];
    const log = createLogger('info', { format: 'pretty', destination: sinkOf(lines), colorize: false });
    log.debug('hidden');
    log.info({ grpcPort: 50051 }, 'listening');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: listening \{"grpcPort":50051\}$/);
  });
});

describe('resolveLogFormat', () => {
  test('auto is pretty on a terminal and JSON otherwise; an explicit choice wins either way', () => {
    expect(resolveLogFormat('auto', true)).toBe('pretty');
    expect(resolveLogFormat('auto', false)).toBe('json');
    expect(resolveLogFormat('json', true)).toBe('json');
    expect(resolveLogFormat('pretty', false)).toBe('pretty');
  });
});
