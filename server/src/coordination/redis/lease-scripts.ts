/**
 * The Lua scripts of Redis leases (LockService). Each runs atomically.
 *
 * Keys of lock <name>: `<prefix>{l:<name>}:lease`, a hash {id, holder, fence}
 * with a PX expiry (the current lease), and `<prefix>{l:<name>}:fence`, the
 * name's fencing counter (never expires, so tokens strictly increase per
 * name). The hash tag `{l:<name>}` keeps both on one Redis Cluster slot.
 * Fences travel as decimal strings so they stay exact beyond 2^53.
 *
 * The grant script also reads the coordination epoch marker (redis-epoch.ts):
 * on one Redis server `<prefix>epoch`; on a Redis Cluster the marker of the
 * lock's own slot, `<prefix>{ep:<n>}` (cluster-slots.ts), so the script
 * touches one slot only.
 */

/**
 * KEYS: lease, fence, epoch marker. ARGV: id, holder, ttlMs, epoch ('' when
 * the coordinator tracks no epoch: epoch 0, marker unchecked), raise ('1' on
 * a cluster: a marker below `epoch` is raised to it, see
 * cluster-epoch-marker.ts; a missing one still refuses).
 * Returns {1, fence} when granted, {0, holder, pttl} when a lease is current,
 * or {-1, marker} when the marker is not `epoch` (Redis lost its data, or
 * another server moved to a newer epoch: sync, then retry).
 * The token is the name's previous token + 1, but at least epoch × 2^32 + 1,
 * so tokens strictly increase across epochs (redis-epoch.ts). Lua numbers
 * are doubles: exact while epoch < 2^21 (MAX_EPOCH).
 */
export const LEASE_ACQUIRE_SCRIPT = `
if ARGV[4] ~= '' then
  local marker = redis.call('GET', KEYS[3])
  if marker ~= ARGV[4] then
    if ARGV[5] == '1' and marker and tonumber(marker) < tonumber(ARGV[4]) then
      redis.call('SET', KEYS[3], ARGV[4])
    else
      return {-1, marker or ''}
    end
  end
end
if redis.call('EXISTS', KEYS[1]) == 1 then
  return {0, redis.call('HGET', KEYS[1], 'holder') or '', redis.call('PTTL', KEYS[1])}
end
local base = (tonumber(ARGV[4]) or 0) * 4294967296
if tonumber(redis.call('GET', KEYS[2]) or '0') < base then
  redis.call('SET', KEYS[2], string.format('%.0f', base + 1))
else
  redis.call('INCR', KEYS[2])
end
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

/** The key of the coordination epoch marker (redis-epoch.ts). */
export function epochMarkerKey(prefix: string): string {
  return `${prefix}epoch`;
}
