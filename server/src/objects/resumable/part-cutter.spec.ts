import { isDbError } from '../../errors/db-error.js';
import { PartCutter } from './part-cutter.js';

const P = 8;
const bytes = (from: number, to: number): Uint8Array => Uint8Array.from({ length: to - from }, (_, i) => (from + i) % 251);
const concat = (xs: Uint8Array[]): number[] => xs.flatMap((x) => [...x]);

/** Pushes the chunks and returns the parts emitted, the accepted bytes and the remainder. */
function cut(cutter: PartCutter, chunks: Uint8Array[]): { parts: Uint8Array[]; accepted: number[]; rest: number[] } {
  const parts: Uint8Array[] = [];
  const accepted: number[] = [];
  for (const c of chunks) {
    const r = cutter.push(c);
    parts.push(...r.parts.map((p) => Uint8Array.from(p)));
    accepted.push(...r.accepted);
  }
  return { parts, accepted, rest: [...cutter.remainder()] };
}

describe('PartCutter', () => {
  it('emits whole parts in order and keeps the partial part as the tail', () => {
    const c = new PartCutter({ uploadId: 'u', partSize: P, partsEnd: 0, writeOffset: 0 });
    const r = cut(c, [bytes(0, 3), bytes(3, 13), bytes(13, 19)]);
    expect(r.parts.map((p) => [...p])).toEqual([[...bytes(0, 8)], [...bytes(8, 16)]]);
    expect(r.rest).toEqual([...bytes(16, 19)]);
    expect(r.accepted).toEqual([...bytes(0, 19)]);
    expect(c.end).toBe(19);
  });

  it('carries the previous tail in front, so the next part starts at a part boundary', () => {
    const c = new PartCutter({ uploadId: 'u', partSize: P, partsEnd: 16, carry: bytes(16, 19), writeOffset: 19 });
    const r = cut(c, [bytes(19, 30)]);
    expect(r.parts.map((p) => [...p])).toEqual([[...bytes(16, 24)]]);
    expect(r.rest).toEqual([...bytes(24, 30)]);
    expect(r.accepted).toEqual([...bytes(19, 30)]);
  });

  it('skips bytes below the committed size, within a chunk and across whole chunks', () => {
    const c = new PartCutter({ uploadId: 'u', partSize: P, partsEnd: 8, carry: bytes(8, 12), writeOffset: 2 });
    const r = cut(c, [bytes(2, 6), bytes(6, 10), bytes(10, 17)]);
    expect(r.accepted).toEqual([...bytes(12, 17)]);
    expect(r.parts.map((p) => [...p])).toEqual([[...bytes(8, 16)]]);
    expect(r.rest).toEqual([16]);
    expect(c.acceptedBytes).toBe(5);
  });

  it('accepts nothing when the whole write lies below the committed size', () => {
    const c = new PartCutter({ uploadId: 'u', partSize: P, partsEnd: 16, carry: bytes(16, 18), writeOffset: 0 });
    const r = cut(c, [bytes(0, 18)]);
    expect(r).toEqual({ parts: [], accepted: [], rest: [...bytes(16, 18)] });
    expect(c.end).toBe(18);
  });

  it('refuses an offset above the committed size: UPLOAD_OFFSET_MISMATCH with the sizes', () => {
    let err: unknown;
    try {
      new PartCutter({ uploadId: 'u1', partSize: P, partsEnd: 8, carry: bytes(8, 10), writeOffset: 11 });
    } catch (e) {
      err = e;
    }
    expect(isDbError(err, 'UPLOAD_OFFSET_MISMATCH')).toBe(true);
    expect(err).toMatchObject({ metadata: { uploadId: 'u1', writeOffset: '11', committedSize: '10' } });
  });

  it('refuses a negative offset as INVALID_ARGUMENT', () => {
    expect(() => new PartCutter({ uploadId: 'u', partSize: P, partsEnd: 0, writeOffset: -1 })).toThrow(
      expect.objectContaining({ reason: 'INVALID_ARGUMENT', field: 'write_offset' }),
    );
  });

  it('emits several parts from one chunk larger than a part', () => {
    const c = new PartCutter({ uploadId: 'u', partSize: P, partsEnd: 0, writeOffset: 0 });
    const r = cut(c, [bytes(0, 27)]);
    expect(r.parts).toHaveLength(3);
    expect(concat(r.parts)).toEqual([...bytes(0, 24)]);
    expect(r.rest).toEqual([...bytes(24, 27)]);
  });

  it('refuses growth past the maximum as OBJECT_TOO_LARGE', () => {
    const c = new PartCutter({ uploadId: 'u', partSize: P, partsEnd: 0, writeOffset: 0, maxBytes: 10 });
    c.push(bytes(0, 10));
    expect(() => c.push(bytes(10, 11))).toThrow(
      expect.objectContaining({ reason: 'OBJECT_TOO_LARGE', metadata: { sizeBytes: '11', limitBytes: '10' } }),
    );
  });

  it('never buffers more than one part: an emitted part is not reused for the next', () => {
    const c = new PartCutter({ uploadId: 'u', partSize: P, partsEnd: 0, writeOffset: 0 });
    const first = c.push(bytes(0, 8)).parts[0] as Uint8Array;
    const copy = [...first];
    c.push(bytes(8, 15));
    expect([...first]).toEqual(copy);
    expect(c.remainder().byteLength).toBe(7);
  });
});
