import { Code } from '@connectrpc/connect';
import { rejection } from '../test/expect-error.js';
import { fakeLogServer } from '../test/log-fake.js';
import { toLogLine } from './log-appender.js';

describe('logs.append', () => {
  it('sends the lines (strings as JSON text, other values serialized) with a request id, and returns the sequences', async () => {
    const fake = await fakeLogServer();
    try {
      await fake.db.logs.append('audit', ['{"a":1}']);
      const res = await fake.db.logs.append('audit', ['"s"', { b: [1, 2] }, 3, null, true], { requestId: 'r1' });
      expect(res).toEqual({ firstSequence: 2n, lastSequence: 6n, deduplicated: false, requestId: 'r1' });
      expect(fake.appends[1]).toMatchObject({ log: 'audit', lines: ['"s"', '{"b":[1,2]}', '3', 'null', 'true'], requestId: 'r1' });
      expect(fake.appends[0].requestId).toMatch(/^[0-9a-f-]{36}$/);
      const again = await fake.db.logs.append('audit', ['"s"', { b: [1, 2] }, 3, null, true], { requestId: 'r1' });
      expect(again).toMatchObject({ firstSequence: 2n, lastSequence: 6n, deduplicated: true });
    } finally {
      await fake.close();
    }
  });

  it('rejects INVALID_LOG_LINE with its field, and a value JSON cannot hold before sending', async () => {
    const fake = await fakeLogServer();
    try {
      const err = await rejection(fake.db.logs.append('audit', ['1', '"BAD"']));
      expect([err.code, err.reason, err.metadata.field]).toEqual([Code.InvalidArgument, 'INVALID_LOG_LINE', 'lines[1]']);
      expect(() => toLogLine(undefined as never)).toThrow(TypeError);
      expect(fake.log).toEqual([]);
    } finally {
      await fake.close();
    }
  });
});
