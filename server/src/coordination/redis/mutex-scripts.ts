/**
 * The Lua scripts of the Redis mutex. Each runs atomically on the server.
 *
 * Keys of mutex <name> (docs/storage-format.md): `<prefix>{m:<name>}:lock`
 * holds "<owner>:<fence>" with a PX expiry; `<prefix>{m:<name>}:fence` is the
 * name's fencing counter (never expires, so tokens strictly increase);
 * `<prefix>{m:<name>}:memo` the memo a holder left at release (MutexHandle.memo),
 * with a PX expiry. The hash tag `{m:<name>}` puts all three on one Redis Cluster slot.
 */

/**
 * KEYS: lock, fence, memo. ARGV: owner, ttlMs.
 * Returns {1, fence, memo} when granted (fence as a decimal string, exact
 * beyond 2^53; memo '' when none), taking the memo away in the same step, or
 * {0, pttl} when the lock is held (pttl = ms the holder has left).
 */
export const ACQUIRE_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 1 then
  return {0, redis.call('PTTL', KEYS[1])}
end
redis.call('INCR', KEYS[2])
local fence = redis.call('GET', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. ':' .. fence, 'PX', ARGV[2])
local memo = redis.call('GET', KEYS[3])
if memo then redis.call('DEL', KEYS[3]) else memo = '' end
return {1, fence, memo}
`;

/**
 * KEYS: lock, memo. ARGV: the value written on grant — or, with ARGV[2] =
 * 'owner', its "<owner>:" prefix (a grant whose answer never came: its fence
 * is unknown) — then the memo ('' for none) and the memo's ttlMs.
 * Deletes the lock only if it is still that grant's, and then (only then)
 * stores the memo; returns 1 then, else 0.
 */
export const RELEASE_SCRIPT = `
local v = redis.call('GET', KEYS[1])
if v and (v == ARGV[1] or (ARGV[2] == 'owner' and string.sub(v, 1, #ARGV[1]) == ARGV[1])) then
  if ARGV[3] ~= '' then redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[4]) end
  return redis.call('DEL', KEYS[1])
end
return 0
`;

/** The lock, fence and memo keys of a mutex. */
export function mutexKeys(prefix: string, name: string): { lock: string; fence: string; memo: string } {
  const tag = `${prefix}{m:${name}}`;
  return { lock: `${tag}:lock`, fence: `${tag}:fence`, memo: `${tag}:memo` };
}
