/**
 * The Lua scripts of the RedisIndexStore that read: set expressions (ids,
 * count) and ordered walks. A set expression arrives as a postfix program in
 * ARGV (compiled by redis-index-layout.ts):
 *
 *   K <suffix>          push the existing set <base><suffix> (all ids, an equality set)
 *   U <tok> <value>     push a temporary set holding the owner of a unique value
 *   N <tok> <min> <max> push a temporary set of the ids of a number range (ZRANGEBYSCORE bounds)
 *   S <tok> <min> <max> push a temporary set of the ids of a string range (ZRANGEBYLEX bounds)
 *   0                   push an empty set
 *   & <n> / | <n>       pop n sets, push their intersection / union
 *   -                   pop b, pop a, push a minus b
 *
 * Temporary keys are `<base>t:<n>` (inside the collection's hash tag); as
 * scripts run one at a time they cannot collide, and each script deletes its
 * temporaries before returning.
 */

/** The program interpreter and temporaries. */
const PROGRAM = `
local base = ARGV[1]
local temps = {}
local function newTemp()
  local k = base .. 't:' .. (#temps + 1)
  redis.call('DEL', k)
  table.insert(temps, k)
  return k
end
local function cleanup()
  if #temps > 0 then redis.call('DEL', unpack(temps)) end
end
local function idOf(m)
  local p = string.find(m, '\\0\\0', 1, true)
  return string.sub(m, p + 2)
end
local function saddAll(key, ids)
  for i = 1, #ids, 1000 do
    redis.call('SADD', key, unpack(ids, i, math.min(i + 999, #ids)))
  end
end
local function runProgram(start)
  local stack = {}
  local i = start
  while i <= #ARGV do
    local op = ARGV[i]
    if op == 'K' then
      table.insert(stack, base .. ARGV[i + 1])
      i = i + 2
    elseif op == 'U' then
      local t = newTemp()
      local owner = redis.call('HGET', base .. 'u:' .. ARGV[i + 1], ARGV[i + 2])
      if owner then redis.call('SADD', t, owner) end
      table.insert(stack, t)
      i = i + 3
    elseif op == 'N' then
      local t = newTemp()
      saddAll(t, redis.call('ZRANGEBYSCORE', base .. 'n:' .. ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]))
      table.insert(stack, t)
      i = i + 4
    elseif op == 'S' then
      local t = newTemp()
      local members = redis.call('ZRANGEBYLEX', base .. 's:' .. ARGV[i + 1], ARGV[i + 2], ARGV[i + 3])
      local ids = {}
      for j, m in ipairs(members) do ids[j] = idOf(m) end
      saddAll(t, ids)
      table.insert(stack, t)
      i = i + 4
    elseif op == '0' then
      table.insert(stack, newTemp())
      i = i + 1
    elseif op == '&' or op == '|' then
      local n = tonumber(ARGV[i + 1])
      local args = {}
      for j = 1, n do args[n - j + 1] = table.remove(stack) end
      local t = newTemp()
      redis.call(op == '&' and 'SINTERSTORE' or 'SUNIONSTORE', t, unpack(args))
      table.insert(stack, t)
      i = i + 2
    elseif op == '-' then
      local b = table.remove(stack)
      local a = table.remove(stack)
      local t = newTemp()
      redis.call('SDIFFSTORE', t, a, b)
      table.insert(stack, t)
      i = i + 1
    else
      return redis.error_reply('bad index program op ' .. tostring(op))
    end
  end
  return stack[#stack]
end
`;

/** KEYS: all-ids set. ARGV: base, 'ids' | 'count', program… Returns the members or the cardinality. */
export const SET_EXPR_SCRIPT = `${PROGRAM}
local key = runProgram(3)
local res
if ARGV[2] == 'count' then res = redis.call('SCARD', key) else res = redis.call('SMEMBERS', key) end
cleanup()
return res
`;

/**
 * KEYS: all-ids set. ARGV: base, tok, 'asc'|'desc', 'number'|'string'|'both',
 * number min, number max, string min, string max, raw start, skip, limit,
 * max entries to scan, '1' when a within-program follows (else '0'), program…
 *
 * Walks numbers then strings (asc) or strings then numbers (desc), values
 * descending but ties by id ascending in desc. Without a within-set it
 * returns the window at raw start + skip. With one, it scans from raw start,
 * skips `skip` members, collects up to `limit`; if it scanned max entries
 * first it stops early. Returns {more (1|0), next raw start, skip left, ids}.
 */
export const WALK_SCRIPT = `${PROGRAM}
local tok = ARGV[2]
local nkey = base .. 'n:' .. tok
local skey = base .. 's:' .. tok
local dir, mode = ARGV[3], ARGV[4]
local nmin, nmax, smin, smax = ARGV[5], ARGV[6], ARGV[7], ARGV[8]

local function valueOf(m)
  local p = string.find(m, '\\0\\0', 1, true)
  return string.sub(m, 1, p - 1)
end

-- Desc windows: Redis orders ties by member descending; re-read each tie
-- group of the window ascending (groups keep their positions either way).
local function numWindow(off, cnt)
  if dir == 'asc' then return redis.call('ZRANGEBYSCORE', nkey, nmin, nmax, 'LIMIT', off, cnt) end
  local win = redis.call('ZREVRANGEBYSCORE', nkey, nmax, nmin, 'WITHSCORES', 'LIMIT', off, cnt)
  local out = {}
  local i = 1
  while i <= #win do
    local s = win[i + 1]
    local j, k = i, 0
    while j <= #win and win[j + 1] == s do j, k = j + 2, k + 1 end
    local skip = 0
    if i == 1 then skip = off - redis.call('ZCOUNT', nkey, '(' .. s, nmax) end
    if k == 1 and skip == 0 and j <= #win then
      table.insert(out, win[i])
    else
      for _, id in ipairs(redis.call('ZRANGEBYSCORE', nkey, s, s, 'LIMIT', skip, k)) do table.insert(out, id) end
    end
    i = j
  end
  return out
end

local function strWindow(off, cnt)
  local out = {}
  if dir == 'asc' then
    for _, m in ipairs(redis.call('ZRANGEBYLEX', skey, smin, smax, 'LIMIT', off, cnt)) do table.insert(out, idOf(m)) end
    return out
  end
  local win = redis.call('ZREVRANGEBYLEX', skey, smax, smin, 'LIMIT', off, cnt)
  local i = 1
  while i <= #win do
    local v = valueOf(win[i])
    local j, k = i, 0
    while j <= #win and valueOf(win[j]) == v do j, k = j + 1, k + 1 end
    local skip = 0
    if i == 1 then skip = off - redis.call('ZLEXCOUNT', skey, '[' .. v .. '\\0\\1', smax) end
    if k == 1 and skip == 0 and j <= #win then
      table.insert(out, idOf(win[i]))
    else
      local group = redis.call('ZRANGEBYLEX', skey, '[' .. v .. '\\0\\0', '(' .. v .. '\\0\\1', 'LIMIT', skip, k)
      for _, m in ipairs(group) do table.insert(out, idOf(m)) end
    end
    i = j
  end
  return out
end

local segs
if mode == 'number' then segs = {'n'} elseif mode == 'string' then segs = {'s'}
elseif dir == 'asc' then segs = {'n', 's'} else segs = {'s', 'n'} end

local function window(off, cnt)
  local out = {}
  for idx, seg in ipairs(segs) do
    if cnt <= 0 then break end
    local size = nil
    if idx < #segs then
      if seg == 'n' then size = redis.call('ZCOUNT', nkey, nmin, nmax) else size = redis.call('ZLEXCOUNT', skey, smin, smax) end
    end
    if size == nil or off < size then
      local part
      if seg == 'n' then part = numWindow(off, cnt) else part = strWindow(off, cnt) end
      for _, id in ipairs(part) do table.insert(out, id) end
      cnt = cnt - #part
      off = 0
    else
      off = off - size
    end
  end
  return out
end

local raw, skip, limit, maxScan = tonumber(ARGV[9]), tonumber(ARGV[10]), tonumber(ARGV[11]), tonumber(ARGV[12])
if ARGV[13] ~= '1' then
  return {0, raw, 0, window(raw + skip, limit)}
end
local within = runProgram(14)
local out = {}
local scanned = 0
local page = math.max(64, math.min(1000, limit * 2))
while #out < limit do
  local ids = window(raw, page)
  if #ids == 0 then break end
  raw = raw + #ids
  scanned = scanned + #ids
  local member = redis.call('SMISMEMBER', within, unpack(ids))
  for idx, id in ipairs(ids) do
    if member[idx] == 1 then
      if skip > 0 then skip = skip - 1 else table.insert(out, id) end
      if #out >= limit then break end
    end
  end
  if #out < limit and scanned >= maxScan then
    cleanup()
    return {1, raw, skip, out}
  end
end
cleanup()
return {0, raw, skip, out}
`;
