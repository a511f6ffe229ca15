import { LocalFeed } from './local/local-feed.js';
import { resolutionOf, type ReadStored } from './stored-events.js';

describe('resolutionOf an expire revision', () => {
  const absent: ReadStored = async () => undefined;

  it('is an EXPIRE event when the document is gone and nothing else replaced the version', async () => {
    const feed = await LocalFeed.open();
    const revision = await feed.allocate('c', { id: 'd', op: 'expire', prevRevision: 0 });
    const [pending] = feed.pending(Infinity);
    const r = await resolutionOf(feed, absent, pending!);
    expect(r).toMatchObject({ revision, changes: [{ id: 'd', op: 'expire', revision, prevRevision: 0 }] });
  });

  it('is a hole when the document is still stored (the purge did not land)', async () => {
    const feed = await LocalFeed.open();
    await feed.allocate('c', { id: 'd', op: 'expire', prevRevision: 0 });
    const stored: ReadStored = async () => ({
      etag: 'e',
      env: { meta: { version: 1, createTime: new Date(0), updateTime: new Date(0), writeId: 'w' }, data: {} },
    });
    expect(await resolutionOf(feed, stored, feed.pending(Infinity)[0]!)).toBeNull();
  });
});
