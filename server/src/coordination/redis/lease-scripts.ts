/**
 * The Lua scripts of Redis leases (LockService). Each runs atomically.
 *
 * Keys of lock <name>: `<prefix>{l:<name>}:lease`, a hash {id, holder, fence}
 * with a PX expiry (the current lease), and `<prefix>{l:<name>}:fence`, the
 * name's fencing counter (never expires, so tokens strictly increase per
 * name). The hash tag `{l:<name>}` keeps both on one Redis Cluster slot.
 * Fences travel as decimal strings so they stay exact beyond 2^53.
 */

/**
 * KEYS: lease, fence. ARGV: id, holder, ttlMs.
 * Returns {1, fence} when granted, or {0, holder, pttl} when a lease is current.
 */
export const LEASE_ACQUIRE_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 1 then
  return {0, redis.call('HGET', KEYS[1], 'holder') or '', redis.call('PTTL', KEYS[1])}
end
redis.call('INCR', KEYS[2])
local fence = redis.call('GET', KEYS[2])
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'holder', ARGV[2], 'fence', fence)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {1, fence}
`;

/** KEYS: lease. ARGV: id, ttlMs. Returns {1, fence} when `id` is current (and extends it), else {0}. */
export const LEASE_RENEW_SCRIPT = `
if redis.call('HGET', KEYS[1], 'id') ~= ARGV[1] then
  return {0}
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {1, redis.call('HGET', KEYS[1], 'fence')}
`;

/** KEYS: lease. ARGV: id. Deletes the lease only if `id` is current; returns 1 then, else 0. */
export const LEASE_RELEASE_SCRIPT = `
if redis.call('HGET', KEYS[1], 'id') == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`;

/** KEYS: lease. Returns {} when no lease is current, else {holder, fence, pttl}. */
export const LEASE_INFO_SCRIPT = `
local v = redis.call('HMGET', KEYS[1], 'holder', 'fence')
if not v[2] then
  return {}
end
return {v[1] or '', v[2], redis.call('PTTL', KEYS[1])}
`;

/** KEYS: fence. Returns the latest token as a string, or '0' when never granted. */
export const LEASE_FENCE_SCRIPT = `
return redis.call('GET', KEYS[1]) or '0'
`;

/** The lease and fence keys of lock `name`. */
export function leaseKeys(prefix: string, name: string): { lease: string; fence: string } {
  const tag = `${prefix}{l:${name}}`;
  return { lease: `${tag}:lease`, fence: `${tag}:fence` };
}
