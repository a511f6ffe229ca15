/**
 * The Lua scripts of the RedisIndexStore that change state. Each runs
 * atomically on the server. Key layout: redis-index-layout.ts. Scripts take
 * the collection's catalog key as KEYS[1] (so Redis Cluster routes them to the
 * collection's slot) and the collection's key base (`<prefix>{ix:<collection>}:`)
 * as ARGV[1]; the other keys they touch are derived from that base, so they
 * all lie in the same hash slot.
 */

import { CATALOG_INDEXES_LUA, ENTRY_OPS_LUA } from './redis-index-entry-lua.js';

/** Shared Lua helpers: the catalog's indexes and reservation parsing. */
const PRELUDE = `
local base = ARGV[1]
${CATALOG_INDEXES_LUA}
local function parseReservation(r)
  local p = string.find(r, ':', 1, true)
  return tonumber(string.sub(r, 1, p - 1)), string.sub(r, p + 1)
end
local function nowMs()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
`;

/**
 * Lua: the microseconds since the epoch by Redis's clock, as a decimal
 * string, and never-repeating counters built on it. A counter that Redis lost
 * (restarted empty) or took back (a cluster failover to a replica that lagged
 * behind holds an older value) must not hand out a value it handed out
 * before: a cached catalog stamp would match a different catalog, and a
 * document's new seq would be older than the seq stored in its envelope.
 * So every increment is at least epochMicros: after any loss, which takes
 * longer than the values the counter ran ahead of the clock (more than one
 * per microsecond on average), the counter is above everything it handed out,
 * as long as the clock of the Redis now serving it is not behind the old one's.
 */
const EPOCH_MICROS = `
local function epochMicros()
  local t = redis.call('TIME')
  return t[1] .. string.format('%06d', tonumber(t[2]))
end
local function atLeastNow(n)
  local now = tonumber(epochMicros())
  if n < now then return now, true end
  return n, false
end
local function nextCounter(key)
  local n, moved = atLeastNow(redis.call('INCR', key))
  if moved then redis.call('SET', key, string.format('%d', n)) end
  return n
end
local function bumpStamp(catKey)
  local n, moved = atLeastNow(redis.call('HINCRBY', catKey, '_stamp', 1))
  if moved then redis.call('HSET', catKey, '_stamp', string.format('%d', n)) end
end
`;

/**
 * KEYS: the collection's seq counter, its pending hash. ARGV: the id to record as pending ('' or
 * none: no record), then optionally a seq the change feed allocated (docs/adr/0012).
 * Returns the next seq (at least epochMicros, see there), or the given one (the counter, which
 * the feed's allocation already moved, only moves up to it should it be below); with an id,
 * records id → "<seq>:<now ms>" in the pending hash in the same step (docs/adr/0008).
 */
export const NEXT_SEQ_SCRIPT = `${EPOCH_MICROS}
local seq
if ARGV[2] then
  seq = tonumber(ARGV[2])
  if tonumber(redis.call('GET', KEYS[1]) or '0') < seq then redis.call('SET', KEYS[1], ARGV[2]) end
else
  seq = nextCounter(KEYS[1])
end
if ARGV[1] and ARGV[1] ~= '' then
  local t = redis.call('TIME')
  local ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  redis.call('HSET', KEYS[2], ARGV[1], string.format('%d', seq) .. ':' .. string.format('%d', ms))
end
return seq
`;

/**
 * Lua function clearPending(id, seq): deletes the pending record of id when it holds seq
 * (the pending hash is base .. 'p', in the collection's slot).
 */
const CLEAR_PENDING = `
local function clearPending(id, seqArg)
  local pkey = ARGV[1] .. 'p'
  local r = redis.call('HGET', pkey, id)
  if r and string.sub(r, 1, string.find(r, ':', 1, true) - 1) == seqArg then redis.call('HDEL', pkey, id) end
end
`;

/** KEYS: the pending hash. ARGV: base, id, seq. Deletes id's pending record when it holds seq. */
export const CLEAR_PENDING_SCRIPT = `${CLEAR_PENDING}
clearPending(ARGV[2], ARGV[3])
return 0
`;

/**
 * KEYS: the pending hash. ARGV: olderThanMs, limit. Returns {id, seq, ageMs, …} for the records
 * at least olderThanMs old by Redis's clock (at most limit; the hash holds only writes in flight
 * or unrepaired, so it is small).
 */
export const PENDING_LIST_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local minAge = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local out = {}
local flat = redis.call('HGETALL', KEYS[1])
for i = 1, #flat, 2 do
  if #out >= limit * 3 then break end
  local r = flat[i + 1]
  local p = string.find(r, ':', 1, true)
  local age = now - tonumber(string.sub(r, p + 1))
  if age >= minAge then
    out[#out + 1] = flat[i]
    out[#out + 1] = string.sub(r, 1, p - 1)
    out[#out + 1] = string.format('%d', age)
  end
end
return out
`;

/**
 * KEYS: catalog. Creates the catalog hash with no index (_version, _stamp and
 * _born at epochMicros, as CREATE_INDEX_SCRIPT would) unless it exists;
 * returns the catalog's generation (_born; 'v0' for a catalog older than _born).
 */
export const RECORD_NO_INDEXES_SCRIPT = `${EPOCH_MICROS}
if redis.call('EXISTS', KEYS[1]) == 0 then
  local start = epochMicros()
  redis.call('HSET', KEYS[1], '_version', start, '_stamp', start, '_born', start)
end
return redis.call('HGET', KEYS[1], '_born') or 'v0'
`;

/**
 * KEYS: catalog. ARGV: base, name, definition JSON (an object without `tok`).
 * Returns {1, stored JSON} when created (with tok = name@version), or {0, existing JSON}.
 * A new catalog hash starts _version and _stamp at epochMicros, and records it as _born, the
 * catalog's generation (IndexCatalog.generation); _stamp moves by bumpStamp (see EPOCH_MICROS).
 */
export const CREATE_INDEX_SCRIPT = `${EPOCH_MICROS}
local name = ARGV[2]
local existing = redis.call('HGET', KEYS[1], 'd:' .. name)
if existing then return {0, existing} end
if redis.call('HEXISTS', KEYS[1], '_stamp') == 0 then
  local start = epochMicros()
  redis.call('HSET', KEYS[1], '_version', start, '_stamp', start, '_born', start)
end
local v = redis.call('HINCRBY', KEYS[1], '_version', 1)
bumpStamp(KEYS[1])
local json = string.sub(ARGV[3], 1, -2) .. ',"tok":"' .. name .. '@' .. v .. '"}'
redis.call('HSET', KEYS[1], 'd:' .. name, json, 'st:' .. name, 'building', 'sc:' .. name, '0')
return {1, json}
`;

/** KEYS: catalog. ARGV: base, name, then field/value pairs. Returns 0 when there is no such index. */
export const SET_INDEX_STATE_SCRIPT = `${EPOCH_MICROS}
local name = ARGV[2]
if redis.call('HEXISTS', KEYS[1], 'd:' .. name) == 0 then return 0 end
for i = 3, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
bumpStamp(KEYS[1])
return 1
`;

/**
 * KEYS: catalog. ARGV: base, name. Removes the index from the catalog and
 * deletes its single-key structures; returns its tok (the caller deletes the
 * equality sets e:<tok>:*), or false when there was no such index.
 */
export const DROP_INDEX_SCRIPT = `${EPOCH_MICROS}
local base = ARGV[1]
local name = ARGV[2]
local d = redis.call('HGET', KEYS[1], 'd:' .. name)
if not d then return false end
local tok = cjson.decode(d).tok
redis.call('HDEL', KEYS[1], 'd:' .. name, 'st:' .. name, 'sc:' .. name, 'er:' .. name)
redis.call('HINCRBY', KEYS[1], '_version', 1)
bumpStamp(KEYS[1])
redis.call('DEL', base .. 'u:' .. tok, base .. 'r:' .. tok, base .. 'n:' .. tok, base .. 's:' .. tok)
return tok
`;

/**
 * KEYS: catalog. ARGV: base, name, shadow name. The atomic step of an online
 * rebuild (docs/adr/0009): when both exist and the shadow is READY, the
 * definition of name takes the shadow's tok (its entries; the createTime and
 * fields stay), name becomes READY with the shadow's progress, the shadow
 * leaves the catalog, the version moves on and the old single-key
 * structures are deleted. Returns the old tok (the caller deletes its
 * equality sets e:<tok>:*), or false when nothing was swapped.
 */
export const SWAP_SHADOW_SCRIPT = `${EPOCH_MICROS}
local base = ARGV[1]
local name = ARGV[2]
local shadow = ARGV[3]
local ld = redis.call('HGET', KEYS[1], 'd:' .. name)
local sd = redis.call('HGET', KEYS[1], 'd:' .. shadow)
if not ld or not sd or redis.call('HGET', KEYS[1], 'st:' .. shadow) ~= 'ready' then return false end
local oldTok = cjson.decode(ld).tok
local newTok = cjson.decode(sd).tok
local cut = string.find(ld, ',"tok":"', 1, true)
local scanned = redis.call('HGET', KEYS[1], 'sc:' .. shadow) or '0'
redis.call('HSET', KEYS[1], 'd:' .. name, string.sub(ld, 1, cut - 1) .. ',"tok":"' .. newTok .. '"}', 'st:' .. name, 'ready', 'sc:' .. name, scanned)
redis.call('HDEL', KEYS[1], 'er:' .. name, 'd:' .. shadow, 'st:' .. shadow, 'sc:' .. shadow, 'er:' .. shadow)
redis.call('HINCRBY', KEYS[1], '_version', 1)
bumpStamp(KEYS[1])
redis.call('DEL', base .. 'u:' .. oldTok, base .. 'r:' .. oldTok, base .. 'n:' .. oldTok, base .. 's:' .. oldTok)
return oldTok
`;

/**
 * Lua function applyOne(id, recKey, allKey, seq, catalogVersion, valuesJson, tombstoneTtlMs):
 * replaces one document's entries (IndexStore.apply); returns 'applied', 'stale' or
 * 'catalog_changed' (checked before anything changes). Unless the catalog changed, clears the
 * document's pending record of this seq. Needs PRELUDE. Its entries take a unique value over
 * (the write's reservation proved it free) and clear the write's own reservation.
 */
const APPLY_ONE = `${CLEAR_PENDING}${ENTRY_OPS_LUA}
local function applyOne(id, recKey, allKey, seqArg, cvArg, valuesArg, ttlArg)
  local seq = tonumber(seqArg)
  local cv = tonumber(cvArg)
  local current = tonumber(redis.call('HGET', KEYS[1], '_version') or '0')
  if cv ~= current then return 'catalog_changed' end
  clearPending(id, seqArg)
  local rec = redis.call('HMGET', recKey, 's', 'c', 'v')
  local old = nil
  if rec[1] then
    local rs = tonumber(rec[1])
    local rc = tonumber(rec[2])
    if not (seq > rs or (seq == rs and cv > rc)) then return 'stale' end
    if rec[3] and rec[3] ~= 'null' then old = cjson.decode(rec[3]) end
  end
  local new = nil
  if valuesArg ~= 'null' then new = cjson.decode(valuesArg) end

  local function add(ix, v)
    addEntry(ix, v, id, true)
    if ix.kind == 'unique' then
      -- The value is the document's now: its reservation is done.
      local rkey = base .. 'r:' .. ix.tok
      local r = redis.call('HGET', rkey, v)
      if r then
        local _, holder = parseReservation(r)
        if holder == id then redis.call('HDEL', rkey, v) end
      end
    end
  end

  for name, ix in pairs(catalogIndexes(KEYS[1])) do
    local oldv = (old and old[name]) or {}
    local newv = (new and new[name]) or {}
    local keep = {}
    for _, v in ipairs(newv) do keep[v] = true end
    for _, v in ipairs(oldv) do
      if not keep[v] then removeEntry(ix, v, id, false) end
    end
    for _, v in ipairs(newv) do add(ix, v) end
  end
  if new then redis.call('SADD', allKey, id) else redis.call('SREM', allKey, id) end
  redis.call('HSET', recKey, 's', seqArg, 'c', cvArg, 'v', valuesArg)
  if new then redis.call('PERSIST', recKey) else redis.call('PEXPIRE', recKey, ttlArg) end
  return 'applied'
end
`;

/**
 * KEYS: catalog, document record, all-ids set.
 * ARGV: base, id, seq, catalogVersion, values JSON ({index: [encoded…]} or 'null'), tombstone TTL ms.
 * Returns 'applied', 'stale' or 'catalog_changed' (IndexStore.apply).
 */
export const APPLY_SCRIPT = `${PRELUDE}${APPLY_ONE}
return applyOne(ARGV[2], KEYS[2], KEYS[3], ARGV[3], ARGV[4], ARGV[5], ARGV[6])
`;

/**
 * KEYS: catalog, all-ids set, then the record key of each document.
 * ARGV: base, catalogVersion, tombstone TTL ms, then id, seq, values JSON per document.
 * Applies every document in one atomic step (IndexStore.applyMany); returns one outcome per
 * document (all 'catalog_changed', with nothing changed, when the catalog moved on).
 */
export const APPLY_MANY_SCRIPT = `${PRELUDE}${APPLY_ONE}
local out = {}
for i = 3, #KEYS do
  local a = 4 + (i - 3) * 3
  out[#out + 1] = applyOne(ARGV[a], KEYS[i], KEYS[2], ARGV[a + 1], ARGV[2], ARGV[a + 2], ARGV[3])
end
return out
`;

/**
 * KEYS: catalog. ARGV: base, id, ttlMs, values JSON.
 * Reserves every value of every unique index for id, or none: returns
 * {index, conflictingId} for the first value another document holds
 * (confirmed, or reserved and not expired), else an empty array.
 */
export const RESERVE_SCRIPT = `${PRELUDE}
local id = ARGV[2]
local values = cjson.decode(ARGV[4])
local now = nowMs()
local todo = {}
for name, ix in pairs(catalogIndexes(KEYS[1])) do
  if ix.kind == 'unique' and values[name] then
    for _, v in ipairs(values[name]) do
      local owner = redis.call('HGET', base .. 'u:' .. ix.tok, v)
      if owner and owner ~= id then return {name, owner} end
      local r = redis.call('HGET', base .. 'r:' .. ix.tok, v)
      if r then
        local expires, holder = parseReservation(r)
        if holder ~= id and expires > now then return {name, holder} end
      end
      table.insert(todo, {base .. 'r:' .. ix.tok, v})
    end
  end
end
local value = string.format('%d', now + tonumber(ARGV[3])) .. ':' .. id
for _, kv in ipairs(todo) do redis.call('HSET', kv[1], kv[2], value) end
return {}
`;

/** KEYS: catalog. ARGV: base, id, values JSON. Deletes the reservations id holds on those values. */
export const RELEASE_SCRIPT = `${PRELUDE}
local id = ARGV[2]
local values = cjson.decode(ARGV[3])
for name, ix in pairs(catalogIndexes(KEYS[1])) do
  if ix.kind == 'unique' and values[name] then
    local rkey = base .. 'r:' .. ix.tok
    for _, v in ipairs(values[name]) do
      local r = redis.call('HGET', rkey, v)
      if r then
        local _, holder = parseReservation(r)
        if holder == id then redis.call('HDEL', rkey, v) end
      end
    end
  end
end
return 0
`;
