/**
 * The bucket layout (docs/storage-format.md): every object key prefix and
 * key builder of the store, in one place. Nothing else spells a prefix.
 *
 *   docs/<collection>/<id>                       documents (no suffix: key order is id order)
 *   _txn/intents/<txid>                          transaction intent records
 *   _txn/requests/<window>/<sha256(request_id)>  idempotency records of Commit requests
 *   _meta/indexes/<collection>                   durable index definitions
 *   _meta/expiring/<collection>                  marker: the collection has had documents with an expiry
 *   _meta/token-keys                             the keyring that signs page and resume tokens
 *   _meta/coordination-epoch                     the coordination epoch (counts detected losses of Redis)
 *   _meta/health-probe                           HEADed by the health probe, never written
 *   _probe/<random>/…                            scratch keys of the conditional-write probe
 *   objects/<collection>/<id>                    object pointers (docs/adr/0013, §2: small JSON envelopes)
 *   _objdata/<collection>/<id>/<vid>             object data, one key per version, written once (ObjectStore)
 *   _objtrash/<deleteAfterMs, 13 digits>/<random> trash markers: data to delete once the grace period is over
 *   _meta/orphan-scan                            when the orphan data scan last finished
 *   _meta/index-hash-key                         fingerprint of the key hashed index values are under
 *   _access/keys/<key id>                        API key records: principal, SHA-256 of the secret, times (docs/adr/0015)
 *   _access/roles/<name>                         role definitions
 *   _access/principals/<name>                    principals: roles and certificate names
 *   logs/<name>/c/<first seq>, s/<last seq>, meta log chunks, segments and meta (docs/adr/0013 §9, §12)
 *
 * Never a stored key: `_feed/<collection>/<id>@<revision>`, the name the
 * change feed's sealed document bodies are bound to (streams/sealing-feed.ts).
 */

/** The prefix of every document key. */
export const DOCUMENTS_ROOT = 'docs/';
/** Where intent records live; nothing else is stored under this prefix. */
export const INTENTS_PREFIX = '_txn/intents/';
/** Where request records live. */
export const REQUESTS_PREFIX = '_txn/requests/';
/** Where the index definitions of all collections live. */
export const CATALOG_PREFIX = '_meta/indexes/';
/** Where the markers of collections with expiring documents live (docs/streams.md, "Document expiry (TTL)"). */
export const EXPIRING_PREFIX = '_meta/expiring/';
/** Where the token keyring lives. */
export const TOKEN_KEYRING_KEY = '_meta/token-keys';
/** Where the coordination epoch lives (docs/locks.md): bumped on every detected loss of Redis's data. */
export const COORDINATION_EPOCH_KEY = '_meta/coordination-epoch';
/** The key the storage health probe asks for; never written. */
export const HEALTH_PROBE_KEY = '_meta/health-probe';
/** Where the conditional-write probe puts its scratch keys (a fresh random folder per run). */
export const PROBE_PREFIX = '_probe/';

/** Where API key records live (access/access-store.ts); a secret is never stored, only its hash. */
export const ACCESS_KEYS_PREFIX = '_access/keys/';
/** Where role definitions live. */
export const ACCESS_ROLES_PREFIX = '_access/roles/';
/** Where principals live. */
export const ACCESS_PRINCIPALS_PREFIX = '_access/principals/';

/** The prefix of every log's objects: chunks, segments and meta (logs/log-name.ts builds the keys). */
export const LOGS_ROOT = 'logs/';

/** The prefix of every object pointer (docs/streams.md, "Objects"). */
export const OBJECTS_ROOT = 'objects/';
/** The prefix of every object's data (written through the ObjectStore, never the BlobStore). */
export const OBJECT_DATA_ROOT = '_objdata/';
/** The prefix of every trash marker (docs/adr/0013 §8): key order is due order. */
export const OBJECT_TRASH_ROOT = '_objtrash/';
/** Where the orphan data scan records when it last finished (so a daily scan survives restarts). */
export const ORPHAN_SCAN_STAMP_KEY = '_meta/orphan-scan';
/** The fingerprint of the index hash key every server must use (index/index-hash-key-check.ts). */
export const INDEX_HASH_KEY_FINGERPRINT_KEY = '_meta/index-hash-key';

/** The key prefix of all documents of a (validated) collection: `docs/<collection>/`. */
export function collectionPrefix(collection: string): string {
  return `${DOCUMENTS_ROOT}${collection}/`;
}

/** The blob key of a (validated) document: `docs/<collection>/<id>`. */
export function documentKey(collection: string, id: string): string {
  return collectionPrefix(collection) + id;
}

/** The id of a key under `collectionPrefix(collection)`, or undefined when the key is not one. */
export function idFromKey(collection: string, key: string): string | undefined {
  const prefix = collectionPrefix(collection);
  if (!key.startsWith(prefix)) return undefined;
  const id = key.slice(prefix.length);
  return id.length === 0 || id.includes('/') ? undefined : id;
}

/** The blob key of a transaction's intent: `_txn/intents/<txid>`. */
export function intentKey(txid: string): string {
  return INTENTS_PREFIX + txid;
}

/** The key of a request record: `_txn/requests/<window, 10 digits>/<hash>` (windows list in time order). */
export function requestRecordKey(window: number, hash: string): string {
  return `${REQUESTS_PREFIX}${String(window).padStart(10, '0')}/${hash}`;
}

/** The key of a collection's durable index definitions: `_meta/indexes/<collection>`. */
export function catalogKey(collection: string): string {
  return CATALOG_PREFIX + collection;
}

/** The marker key of a collection that has had expiring documents: `_meta/expiring/<collection>`. */
export function expiringMarkerKey(collection: string): string {
  return EXPIRING_PREFIX + collection;
}

/** The key prefix of the object pointers of a (validated) collection: `objects/<collection>/`. */
export function objectCollectionPrefix(collection: string): string {
  return `${OBJECTS_ROOT}${collection}/`;
}

/** The pointer key of a (validated) object: `objects/<collection>/<id>`. */
export function objectKey(collection: string, id: string): string {
  return objectCollectionPrefix(collection) + id;
}

/** The prefix of resumable uploads' spilled tails (object data not yet in a part; sealed like documents when encryption is on). */
export const UPLOAD_TAILS_PREFIX = '_uploads/t/';

/** The prefix of every data version of an object: `_objdata/<collection>/<id>/`. */
export function objectDataPrefix(collection: string, id: string): string {
  return `${OBJECT_DATA_ROOT}${collection}/${id}/`;
}

/** The data key of one version of an object: `_objdata/<collection>/<id>/<vid>`. */
export function objectDataKey(collection: string, id: string, vid: string): string {
  return objectDataPrefix(collection, id) + vid;
}

/** The (collection, id, vid) of a data key `_objdata/<collection>/<id>/<vid>`, or undefined when `key` is not one. */
export function parseObjectDataKey(key: string): { collection: string; id: string; vid: string } | undefined {
  if (!key.startsWith(OBJECT_DATA_ROOT)) return undefined;
  const parts = key.slice(OBJECT_DATA_ROOT.length).split('/');
  if (parts.length !== 3 || parts.some((p) => p === '')) return undefined;
  const [collection, id, vid] = parts as [string, string, string];
  return { collection, id, vid };
}

/** The key of a trash marker due at `dueMs`: `_objtrash/<dueMs, 13 digits>/<suffix>`. */
export function trashMarkerKey(dueMs: number, suffix: string): string {
  return `${OBJECT_TRASH_ROOT}${String(Math.max(0, Math.floor(dueMs))).padStart(13, '0')}/${suffix}`;
}

/** The due time (ms since the epoch) of a trash marker key, or undefined when `key` is not one. */
export function trashMarkerDue(key: string): number | undefined {
  const m = /^_objtrash\/(\d{13})\/[^/]+$/.exec(key);
  return m === null ? undefined : Number(m[1]);
}
