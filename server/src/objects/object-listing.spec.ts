import { systemClock } from '../common/clock.js';
import { PageTokenCodec } from '../engine/page-token.js';
import { MemoryBlobStore } from '../storage/memory/memory-store.js';
import { staticTokenKeys } from '../tokens/token-keys.js';
import type { ListObjectsInput } from '../api/object-api.js';
import { ObjectPointers } from './object-pointers.js';
import { runList } from './object-listing.js';

async function setup(ids: string[]) {
  const store = new MemoryBlobStore();
  const pointers = new ObjectPointers(store, systemClock);
  for (const id of ids)
    await pointers.commit(
      'c',
      id,
      { data: `d/${id}`, size: id.length, sha256: 'a'.repeat(64), contentType: 't/x', metadata: {} },
      undefined,
    );
  // A document of the same collection is not an object.
  await store.put('docs/c/zz', Buffer.from('{}'));
  const tokens = new PageTokenCodec(staticTokenKeys('secret'));
  const list = (input: Partial<ListObjectsInput>) =>
    runList({ store, pointers, tokens, concurrency: 4 }, { signal: new AbortController().signal }, { collection: 'c', ...input });
  return { list, tokens };
}

describe('runList', () => {
  test('pages in id order with tokens; metadata read for each', async () => {
    const { list } = await setup(['b', 'a', 'c', 'd', 'e']);
    const first = await list({ pageSize: 2 });
    expect(first.objects.map((o) => o.id)).toEqual(['a', 'b']);
    expect(first.objects[0]).toMatchObject({ collection: 'c', id: 'a', version: 1, sizeBytes: 1, contentType: 't/x' });
    const second = await list({ pageSize: 2, pageToken: first.nextPageToken });
    expect(second.objects.map((o) => o.id)).toEqual(['c', 'd']);
    const third = await list({ pageSize: 2, pageToken: second.nextPageToken });
    expect(third).toMatchObject({ objects: [{ id: 'e' }], nextPageToken: '' });
  });

  test('keys_only returns names only; id_prefix filters', async () => {
    const { list } = await setup(['ab', 'ac', 'b']);
    expect((await list({ keysOnly: true })).objects).toEqual([
      { collection: 'c', id: 'ab' },
      { collection: 'c', id: 'ac' },
      { collection: 'c', id: 'b' },
    ]);
    expect((await list({ idPrefix: 'a' })).objects.map((o) => o.id)).toEqual(['ab', 'ac']);
  });

  test('a token of another request shape, or of a document listing, is INVALID_PAGE_TOKEN; bad sizes are refused', async () => {
    const { list, tokens } = await setup(['a', 'b']);
    const t = (await list({ pageSize: 1 })).nextPageToken;
    await expect(list({ pageToken: t, keysOnly: true })).rejects.toMatchObject({ reason: 'INVALID_PAGE_TOKEN' });
    const docToken = tokens.encode({ collection: 'c', idPrefix: '', keysOnly: false }, 'a');
    await expect(list({ pageToken: docToken })).rejects.toMatchObject({ reason: 'INVALID_PAGE_TOKEN' });
    await expect(list({ pageSize: -1 })).rejects.toMatchObject({ kind: 'invalid', field: 'page_size' });
    await expect(list({ collection: '' })).rejects.toMatchObject({ reason: 'INVALID_COLLECTION' });
  });
});
