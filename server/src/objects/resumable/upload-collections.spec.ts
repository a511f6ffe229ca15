import { HEADER, World } from './resumable-test-kit.js';
import { UploadCollections } from './upload-collections.js';

describe('UploadCollections', () => {
  it("names an upload's collection from its session, and nothing for unknown or malformed ids", async () => {
    const world = new World();
    const { uploadId } = await world.engine('a').start({ ...HEADER, collection: 'files' });
    const collections = new UploadCollections(world.blobs);
    expect(await collections.of(uploadId)).toBe('files');
    expect(await collections.of('01a23b38-2694-79a0-94e0-39687b1ffef7')).toBeUndefined();
    expect(await collections.of('../../documents/x')).toBeUndefined();
  });

  it('reads each session once, and forgets the oldest beyond its bound', async () => {
    const world = new World();
    const e = world.engine('a');
    const ids = [];
    for (const c of ['a', 'b', 'c']) ids.push((await e.start({ ...HEADER, collection: c })).uploadId);
    let reads = 0;
    const counting = Object.assign(Object.create(world.blobs) as typeof world.blobs, {
      get: (key: string, signal?: AbortSignal) => (reads++, world.blobs.get(key, signal)),
    });
    const collections = new UploadCollections(counting, 2);
    expect(await collections.of(ids[0]!)).toBe('a');
    expect(await collections.of(ids[0]!)).toBe('a');
    expect(reads).toBe(1);
    await collections.of(ids[1]!);
    await collections.of(ids[2]!); // forgets ids[0]
    expect(await collections.of(ids[0]!)).toBe('a');
    expect(reads).toBe(4);
  });
});
