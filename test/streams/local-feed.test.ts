/** The ChangeFeed conformance suite (feed-conformance.ts) and Watch's snapshot and previous documents (watch-conformance.ts) against the in-process feed, in memory. */
import { LocalFeed } from '../../server/src/streams/local/local-feed.js';
import { feedConformance, type FeedFactory } from './feed-conformance.js';
import { watchConformance } from './watch-conformance.js';

let n = 0;
const factory: FeedFactory = {
  open: (setup) => LocalFeed.open({ ...setup }),
  fresh: () => `c${++n}`,
};
feedConformance('LocalFeed', factory);
watchConformance('LocalFeed', factory);
