import { MIN_PART_SIZE } from './object-store.js';
import { checkCompletedParts, checkPartNumber, namedParts, uploadNotFound } from './upload-errors.js';

describe('checkCompletedParts', () => {
  it('accepts ascending parts, every one but the last at least the minimum', () => {
    expect(() => checkCompletedParts([1], [0])).not.toThrow();
    expect(() => checkCompletedParts([1, 2, 5], [MIN_PART_SIZE, MIN_PART_SIZE, 1])).not.toThrow();
  });

  it('refuses no parts, parts out of order or repeated, and a small part before the last', () => {
    for (const [numbers, sizes] of [
      [[], []],
      [
        [2, 1],
        [MIN_PART_SIZE, 1],
      ],
      [
        [1, 1],
        [MIN_PART_SIZE, 1],
      ],
      [
        [1, 2],
        [MIN_PART_SIZE - 1, 1],
      ],
    ] as const) {
      expect(() => checkCompletedParts(numbers, sizes)).toThrow(expect.objectContaining({ kind: 'invalid', field: 'parts' }));
    }
  });
});

describe('checkPartNumber / uploadNotFound', () => {
  it('part numbers are integers 1..10000', () => {
    expect(() => checkPartNumber(1)).not.toThrow();
    expect(() => checkPartNumber(10_000)).not.toThrow();
    for (const n of [0, 10_001, 1.5]) expect(() => checkPartNumber(n)).toThrow(expect.objectContaining({ kind: 'invalid' }));
  });

  it('an unknown upload is not_found naming the field', () => {
    expect(uploadNotFound('k', 'u1')).toMatchObject({ kind: 'not_found', field: 'upload_id', metadata: { uploadId: 'u1' } });
  });
});

describe('namedParts', () => {
  const stored = new Map([
    [1, { partNumber: 1, size: MIN_PART_SIZE, etag: 'a' }],
    [2, { partNumber: 2, size: 3, etag: 'b' }],
  ]);

  it('returns the stored parts in the order named, comparing normalised etags', () => {
    expect(
      namedParts(
        stored,
        [
          { partNumber: 1, etag: '"a"' },
          { partNumber: 2, etag: '"b"' },
        ],
        (e) => e.replace(/"/g, ''),
      ),
    ).toEqual([...stored.values()]);
  });

  it('refuses a part never uploaded or named with another etag', () => {
    expect(() => namedParts(stored, [{ partNumber: 3, etag: 'a' }])).toThrow(expect.objectContaining({ kind: 'invalid', field: 'parts' }));
    expect(() => namedParts(stored, [{ partNumber: 1, etag: 'b' }])).toThrow(expect.objectContaining({ kind: 'invalid' }));
  });
});
