/**
 * The request-id index (request-index.ts) in Redis, shared by every server
 * (docs/adr/0013 §10): per log a hash `sb:{m:log:<name>}:rid` (id →
 * "first,count,sha,timeMs"), a zset `…:ridt` (id by time, for trimming to
 * the window) and the indexed-through mark `…:ridb`; all under the log
 * mutex's hash tag (one Cluster slot). A missing mark means the index is new
 * or Redis lost it: the flusher then rebuilds it from the chunk headers.
 * Every key expires twice the window after the log's last append.
 */
import type { RedisClient } from '../coordination/redis/redis-connection.js';
import type { RidRecord } from './chunk-format.js';
import type { RequestIndex, RidLookup } from './request-index.js';

/** KEYS: rid, ridt, ridb. ARGV: cutoff, indexedThrough ('' = leave the mark), ttlMs, then (id, value, timeMs) triples. */
const RECORD_SCRIPT = `
for i = 4, #ARGV, 3 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  redis.call('ZADD', KEYS[2], ARGV[i + 2], ARGV[i])
end
local old = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[1], 'LIMIT', 0, 1000)
for _, id in ipairs(old) do redis.call('HDEL', KEYS[1], id) end
if #old > 0 then redis.call('ZREM', KEYS[2], unpack(old)) end
if ARGV[2] ~= '' then redis.call('SET', KEYS[3], ARGV[2], 'PX', ARGV[3]) else redis.call('PEXPIRE', KEYS[3], ARGV[3]) end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return 1
`;

function keysOf(log: string): [string, string, string] {
  const base = `sb:{m:log:${log}}`;
  return [`${base}:rid`, `${base}:ridt`, `${base}:ridb`];
}

/** The index in Redis (Redis coordination). */
export class RedisRequestIndex implements RequestIndex {
  constructor(
    private readonly redis: RedisClient,
    /** How long a request id is remembered, in ms. */
    private readonly windowMs: number,
    /** The current time in ms. */
    private readonly now: () => number,
    /** Whether close() disconnects the connection. */
    private readonly ownsConnection = true,
  ) {}

  async lookup(log: string, ids: readonly string[]): Promise<RidLookup> {
    const [rid, , ridb] = keysOf(log);
    const pipe = this.redis.pipeline().get(ridb);
    if (ids.length > 0) pipe.hmget(rid, ...ids);
    const results = (await pipe.exec()) ?? [];
    for (const [err] of results) if (err) throw err;
    const mark = results[0]?.[1] as string | null;
    const values = (ids.length > 0 ? results[1]?.[1] : []) as (string | null)[];
    const cutoff = this.now() - this.windowMs;
    const found = new Map<string, RidRecord>();
    ids.forEach((id, i) => {
      const v = values[i];
      if (v === null || v === undefined) return;
      const [first, count, sha, timeMs] = v.split(',');
      if (Number(timeMs) < cutoff) return;
      found.set(id, { first: Number(first), count: Number(count), sha: sha! });
    });
    return { ...(mark === null ? {} : { indexedThrough: Number(mark) }), found };
  }

  async record(log: string, rids: ReadonlyMap<string, RidRecord>, timeMs: number, indexedThrough?: number): Promise<void> {
    const args: (string | number)[] = [this.now() - this.windowMs, indexedThrough ?? '', 2 * this.windowMs];
    for (const [id, r] of rids) args.push(id, `${r.first},${r.count},${r.sha},${timeMs}`, timeMs);
    await this.redis.eval(RECORD_SCRIPT, 3, ...keysOf(log), ...args);
  }

  close(): Promise<void> {
    if (this.ownsConnection) this.redis.disconnect();
    return Promise.resolve();
  }
}
