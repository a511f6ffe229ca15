import { DbError } from '../errors/db-error.js';
import { decodeChunk, encodeChunk, linesSha, type Chunk } from './chunk-format.js';

describe('chunk format', () => {
  const chunk: Chunk = {
    log: 'audit',
    first: 101,
    timeMs: 1_700_000_000_123,
    rids: new Map([['r1', { first: 101, count: 2, sha: linesSha(['{"a":1}', '[2]']) }]]),
    lines: ['{"a":1}', '[2]', '{"n":12345678901234567890}'],
  };

  test('round trip keeps every line byte for byte, and the header', () => {
    const back = decodeChunk('k', encodeChunk(chunk));
    expect(back).toEqual(chunk);
    expect(back.lines[2]).toBe('{"n":12345678901234567890}');
  });

  test('is JSON lines: a header line, then one line per log line', () => {
    const text = Buffer.from(encodeChunk(chunk)).toString('utf8');
    const lines = text.split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[4]).toBe('');
    expect(JSON.parse(lines[0]!)).toEqual({
      smarterbase: {
        schemaVersion: 1,
        log: 'audit',
        first: 101,
        count: 3,
        timeMs: 1_700_000_000_123,
        rids: { r1: [101, 2, chunk.rids.get('r1')!.sha] },
      },
    });
  });

  test('linesSha tells different lines apart, including how they are split', () => {
    expect(linesSha(['a', 'b'])).toBe(linesSha(['a', 'b']));
    expect(linesSha(['a', 'b'])).not.toBe(linesSha(['ab']));
    expect(linesSha(['a'])).not.toBe(linesSha(['b']));
  });

  test('a corrupt chunk is an internal error naming its key', () => {
    const bad = [
      '',
      'not json\n',
      '{"smarterbase":{"schemaVersion":2}}\n',
      '{"smarterbase":{"schemaVersion":1,"log":"a","first":1,"count":2,"timeMs":1,"rids":{}}}\n{}\n',
    ];
    for (const text of bad) {
      let err: unknown;
      try {
        decodeChunk('logs/a/c/1', Buffer.from(text));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(DbError);
      expect((err as DbError).kind).toBe('internal');
      expect((err as DbError).metadata.key).toBe('logs/a/c/1');
    }
  });
});
