/**
 * The Lua scripts of the shared expiry schedule (redis-expiry-layout.ts for
 * the keys), with their SHA-1 for EVALSHA and the name they carry in
 * metrics and spans. Scores are ms since the epoch (exact in a double): a
 * scheduled expire time is a whole number, a claim's end a whole number
 * plus 0.5, so a script tells them apart.
 */
import { createHash } from 'node:crypto';

/** A Lua script with its SHA-1 and its name in metrics and spans. */
export interface ExpiryScript {
  readonly name: string;
  readonly lua: string;
  readonly sha: string;
}

function script(name: string, lua: string): ExpiryScript {
  return { name: `ttl.${name}`, lua, sha: createHash('sha1').update(lua).digest('hex') };
}

/**
 * Claims due ids. KEYS x, xb; ARGV now, claimUntil (n + 0.5), max. Takes up
 * to max members with score ≤ now (earliest first) and moves each to claimUntil,
 * so no other server takes them until the claim lapses (a claimer that dies
 * leaves them due again then). Returns {xb exists (0/1), id1, score1, …}
 * with each id's score before the claim.
 */
const CLAIM = `
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[3]))
for i = 1, #due, 2 do
  redis.call('ZADD', KEYS[1], 'XX', ARGV[2], due[i])
end
table.insert(due, 1, redis.call('EXISTS', KEYS[2]))
return due
`;

/**
 * Schedules an id a read or a rebuild met. KEYS x, xs; ARGV expireAt, id.
 * Adds it when absent, and moves it earlier when its scheduled time is later
 * (a failed write scheduled a time its document never got); never touches a
 * claim (score n + 0.5), so reads do not hand claimed ids to other servers;
 * skips an absent id settled at or after expireAt (its purge handled that
 * version: the read or listing predates the purge).
 */
const RESTORE = `
local s = redis.call('ZSCORE', KEYS[1], ARGV[2])
local at = tonumber(ARGV[1])
if s then
  local n = tonumber(s)
  if n ~= math.floor(n) or n <= at then return 0 end
else
  local settled = redis.call('ZSCORE', KEYS[2], ARGV[2])
  if settled and tonumber(settled) >= at then return 0 end
end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
return 1
`;

/**
 * Ends a claim after the purge. KEYS x, xs; ARGV id, claimUntil, now, keepMs.
 * Removes the id unless it was rescheduled meanwhile (score ≠ claim), and
 * notes it in xs for keepMs (entries older are dropped, and xs expires when idle).
 */
const SETTLE = `
local s = redis.call('ZSCORE', KEYS[1], ARGV[1])
if s and tonumber(s) == tonumber(ARGV[2]) then
  redis.call('ZREM', KEYS[1], ARGV[1])
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. (tonumber(ARGV[3]) - tonumber(ARGV[4])))
  redis.call('PEXPIRE', KEYS[2], ARGV[4])
  return 1
end
return 0
`;

/** Gives a claim back (the purge failed). KEYS x; ARGV id, claimUntil, expireAt. Restores the score unless rescheduled meanwhile. */
const RELEASE = `
local s = redis.call('ZSCORE', KEYS[1], ARGV[1])
if s and tonumber(s) == tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], 'XX', ARGV[3], ARGV[1])
  return 1
end
return 0
`;

/** Starts a rebuild. KEYS xr; ARGV token, ttlMs. The token set expires (tokens of dead rebuilders do not pile up). */
const BEGIN_REBUILD = `
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`;

/**
 * Completes a rebuild. KEYS xr, xb; ARGV token, generation. Sets xb only if
 * the token is still there (Redis did not lose its data during the rebuild).
 * Returns 1 when confirmed.
 */
const CONFIRM_REBUILD = `
if redis.call('SREM', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('SET', KEYS[2], ARGV[2], 'NX')
return 1
`;

/**
 * The ids a keys-only listing must re-read. KEYS x, xb, xs; ARGV threshold,
 * since, id…. Returns {1, id…} with the ids scored ≤ threshold in x or
 * settled at or after `since` in xs, or {0} when xb is missing: the schedule
 * may have lost entries (Redis lost it, a rebuild is under way), so every id
 * must be re-read.
 */
const DUE_AMONG = `
if redis.call('EXISTS', KEYS[2]) == 0 then return {0} end
local out = {1}
local limit = tonumber(ARGV[1])
local since = tonumber(ARGV[2])
for i = 3, #ARGV do
  local s = redis.call('ZSCORE', KEYS[1], ARGV[i])
  local t = redis.call('ZSCORE', KEYS[3], ARGV[i])
  if (s and tonumber(s) <= limit) or (t and tonumber(t) >= since) then out[#out + 1] = ARGV[i] end
end
return out
`;

/** Reads the registry. KEYS collections, born. Returns {born exists (0/1), name…}. */
const READ_REGISTRY = `
local names = redis.call('SMEMBERS', KEYS[1])
table.insert(names, 1, redis.call('EXISTS', KEYS[2]))
return names
`;

/** Adds collections to the registry. KEYS collections, born; ARGV complete (1: the names are every marker), name…. */
const REGISTER = `
for i = 2, #ARGV do redis.call('SADD', KEYS[1], ARGV[i]) end
if ARGV[1] == '1' then redis.call('SET', KEYS[2], '1') end
return 1
`;

/** Every script of the shared schedule. */
export const EXPIRY_SCRIPTS = {
  claim: script('claim', CLAIM),
  restore: script('restore', RESTORE),
  settle: script('settle', SETTLE),
  release: script('release', RELEASE),
  beginRebuild: script('begin_rebuild', BEGIN_REBUILD),
  confirmRebuild: script('confirm_rebuild', CONFIRM_REBUILD),
  dueAmong: script('due_among', DUE_AMONG),
  readRegistry: script('read_registry', READ_REGISTRY),
  register: script('register', REGISTER),
};
