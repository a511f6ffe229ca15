/** The ChangeFeed and Watch conformance suites against the sealing decorator (encryption at rest) over the in-process feed: sealing changes nothing a caller sees. */
import { LocalFeed } from '../../server/src/streams/local/local-feed.js';
import { SealingFeed } from '../../server/src/streams/sealing-feed.js';
import { KeyringRef, parseKeyring } from '../../server/src/storage/crypto/keyring.js';
import { feedConformance, type FeedFactory } from './feed-conformance.js';
import { watchConformance } from './watch-conformance.js';

const keyring = new KeyringRef(parseKeyring(JSON.stringify({ primary: 'k1', keys: { k1: Buffer.alloc(32, 3).toString('base64') } })));
let n = 0;
const factory: FeedFactory = {
  open: async (setup) => new SealingFeed(await LocalFeed.open({ ...setup }), keyring),
  fresh: () => `c${++n}`,
};
feedConformance('SealingFeed over LocalFeed', factory);
watchConformance('SealingFeed over LocalFeed', factory);
