/**
 * The Lua scripts of the Redis change feed (docs/adr/0012 §3, §5). Each runs
 * atomically on the collection's slot; key layout in redis-feed-layout.ts.
 * Revisions (Redis TIME in µs, about 1.8e15) stay exact in Lua's doubles and
 * are written with string.format('%d'); event JSON is never decoded in Lua
 * (cjson would round 16-digit numbers), only assembled from the client's parts.
 */
import { createHash } from 'node:crypto';

/** Lua: the Redis clock in µs. */
const NOW_MICROS = `
local function nowMicros()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local function fmt(n) return string.format('%d', n) end
`;

/** Lua: one below the smallest pending revision, else the counter (KEYS[1] seq, KEYS[2] fp). */
const WATERMARK = `
local function watermark()
  local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  if #first > 0 then return tonumber(first[2]) - 1 end
  return tonumber(redis.call('GET', KEYS[1]) or '0')
end
`;

/**
 * KEYS: seq, fp, fm. ARGV: the pending member's fragment (pendingFragment).
 * Creates fm.born (Redis TIME µs) when missing; revision = max(seq + 1, now,
 * born + 1); sets seq; adds the pending member {"r":rev,<fragment>,"t":ms}.
 * Returns {revision, 1 when this created the generation else 0, born}.
 */
export const ALLOCATE_SCRIPT = `${NOW_MICROS}
local now = nowMicros()
local created = redis.call('HSETNX', KEYS[3], 'born', fmt(now))
local born = tonumber(redis.call('HGET', KEYS[3], 'born'))
local rev = tonumber(redis.call('GET', KEYS[1]) or '0') + 1
if rev < now then rev = now end
if rev <= born then rev = born + 1 end
local s = fmt(rev)
redis.call('SET', KEYS[1], s)
redis.call('ZADD', KEYS[2], s, '{"r":' .. s .. ',' .. ARGV[1] .. ',"t":' .. fmt(math.floor(now / 1000)) .. '}')
return {rev, created, born}
`;

/**
 * KEYS: seq, fp, fq, fb, fm, fs. ARGV: retainCount, retainMs, n, n revisions,
 * then '0' (holes) or '1', the event header and (change revision, change JSON) pairs.
 * Claims the revisions still pending; queues the event narrowed to them
 * (narrowEvent: all claimed → as given; else without the changes of the
 * others, at the smallest claimed; nothing left → holes); releases every
 * queued event up to the watermark into the stream (id <rev>-0, fields e and
 * w: the watermark as of that entry; g: the generation, fm.born), records fm.w and trims.
 * Returns {1 when it claimed anything else 0, watermark}.
 */
export const RESOLVE_SCRIPT = `${NOW_MICROS}${WATERMARK}
local n = tonumber(ARGV[3])
local seen, ngiven, taken, takenSet = {}, 0, {}, {}
for i = 1, n do
  local r = tonumber(ARGV[3 + i])
  if not seen[r] then
    seen[r] = true
    ngiven = ngiven + 1
    local members = redis.call('ZRANGEBYSCORE', KEYS[2], fmt(r), fmt(r))
    if #members > 0 then
      redis.call('ZREM', KEYS[2], unpack(members))
      taken[#taken + 1] = r
      takenSet[r] = true
    end
  end
end
if #taken == 0 then return {0, watermark()} end
table.sort(taken)
local at = 4 + n
if ARGV[at] == '1' then
  local all = #taken == ngiven
  local parts = {}
  for j = at + 2, #ARGV - 1, 2 do
    local cr = tonumber(ARGV[j])
    if all or not (seen[cr] and not takenSet[cr]) then parts[#parts + 1] = ARGV[j + 1] end
  end
  if all or #parts > 0 then
    local s = fmt(taken[1])
    redis.call('ZADD', KEYS[3], s, s)
    redis.call('HSET', KEYS[4], s, '{"revision":' .. s .. ',' .. ARGV[at + 1] .. ',"changes":[' .. table.concat(parts, ',') .. ']}')
  end
end
local w = watermark()
local ready = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', fmt(w))
local born = redis.call('HGET', KEYS[5], 'born') or '0'
for i, s in ipairs(ready) do
  local wi = w
  if i < #ready then wi = tonumber(ready[i + 1]) - 1 end
  redis.call('XADD', KEYS[6], s .. '-0', 'e', redis.call('HGET', KEYS[4], s), 'w', fmt(wi), 'g', born)
  redis.call('HDEL', KEYS[4], s)
end
redis.call('HSET', KEYS[5], 'w', fmt(w))
if #ready > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', fmt(w))
  redis.call('XTRIM', KEYS[6], 'MAXLEN', '~', ARGV[1])
  local minId = nowMicros() - tonumber(ARGV[2]) * 1000
  if minId > 0 then redis.call('XTRIM', KEYS[6], 'MINID', '~', fmt(minId) .. '-0') end
end
return {1, w}
`;

/**
 * KEYS: seq, fp, fm, fs. ARGV: after ('' for bounds only), limit.
 * Returns {born, oldest, watermark, current, trimmed, valid, id1, fields1, …}:
 * a collection without fm (never written in this generation) is all 0;
 * oldest = max(born, the revision before the first retained entry) once
 * the stream was trimmed (Redis 7.0's max-deleted-entry-id ignores XTRIM);
 * `after` is valid within [oldest, current], or 0 while nothing was trimmed
 * (the whole generation is there); entries follow when valid.
 */
export const READ_SCRIPT = `
local function revOf(id) return tonumber(string.match(id, '^(%d+)-')) end
${WATERMARK}
local born = tonumber(redis.call('HGET', KEYS[3], 'born') or '0')
local oldest, w, current, trimmed = 0, 0, 0, 0
if born > 0 then
  current = tonumber(redis.call('GET', KEYS[1]) or '0')
  w = watermark()
  oldest = born
  if redis.call('EXISTS', KEYS[4]) == 1 then
    local info = redis.call('XINFO', 'STREAM', KEYS[4])
    local f = {}
    for i = 1, #info, 2 do f[info[i]] = info[i + 1] end
    if tonumber(f['entries-added']) > tonumber(f['length']) then
      trimmed = 1
      local cut
      if tonumber(f['length']) == 0 then cut = revOf(f['last-generated-id']) else cut = revOf(f['recorded-first-entry-id']) - 1 end
      if cut > oldest then oldest = cut end
    end
  end
end
local out = {born, oldest, w, current, trimmed, 0}
if ARGV[1] == '' then return out end
local after = tonumber(ARGV[1])
if not ((after >= oldest and after <= current) or (after == 0 and trimmed == 0)) then return out end
out[6] = 1
if born == 0 then return out end
local entries = redis.call('XRANGE', KEYS[4], '(' .. string.format('%d', after) .. '-0', '+', 'COUNT', ARGV[2])
for _, e in ipairs(entries) do
  out[#out + 1] = e[1]
  out[#out + 1] = e[2]
end
return out
`;

/** A Lua script with its SHA-1 for EVALSHA and its name in metrics and spans. */
export interface FeedScript {
  readonly name: string;
  readonly lua: string;
  readonly sha: string;
}

function script(name: string, lua: string): FeedScript {
  return { name: `feed.${name}`, lua, sha: createHash('sha1').update(lua).digest('hex') };
}

/** Every script of RedisFeed. */
export const FEED_SCRIPTS = {
  allocate: script('allocate', ALLOCATE_SCRIPT),
  resolve: script('resolve', RESOLVE_SCRIPT),
  read: script('read', READ_SCRIPT),
};
