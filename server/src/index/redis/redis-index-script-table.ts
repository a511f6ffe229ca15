/**
 * The Lua scripts of RedisIndexStore (redis-index-scripts.ts,
 * redis-index-read-scripts.ts) with their SHA-1 for EVALSHA and the name they
 * carry in metrics and spans.
 */
import { createHash } from 'node:crypto';
import { WALK_SCRIPT, SET_EXPR_SCRIPT } from './redis-index-read-scripts.js';
import {
  APPLY_SCRIPT,
  APPLY_MANY_SCRIPT,
  CLEAR_PENDING_SCRIPT,
  CREATE_INDEX_SCRIPT,
  DROP_INDEX_SCRIPT,
  NEXT_SEQ_SCRIPT,
  PENDING_LIST_SCRIPT,
  RECORD_NO_INDEXES_SCRIPT,
  RELEASE_SCRIPT,
  RESERVE_SCRIPT,
  SET_INDEX_STATE_SCRIPT,
  SWAP_SHADOW_SCRIPT,
} from './redis-index-scripts.js';

/** A Lua script with its SHA-1 and its name in metrics and spans. */
export interface Script {
  readonly name: string;
  readonly lua: string;
  readonly sha: string;
}

function script(name: string, lua: string): Script {
  return { name: `index.${name}`, lua, sha: createHash('sha1').update(lua).digest('hex') };
}

/** Every script of RedisIndexStore, by use. */
export const SCRIPTS = {
  create: script('create', CREATE_INDEX_SCRIPT),
  recordNoIndexes: script('record_no_indexes', RECORD_NO_INDEXES_SCRIPT),
  setState: script('set_state', SET_INDEX_STATE_SCRIPT),
  drop: script('drop', DROP_INDEX_SCRIPT),
  swapShadow: script('swap_shadow', SWAP_SHADOW_SCRIPT),
  nextSeq: script('next_seq', NEXT_SEQ_SCRIPT),
  apply: script('apply', APPLY_SCRIPT),
  applyMany: script('apply_many', APPLY_MANY_SCRIPT),
  reserve: script('reserve', RESERVE_SCRIPT),
  release: script('release', RELEASE_SCRIPT),
  pendingList: script('pending_list', PENDING_LIST_SCRIPT),
  clearPending: script('clear_pending', CLEAR_PENDING_SCRIPT),
  setExpr: script('set_expr', SET_EXPR_SCRIPT),
  walk: script('walk', WALK_SCRIPT),
};
