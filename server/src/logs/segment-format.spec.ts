import { DbError } from '../errors/db-error.js';
import { encodeChunk, type Chunk } from './chunk-format.js';
import { decodeSegment, encodeSegment } from './segment-format.js';

const rid = (first: number, count: number) => new Map([[`r${first}`, { first, count, sha: 'ab' }]]);
const chunkA: Chunk = { log: 'a', first: 1, timeMs: 100, rids: rid(1, 2), lines: ['{"x":1}', '{"smarterbase":{"count":0}}'] };
const chunkB: Chunk = { log: 'a', first: 3, timeMs: 200, rids: rid(3, 1), lines: ['12345678901234567890'] };

describe('segment format', () => {
  test('round-trips its chunks in order, lines byte for byte, even a line that looks like a header', () => {
    const bytes = encodeSegment([chunkA, chunkB], 0);
    expect(decodeSegment('k', bytes)).toEqual([chunkA, chunkB]);
    // It is the chunks' encodings concatenated: JSON lines any tool can read.
    expect(Buffer.from(bytes).toString()).toBe(Buffer.concat([encodeChunk(chunkA), encodeChunk(chunkB)]).toString());
  });

  test('keeps the request ids only of chunks written within the window', () => {
    const [a, b] = decodeSegment('k', encodeSegment([chunkA, chunkB], 150));
    expect(a!.rids.size).toBe(0);
    expect(b!.rids).toEqual(chunkB.rids);
    expect(a!.lines).toEqual(chunkA.lines);
  });

  test('a truncated segment is reported as corrupt, not read short', () => {
    const bytes = encodeSegment([chunkA, chunkB], 0);
    expect(() => decodeSegment('k', bytes.subarray(0, bytes.length - 3))).toThrow(DbError);
  });
});
