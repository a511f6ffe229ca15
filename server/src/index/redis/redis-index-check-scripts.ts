/**
 * The Lua scripts of the index check and repair (IndexStore.heldEntries,
 * repairEntries; index/index-check.ts). KEYS[1] is the collection's catalog
 * and ARGV[1] its key base, so every key lies in the collection's hash slot
 * (redis-index-layout.ts). They share the entry add and remove of a
 * write's apply (redis-index-entry-lua.ts), in their repair form.
 */
import { CATALOG_INDEXES_LUA, ENTRY_OPS_LUA } from './redis-index-entry-lua.js';

/** Lua: the catalog's indexes, the entry test of one (value, id), and the shared add and remove. */
const ENTRY_HELPERS = `
local base = ARGV[1]
${CATALOG_INDEXES_LUA}
local function hasEntry(ix, v, id)
  if ix.kind == 'equality' then return redis.call('SISMEMBER', base .. 'e:' .. ix.tok .. ':' .. v, id) == 1 end
  if ix.kind == 'unique' then return redis.call('HGET', base .. 'u:' .. ix.tok, v) == id end
  local t = string.sub(v, 1, 2)
  if t == 'n:' then
    local score = redis.call('ZSCORE', base .. 'n:' .. ix.tok, id)
    return score ~= false and tonumber(score) == tonumber(string.sub(v, 3))
  end
  return redis.call('ZSCORE', base .. 's:' .. ix.tok, string.sub(v, 3) .. '\\0\\0' .. id) ~= false
end
${ENTRY_OPS_LUA}`;

/**
 * KEYS: catalog. ARGV: base, probes JSON ([{id, values}]). Returns JSON:
 * per probe {s = record seq, v = record values JSON (false: no record), h = {index: [held values]}}.
 */
export const HELD_ENTRIES_SCRIPT = `${ENTRY_HELPERS}
local indexes = catalogIndexes(KEYS[1])
local out = {}
for i, p in ipairs(cjson.decode(ARGV[2])) do
  local held = {}
  for name, vs in pairs(p.values) do
    local ix = indexes[name]
    local h = {}
    if ix then for _, v in ipairs(vs) do if hasEntry(ix, v, p.id) then h[#h + 1] = v end end end
    held[name] = h
  end
  local rec = redis.call('HMGET', base .. 'd:' .. p.id, 's', 'v')
  out[i] = { s = rec[1], v = rec[2], h = held }
end
return cjson.encode(out)
`;

/**
 * KEYS: catalog, document record, all-ids set. ARGV: base, id, expected
 * record seq ('' = none), seq, catalogVersion, values JSON or 'null', remove
 * JSON, tombstone TTL ms. IndexStore.repairEntries: 'repaired', 'changed' or
 * 'catalog_changed' (nothing done).
 */
export const REPAIR_ENTRIES_SCRIPT = `${ENTRY_HELPERS}
local id = ARGV[2]
if tonumber(redis.call('HGET', KEYS[1], '_version') or '0') ~= tonumber(ARGV[5]) then return 'catalog_changed' end
local rec = redis.call('HMGET', KEYS[2], 's', 'v')
if (rec[1] or '') ~= ARGV[3] then return 'changed' end
local old = nil
if rec[2] and rec[2] ~= 'null' then old = cjson.decode(rec[2]) end
local new = nil
if ARGV[6] ~= 'null' then new = cjson.decode(ARGV[6]) end
local remove = cjson.decode(ARGV[7])
for name, ix in pairs(catalogIndexes(KEYS[1])) do
  local newv = (new and new[name]) or {}
  local keep = {}
  for _, v in ipairs(newv) do keep[v] = true end
  for _, list in ipairs({ (old and old[name]) or {}, remove[name] or {} }) do
    for _, v in ipairs(list) do if not keep[v] then removeEntry(ix, v, id, true) end end
  end
  for _, v in ipairs(newv) do addEntry(ix, v, id, false) end
end
if new then redis.call('SADD', KEYS[3], id) else redis.call('SREM', KEYS[3], id) end
if new or rec[1] then
  redis.call('HSET', KEYS[2], 's', ARGV[4], 'c', ARGV[5], 'v', ARGV[6])
  if new then redis.call('PERSIST', KEYS[2]) else redis.call('PEXPIRE', KEYS[2], ARGV[8]) end
end
return 'repaired'
`;
