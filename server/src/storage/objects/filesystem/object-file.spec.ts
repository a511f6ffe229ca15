import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeTrailer, readTrailer, type ObjectTrailer } from './object-file.js';

describe('object file trailer', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sb-objfile-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const read = async (bytes: Buffer): Promise<ObjectTrailer> => {
    const path = join(dir, 'f');
    await writeFile(path, bytes);
    const handle = await open(path, 'r');
    try {
      return await readTrailer(handle, bytes.byteLength, 'k');
    } finally {
      await handle.close();
    }
  };
  const trailer: ObjectTrailer = { size: 5, etag: 'e', sha256: 's', contentType: 'text/plain', metadata: { a: 'é' } };

  it('reads back what was appended after the body', async () => {
    expect(await read(Buffer.concat([Buffer.from('hello'), encodeTrailer(trailer)]))).toEqual(trailer);
    const empty = { ...trailer, size: 0 };
    expect(await read(encodeTrailer(empty))).toEqual(empty);
  });

  it('a truncated or mismatched file is internal, not a wrong answer', async () => {
    const whole = Buffer.concat([Buffer.from('hello'), encodeTrailer(trailer)]);
    await expect(read(whole.subarray(1))).rejects.toMatchObject({ kind: 'internal' });
    await expect(read(Buffer.from('ab'))).rejects.toMatchObject({ kind: 'internal' });
    await expect(read(Buffer.concat([Buffer.from('hello!'), encodeTrailer(trailer)]))).rejects.toMatchObject({ kind: 'internal' });
  });
});
