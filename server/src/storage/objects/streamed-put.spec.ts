import { MemoryObjectStore } from './memory/memory-object-store.js';
import { MIN_PART_SIZE } from './object-store.js';
import { sha256Hex } from './sha256-stream.js';
import { streamedPut, type UploadPrimitives } from './streamed-put.js';

const CHUNK = 1024 * 1024;

/** The primitives of a MemoryObjectStore, recording each call; `pulled` counts bytes the source gave. */
function recorder(store = new MemoryObjectStore()) {
  const calls: string[] = [];
  const primitives: UploadPrimitives = {
    putSmall: (k, b, o) => (calls.push(`putSmall ${b.byteLength}`), store.putSmall(k, b, o)),
    startUpload: (k, o) => (calls.push('start'), store.startUpload(k, o)),
    putPart: (k, u, n, b, s) => (calls.push(`part ${n} ${b.byteLength}`), store.putPart(k, u, n, b, s)),
    completeUpload: (k, u, p, o) => (calls.push(`complete ${p.map((x) => x.partNumber).join(',')}`), store.completeUpload(k, u, p, o)),
    abortUpload: (k, u, s) => (calls.push('abort'), store.abortUpload(k, u, s)),
    listParts: (k, u, s) => store.listParts(k, u, s), // not recorded: the new test below records it
  };
  return { store, calls, primitives };
}

async function* source(size: number, fill = 1): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < size; at += CHUNK) yield Buffer.alloc(Math.min(CHUNK, size - at), fill);
}

describe('streamedPut', () => {
  it('a body of at most one part is one putSmall with its SHA-256', async () => {
    const { calls, primitives, store } = recorder();
    const res = await streamedPut(primitives, 'k', source(MIN_PART_SIZE), { partSize: MIN_PART_SIZE });
    expect(calls).toEqual([`putSmall ${MIN_PART_SIZE}`]);
    expect(res).toMatchObject({ size: MIN_PART_SIZE, sha256: sha256Hex(Buffer.alloc(MIN_PART_SIZE, 1)) });
    expect((await store.head('k'))?.sha256).toBe(res.sha256);
  });

  it('a larger body is a multipart upload of full parts and a shorter last one, completed in order', async () => {
    const { calls, primitives, store } = recorder();
    const size = 2 * MIN_PART_SIZE + 3;
    const res = await streamedPut(primitives, 'k', source(size), { partSize: MIN_PART_SIZE, contentType: 'a/b' });
    expect(calls).toEqual(['start', `part 1 ${MIN_PART_SIZE}`, `part 2 ${MIN_PART_SIZE}`, 'part 3 3', 'complete 1,2,3']);
    expect(res).toMatchObject({ size, sha256: sha256Hex(Buffer.alloc(size, 1)) });
    expect(await store.head('k')).toMatchObject({ size, contentType: 'a/b', etag: res.etag });
  });

  it('reads no further than the part being sent when one part is in flight', async () => {
    const { primitives } = recorder();
    let pulled = 0;
    const maxAhead: number[] = [];
    let sent = 0;
    async function* counted(): AsyncGenerator<Uint8Array> {
      for await (const c of source(4 * MIN_PART_SIZE)) {
        pulled += c.byteLength;
        yield c;
      }
    }
    const slow: UploadPrimitives = {
      ...primitives,
      putPart: async (k, u, n, b, s) => {
        maxAhead.push(pulled - sent);
        sent += b.byteLength;
        return primitives.putPart(k, u, n, b, s);
      },
    };
    await streamedPut(slow, 'k', counted(), { partSize: MIN_PART_SIZE, partsInFlight: 1 });
    // While part n is sent, the source has given at most that part plus one chunk (to learn it was not the last).
    for (const ahead of maxAhead) expect(ahead).toBeLessThanOrEqual(MIN_PART_SIZE + CHUNK);
  });

  it('sends at most partsInFlight parts at once, reads at most one part ahead of them, and their bytes stay intact until sent', async () => {
    const { primitives } = recorder();
    const partSize = MIN_PART_SIZE;
    const parts = 6;
    let pulled = 0;
    async function* numbered(): AsyncGenerator<Uint8Array> {
      // Part n's bytes are all n, so a buffer reused too early shows as another part's bytes.
      for (let n = 1; n <= parts; n++) {
        for (let at = 0; at < partSize; at += CHUNK) {
          pulled += CHUNK;
          yield Buffer.alloc(CHUNK, n);
        }
      }
    }
    let running = 0;
    let most = 0;
    let settled = 0;
    const ahead: number[] = [];
    const seen: string[] = [];
    const slow: UploadPrimitives = {
      ...primitives,
      putPart: async (k, u, n, b, s) => {
        running++;
        most = Math.max(most, running);
        ahead.push(pulled - settled * partSize);
        // A real send reads the body over time: look at it only after other parts moved on.
        await new Promise((r) => setTimeout(r, 20));
        seen.push(`${n}:${b.every((x) => x === n)}`);
        running--;
        settled++;
        return primitives.putPart(k, u, n, b, s);
      },
    };
    const res = await streamedPut(slow, 'k', numbered(), { partSize, partsInFlight: 2 });
    expect(res.size).toBe(parts * partSize);
    expect(most).toBe(2);
    expect(seen.sort()).toEqual(Array.from({ length: parts }, (_, i) => `${i + 1}:true`));
    // Unfinished bytes: the parts in flight plus the one filling, plus one chunk (to learn a part is not the last).
    for (const a of ahead) expect(a).toBeLessThanOrEqual(3 * partSize + CHUNK);
  });

  it('a failed part in flight: the others finish before the abort, which removes everything', async () => {
    const { calls, primitives, store } = recorder();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const failing: UploadPrimitives = {
      ...primitives,
      putPart: async (k, u, n, b, s) => {
        if (n === 1) {
          await gate;
          calls.push('part 1 landing');
        }
        if (n === 2) {
          release();
          throw new Error('boom');
        }
        return primitives.putPart(k, u, n, b, s);
      },
    };
    await expect(streamedPut(failing, 'k', source(4 * MIN_PART_SIZE), { partSize: MIN_PART_SIZE })).rejects.toThrow('boom');
    expect(calls.indexOf('abort')).toBeGreaterThan(calls.indexOf(`part 1 ${MIN_PART_SIZE}`));
    expect(calls.at(-1)).toBe('abort');
    expect(calls).not.toContainEqual(expect.stringMatching(/^complete/));
    expect(await store.listUploads({ prefix: '', limit: 10 })).toEqual([]);
  });

  it('a failed part aborts the upload and rethrows', async () => {
    const { calls, primitives, store } = recorder();
    const failing: UploadPrimitives = {
      ...primitives,
      putPart: async (k, u, n, b, s) => {
        if (n === 2) throw new Error('boom');
        return primitives.putPart(k, u, n, b, s);
      },
    };
    await expect(streamedPut(failing, 'k', source(3 * MIN_PART_SIZE), { partSize: MIN_PART_SIZE })).rejects.toThrow('boom');
    // Part 3 was already being sent beside part 2 when part 2's failure was seen (two parts in flight).
    expect(calls).toEqual(['start', `part 1 ${MIN_PART_SIZE}`, `part 3 ${MIN_PART_SIZE}`, 'abort']);
    expect(await store.listUploads({ prefix: '', limit: 10 })).toEqual([]);
  });

  it('a SHA-256 mismatch is refused before the completion (multipart) or the PUT (small), and nothing is left', async () => {
    const { calls, primitives, store } = recorder();
    const wrong = '0'.repeat(64);
    await expect(
      streamedPut(primitives, 'k', source(MIN_PART_SIZE + 1), { partSize: MIN_PART_SIZE, expectedSha256: wrong }),
    ).rejects.toMatchObject({
      kind: 'invalid',
      field: 'sha256',
    });
    await expect(streamedPut(primitives, 'k', source(10), { partSize: MIN_PART_SIZE, expectedSha256: wrong })).rejects.toMatchObject({
      kind: 'invalid',
    });
    expect(calls).toEqual(['start', `part 1 ${MIN_PART_SIZE}`, 'part 2 1', 'abort']);
    expect(await store.head('k')).toBeUndefined();
  });

  it('an aborted signal stops the transfer and aborts the upload', async () => {
    const { calls, primitives } = recorder();
    const controller = new AbortController();
    const aborting: UploadPrimitives = {
      ...primitives,
      putPart: async (k, u, n, b, s) => {
        const r = await primitives.putPart(k, u, n, b, s);
        controller.abort();
        return r;
      },
    };
    await expect(
      streamedPut(aborting, 'k', source(3 * MIN_PART_SIZE), { partSize: MIN_PART_SIZE, signal: controller.signal }),
    ).rejects.toMatchObject({
      kind: 'cancelled',
    });
    expect(calls).toEqual(['start', `part 1 ${MIN_PART_SIZE}`, 'abort']);
  });

  it('refuses a part size under 5 MiB', async () => {
    const { primitives } = recorder();
    await expect(streamedPut(primitives, 'k', source(1), { partSize: MIN_PART_SIZE - 1 })).rejects.toMatchObject({
      kind: 'invalid',
      field: 'part_size',
    });
  });

  it('a failed transfer aborts its upload again while parts still show after an abort (a cut part landing late)', async () => {
    const { calls, primitives } = recorder();
    let lateParts = 1; // the first ListParts after the abort still sees a part
    const late: UploadPrimitives = {
      ...primitives,
      listParts: async (k, u, s) => {
        calls.push('listParts');
        if (lateParts-- > 0) return [{ partNumber: 1, etag: '"x"', size: 1 }];
        return primitives.listParts(k, u, s).catch(() => []);
      },
    };
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield* source(2 * MIN_PART_SIZE);
      throw new Error('client went away');
    }
    await expect(streamedPut(late, 'k', failing(), { partSize: MIN_PART_SIZE })).rejects.toThrow('client went away');
    expect(calls.filter((c) => c === 'abort' || c === 'listParts')).toEqual(['abort', 'listParts', 'abort', 'listParts']);
  });
});
