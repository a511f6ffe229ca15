import fc from 'fast-check';
import {
  CATALOG_PREFIX,
  catalogKey,
  collectionPrefix,
  COORDINATION_EPOCH_KEY,
  DOCUMENTS_ROOT,
  documentKey,
  HEALTH_PROBE_KEY,
  idFromKey,
  INTENTS_PREFIX,
  intentKey,
  OBJECT_DATA_ROOT,
  OBJECT_TRASH_ROOT,
  ORPHAN_SCAN_STAMP_KEY,
  parseObjectDataKey,
  trashMarkerDue,
  trashMarkerKey,
  PROBE_PREFIX,
  REQUESTS_PREFIX,
  requestRecordKey,
  TOKEN_KEYRING_KEY,
} from './bucket-layout.js';

describe('documentKey', () => {
  it('is docs/<collection>/<id> and round-trips through idFromKey', () => {
    expect(documentKey('users', 'u1')).toBe('docs/users/u1');
    expect(collectionPrefix('users')).toBe('docs/users/');
    expect(idFromKey('users', 'docs/users/u1')).toBe('u1');
    expect(idFromKey('users', 'docs/other/u1')).toBeUndefined();
    expect(idFromKey('users', 'docs/users/')).toBeUndefined();
  });

  it('orders keys of one collection like their ids in UTF-8 byte order (property)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), (a, b) => {
        const byId = Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b)));
        const byKey = Math.sign(Buffer.compare(Buffer.from(documentKey('c', a)), Buffer.from(documentKey('c', b))));
        expect(byKey).toBe(byId);
      }),
    );
  });
});

describe('the other prefixes', () => {
  it('are the documented ones (docs/storage-format.md)', () => {
    expect(intentKey('t1')).toBe('_txn/intents/t1');
    expect(requestRecordKey(42, 'ab')).toBe('_txn/requests/0000000042/ab');
    expect(catalogKey('users')).toBe('_meta/indexes/users');
    expect([TOKEN_KEYRING_KEY, HEALTH_PROBE_KEY, PROBE_PREFIX]).toEqual(['_meta/token-keys', '_meta/health-probe', '_probe/']);
    expect(COORDINATION_EPOCH_KEY).toBe('_meta/coordination-epoch');
  });

  it('never overlap the documents, nor each other', () => {
    const prefixes = [
      DOCUMENTS_ROOT,
      INTENTS_PREFIX,
      REQUESTS_PREFIX,
      CATALOG_PREFIX,
      TOKEN_KEYRING_KEY,
      COORDINATION_EPOCH_KEY,
      HEALTH_PROBE_KEY,
      PROBE_PREFIX,
      OBJECT_DATA_ROOT,
      OBJECT_TRASH_ROOT,
      ORPHAN_SCAN_STAMP_KEY,
    ];
    for (const a of prefixes) for (const b of prefixes) if (a !== b) expect(b.startsWith(a)).toBe(false);
  });
});

describe('object data and trash keys', () => {
  it('parseObjectDataKey takes `_objdata/<collection>/<id>/<vid>` apart and refuses other shapes', () => {
    expect(parseObjectDataKey('_objdata/c/x/v1')).toEqual({ collection: 'c', id: 'x', vid: 'v1' });
    for (const k of ['_objdata/c/x', '_objdata/c/x/v/w', '_objdata//x/v', 'objects/c/x', '_objdata/c/x/'])
      expect(parseObjectDataKey(k)).toBeUndefined();
  });

  it('trash marker keys are `_objtrash/<due, 13 digits>/<suffix>`, sort in due order and give their due time back', () => {
    expect(trashMarkerKey(5, 'r')).toBe('_objtrash/0000000000005/r');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 9_999_999_999_999 }), fc.integer({ min: 0, max: 9_999_999_999_999 }), (a, b) => {
        const ka = trashMarkerKey(a, 'z');
        const kb = trashMarkerKey(b, 'a');
        expect(trashMarkerDue(ka)).toBe(a);
        if (a < b) expect(ka < kb).toBe(true);
      }),
    );
    for (const k of ['_objtrash/123/r', '_objtrash/0000000000005', '_objtrash/0000000000005/a/b', '_objdata/0000000000005/r'])
      expect(trashMarkerDue(k)).toBeUndefined();
  });
});
