import fc from 'fast-check';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FilesystemBlobStore } from './filesystem-store.js';

const byteOrder = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** Ids from a small alphabet that stresses byte order ('/', '-', '.', ' ', unicode). */
const segment = fc
  .array(fc.constantFrom('a', 'b', 'B', '-', '.', ' ', ':', '~', '0', 'é', '日', '😀'), { minLength: 1, maxLength: 4 })
  .map((cs) => cs.join(''))
  .filter((s) => s !== '.' && s !== '..');

describe('listKeys (through FilesystemBlobStore)', () => {
  let base: string;
  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'sb-list-'));
  });
  afterAll(() => rm(base, { recursive: true, force: true }));

  it('equals a sorted, filtered reference for random nested keys, prefixes, startAfter and limits', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.tuple(segment, segment), { minLength: 0, maxLength: 25, selector: ([a, b]) => `${a}/${b}` }),
        fc.string({ maxLength: 4 }),
        fc.option(fc.string({ maxLength: 6 }), { nil: undefined }),
        fc.integer({ min: 1, max: 7 }),
        async (pairs, rawPrefix, rawAfter, limit) => {
          // Keys docs/<a>/<b>; a leaf name never equals a directory name of the same parent.
          const keys = pairs.map(([a, b]) => `docs/${a}/${b}`);
          const store = await FilesystemBlobStore.open({ root: join(base, `r${run++}`) });
          await Promise.all(keys.map((k) => store.put(k, Buffer.from(k))));
          const prefix = `docs/${rawPrefix}`.replace(/\/{2,}/g, '/');
          const startAfter = rawAfter === undefined ? undefined : `docs/${rawAfter}`;
          const expected = keys
            .filter((k) => k.startsWith(prefix) && (startAfter === undefined || byteOrder(k, startAfter) > 0))
            .sort(byteOrder);
          const page = await store.list({ prefix, startAfter, limit });
          expect(page.keys).toEqual(expected.slice(0, limit));
          expect(page.isTruncated).toBe(expected.length > limit);
        },
      ),
      { numRuns: 60 },
    );
  });
});
