import { join } from 'node:path';
import { feedDirOf } from './server-feed.js';

describe('feedDirOf', () => {
  test('the setting wins; else beside filesystem documents; memory and S3 keep the feed in memory', () => {
    expect(feedDirOf({ feedDir: '/var/feed', storage: 's3', dataDir: './data' })).toEqual({ dir: '/var/feed' });
    expect(feedDirOf({ storage: 'filesystem', dataDir: '/srv/data' })).toEqual({ dir: join('/srv/data', '.feed') });
    expect(feedDirOf({ storage: 'memory', dataDir: './data' })).toEqual({});
    expect(feedDirOf({ storage: 's3', dataDir: './data' })).toEqual({});
  });
});
