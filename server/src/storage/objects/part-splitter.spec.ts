import { splitParts } from './part-splitter.js';

async function* chunks(sizes: number[]): AsyncGenerator<Uint8Array> {
  let v = 0;
  for (const n of sizes) yield Uint8Array.from({ length: n }, () => v++ % 251);
}

/** Collects copies of the parts (their bytes are views valid only until the next part). */
async function collect(sizes: number[], partSize: number): Promise<{ bytes: number[]; last: boolean }[]> {
  const out: { bytes: number[]; last: boolean }[] = [];
  for await (const p of splitParts(chunks(sizes), partSize)) out.push({ bytes: [...p.bytes], last: p.last });
  return out;
}

const seq = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => (from + i) % 251);

describe('splitParts', () => {
  it('an empty stream is one empty last part', async () => {
    expect(await collect([], 4)).toEqual([{ bytes: [], last: true }]);
    expect(await collect([0, 0], 4)).toEqual([{ bytes: [], last: true }]);
  });

  it('a stream shorter than a part is one last part', async () => {
    expect(await collect([3], 4)).toEqual([{ bytes: seq(0, 3), last: true }]);
  });

  it('exactly k parts: the k-th is marked last, no empty part follows', async () => {
    expect(await collect([4, 4], 4)).toEqual([
      { bytes: seq(0, 4), last: false },
      { bytes: seq(4, 4), last: true },
    ]);
  });

  it('chunks of any sizes are regrouped into full parts and a shorter last one, bytes in order', async () => {
    const parts = await collect([1, 7, 2, 0, 9, 3], 5);
    expect(parts.map((p) => p.bytes.length)).toEqual([5, 5, 5, 5, 2]);
    expect(parts.map((p) => p.last)).toEqual([false, false, false, false, true]);
    expect(parts.flatMap((p) => p.bytes)).toEqual(seq(0, 22));
  });

  it('one chunk larger than several parts is cut into them', async () => {
    const parts = await collect([11], 3);
    expect(parts.map((p) => p.bytes)).toEqual([seq(0, 3), seq(3, 3), seq(6, 3), seq(9, 2)]);
  });

  it('grows its buffer past the initial 64 KiB up to the part size (large parts stay whole)', async () => {
    const partSize = 200_000;
    const parts: number[] = [];
    let total = 0;
    for await (const p of splitParts(chunks([150_000, 150_000, 150_000]), partSize)) {
      parts.push(p.bytes.byteLength);
      total += p.bytes.reduce((s, b) => s + b, 0);
    }
    expect(parts).toEqual([200_000, 200_000, 50_000]);
    expect(total).toBe(seq(0, 450_000).reduce((s, b) => s + b, 0));
  });

  it('copies the chunks: a producer reusing its buffer does not corrupt the parts', async () => {
    const shared = new Uint8Array(2);
    async function* reuse(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 3; i++) {
        shared.set([i, i]);
        yield shared;
      }
    }
    const out: number[][] = [];
    for await (const p of splitParts(reuse(), 4)) out.push([...p.bytes]);
    expect(out).toEqual([
      [0, 0, 1, 1],
      [2, 2],
    ]);
  });

  it('with k buffers, a part stays intact until k - 1 more parts were taken, and buffers are reused after that', async () => {
    const it = splitParts(chunks([12]), 3, 2);
    const held: Uint8Array[] = [];
    for (let i = 0; i < 4; i++) {
      const p = await it.next();
      if (p.done === true) throw new Error('too few parts');
      held.push(p.value.bytes);
      // The previous part (k - 1 = 1 back) is still its own bytes while this one exists.
      if (i > 0) expect([...held[i - 1]!]).toEqual(seq(3 * (i - 1), 3));
      expect([...p.value.bytes]).toEqual(seq(3 * i, 3));
    }
    // Two buffers in turn: part 3 was cut into part 1's buffer.
    const at = (b: Uint8Array) => [b.buffer, b.byteOffset];
    expect(at(held[2]!)).toEqual(at(held[0]!));
    expect(at(held[3]!)).toEqual(at(held[1]!));
    expect(at(held[1]!)).not.toEqual(at(held[0]!));
  });

  it('refuses a buffer count that is not a positive integer', async () => {
    await expect(splitParts(chunks([1]), 4, 0).next()).rejects.toThrow(RangeError);
  });

  it('refuses a part size that is not a positive integer', async () => {
    await expect(collect([1], 0)).rejects.toThrow(RangeError);
    await expect(collect([1], 1.5)).rejects.toThrow(RangeError);
  });
});
