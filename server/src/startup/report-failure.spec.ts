import { Writable } from 'node:stream';
import { createLogger } from '../observability/logger.js';
import { reportStartupFailure } from './report-failure.js';
import { StartupError } from './startup-error.js';

function capture(): { log: ReturnType<typeof createLogger>; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      cb();
    },
  });
  return { log: createLogger('info', sink), lines };
}

const explained = new StartupError('gRPC port 1 is in use (SB_GRPC_PORT)', 'SB_GRPC_PORT', false, { cause: new Error('EADDRINUSE') });

test('an explained failure with JSON logs: its line on stderr and one fatal record with that msg, the setting and the cause, no stack', () => {
  const { log, lines } = capture();
  const stderr: string[] = [];
  reportStartupFailure(explained, log, 'json', (t) => stderr.push(t));
  expect(stderr).toEqual(['gRPC port 1 is in use (SB_GRPC_PORT)\n']);
  expect(lines).toHaveLength(1);
  const rec = JSON.parse(lines[0]!) as Record<string, unknown>;
  expect(rec).toMatchObject({ level: 60, msg: 'gRPC port 1 is in use (SB_GRPC_PORT)', setting: 'SB_GRPC_PORT', cause: 'EADDRINUSE' });
  expect(rec['err']).toBeUndefined();
});

test('with pretty logs (a terminal) the stderr line alone; an unexplained error is logged with its stack and summarised', () => {
  const { log, lines } = capture();
  const stderr: string[] = [];
  reportStartupFailure(explained, log, 'pretty', (t) => stderr.push(t));
  expect(lines).toEqual([]);
  reportStartupFailure(new Error('bug\nhere'), log, 'json', (t) => stderr.push(t));
  expect(stderr[1]).toBe('start-up failed: bug here\n');
  expect(JSON.parse(lines[0]!)).toMatchObject({ level: 60, msg: 'start-up failed', err: { message: 'bug\nhere' } });
});
