/** The ChangeFeed conformance suite (feed-conformance.ts) against the in-process feed, in memory. */
import { LocalFeed } from '../../server/src/streams/local/local-feed.js';
import { feedConformance } from './feed-conformance.js';

let n = 0;
feedConformance('LocalFeed', {
  open: (setup) => LocalFeed.open({ ...setup }),
  fresh: () => `c${++n}`,
});
