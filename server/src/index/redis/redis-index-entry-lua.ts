/**
 * Lua fragments shared by the index store's scripts (redis-index-scripts.ts)
 * and its check and repair scripts (redis-index-check-scripts.ts): reading
 * the catalog and adding or removing one index entry. They expect
 * `local base = ARGV[1]` (the collection's key base) to be defined before
 * them, so every key they touch lies in the collection's hash slot.
 */

/** Lua function catalogIndexes(catKey): the catalog's indexes by name, {kind, tok}. */
export const CATALOG_INDEXES_LUA = `
local function catalogIndexes(catKey)
  local flat = redis.call('HGETALL', catKey)
  local out = {}
  for i = 1, #flat, 2 do
    local f = flat[i]
    if string.sub(f, 1, 2) == 'd:' then
      local d = cjson.decode(flat[i + 1])
      out[string.sub(f, 3)] = { kind = d.kind, tok = d.tok }
    end
  end
  return out
end
`;

/**
 * Lua functions addEntry(ix, v, id, takeOver) and removeEntry(ix, v, id,
 * exactScore) on one encoded value v ('n:<number>' / 's:<string>' for an
 * ordered index). A write's apply takes a unique value over (takeOver: its
 * reservation proved the value free) and removes a document's numeric entry
 * whatever its score; a repair never takes a value another document holds,
 * and removes a numeric entry only when its score is the value's.
 */
export const ENTRY_OPS_LUA = `
local function addEntry(ix, v, id, takeOver)
  if ix.kind == 'equality' then
    redis.call('SADD', base .. 'e:' .. ix.tok .. ':' .. v, id)
  elseif ix.kind == 'unique' then
    local ukey = base .. 'u:' .. ix.tok
    if takeOver then
      redis.call('HSET', ukey, v, id)
    else
      local owner = redis.call('HGET', ukey, v)
      if (not owner) or owner == id then redis.call('HSET', ukey, v, id) end
    end
  elseif string.sub(v, 1, 2) == 'n:' then
    redis.call('ZADD', base .. 'n:' .. ix.tok, string.sub(v, 3), id)
  elseif string.sub(v, 1, 2) == 's:' then
    redis.call('ZADD', base .. 's:' .. ix.tok, 0, string.sub(v, 3) .. '\\0\\0' .. id)
  end
end
local function removeEntry(ix, v, id, exactScore)
  if ix.kind == 'equality' then
    redis.call('SREM', base .. 'e:' .. ix.tok .. ':' .. v, id)
  elseif ix.kind == 'unique' then
    local ukey = base .. 'u:' .. ix.tok
    if redis.call('HGET', ukey, v) == id then redis.call('HDEL', ukey, v) end
  elseif string.sub(v, 1, 2) == 'n:' then
    local key = base .. 'n:' .. ix.tok
    if exactScore then
      local score = redis.call('ZSCORE', key, id)
      if score == false or tonumber(score) ~= tonumber(string.sub(v, 3)) then return end
    end
    redis.call('ZREM', key, id)
  elseif string.sub(v, 1, 2) == 's:' then
    redis.call('ZREM', base .. 's:' .. ix.tok, string.sub(v, 3) .. '\\0\\0' .. id)
  end
end
`;
