import { abortError, throwIfAborted } from '../../common/abort.js';
import { DbError } from '../../errors/db-error.js';
import { compareUtf8 } from '../extract-values.js';
import { indexAlreadyExists, indexNotFound, requireIndex, sameDefinition } from '../index-rules.js';
import type { ApplyOutcome, IdSetExpr, IndexCatalog, IndexStore, IndexValues, OrderedWalk, PendingWrite } from '../index-store.js';
import { RedisIndexCheck } from './redis-index-check.js';
import { parseCatalog, parseDefinition, type CachedCatalog } from './redis-index-catalog.js';
import type { IndexDefinition, IndexInfo, IndexState } from '../../model/index-def.js';
import { SCRIPTS, type Script } from './redis-index-script-table.js';
import {
  describeError as describe,
  openRedis,
  redisUnavailable as unavailable,
  nodeForKey,
  scanTargets,
  type RedisClient,
} from '../../coordination/redis/redis-connection.js';
import { RedisGuard } from '../../coordination/redis/redis-guard.js';
import {
  collectionBase,
  collectionKeys,
  compileExpr,
  docKey,
  equalitySetPattern,
  numberBounds,
  stringBounds,
  type TokenCatalog,
} from './redis-index-layout.js';

/** How to reach Redis (the same settings as RedisCoordinatorOptions). */
export interface RedisIndexStoreOptions {
  /** redis://[user:password@]host:port[/db] (or rediss:// for TLS); with `cluster`, seed URLs separated by commas. */
  readonly url: string;
  /** A Redis Cluster (SB_REDIS_CLUSTER): a collection's keys share one slot; SCANs visit every master. Default false. */
  readonly cluster?: boolean;
  /** Prefix of every key. Default 'sb:'. */
  readonly keyPrefix?: string;
  /** How long connecting may take before 'unavailable', in ms. Default 2000. */
  readonly connectTimeoutMs?: number;
  /** How long one command may take before 'unavailable', in ms. Default 2000. */
  readonly commandTimeoutMs?: number;
  /** How long the record of a deleted document is kept (so late older writes stay ignored), in ms. Default 86_400_000. */
  readonly tombstoneTtlMs?: number;
  /** Circuit breaker, metrics and spans around every command (share the coordinator's breaker: same Redis). Default: its own guard. */
  readonly guard?: RedisGuard;
}

/** Entries one walk script call may scan before yielding (keeps Redis responsive). */
const WALK_MAX_SCAN = 20_000;

/**
 * The IndexStore over Redis: key layout in redis-index-layout.ts, every
 * change one Lua script (atomic per document), reads as scripts over sets
 * and sorted sets. The catalog is cached per collection and revalidated on
 * every use with one HGET of its change stamp.
 *
 * Failing fast like the RedisCoordinator: every failure is
 * DbError('unavailable', 'BACKEND_UNAVAILABLE') within about commandTimeoutMs.
 */
export class RedisIndexStore implements IndexStore {
  private readonly cache = new Map<string, CachedCatalog>();
  private closed = false;
  private readonly check: RedisIndexCheck = new RedisIndexCheck({
    redis: (c) => nodeForKey(this.redis, this.base(c)),
    tombstoneTtlMs: () => this.tombstoneTtlMs,
    base: (c) => this.base(c),
    tokenCatalog: (c, signal) => this.tokenCatalog(c, signal),
    evalScript: (s, keys, args, signal) => this.eval(s, keys, args, signal),
    run: (op, send, signal) => this.run(op, send, signal),
  });

  private constructor(
    private readonly redis: RedisClient,
    private readonly keyPrefix: string,
    private readonly tombstoneTtlMs: number,
    private readonly ownsConnection: boolean,
    private readonly guard: RedisGuard,
  ) {}

  /** Connects; throws DbError('unavailable') when Redis does not answer within connectTimeoutMs. */
  static async connect(options: RedisIndexStoreOptions): Promise<RedisIndexStore> {
    const redis = await openRedis(options);
    return new RedisIndexStore(
      redis,
      options.keyPrefix ?? 'sb:',
      options.tombstoneTtlMs ?? 86_400_000,
      true,
      options.guard ?? new RedisGuard({}, 'indexes'),
    );
  }

  /** Uses an existing connection (not closed by close()). */
  static attach(redis: RedisClient, options: { keyPrefix?: string; tombstoneTtlMs?: number; guard?: RedisGuard } = {}): RedisIndexStore {
    const guard = options.guard ?? new RedisGuard({}, 'indexes');
    return new RedisIndexStore(redis, options.keyPrefix ?? 'sb:', options.tombstoneTtlMs ?? 86_400_000, false, guard);
  }

  /** The collection's catalog (cached; revalidated with one HGET). */
  async catalog(collection: string, signal?: AbortSignal): Promise<IndexCatalog> {
    return (await this.tokenCatalog(collection, signal)).catalog;
  }

  /** Creates the collection's catalog hash with no index unless it exists; its generation (IndexStore.recordNoIndexes). */
  async recordNoIndexes(collection: string): Promise<string> {
    return String(await this.eval(SCRIPTS.recordNoIndexes, [collectionKeys(this.base(collection)).catalog], []));
  }

  /** Adds an index in state 'building', or returns the existing one with the same definition. */
  async createIndex(def: IndexDefinition, now: Date): Promise<{ index: IndexInfo; created: boolean }> {
    const base = this.base(def.collection);
    const json = JSON.stringify({
      collection: def.collection,
      name: def.name,
      fields: def.fields,
      kind: def.kind,
      ...(def.hashValues === true ? { hashValues: true } : {}),
      createTime: now.toISOString(),
    });
    const [created, stored] = (await this.eval(SCRIPTS.create, [collectionKeys(base).catalog], [base, def.name, json])) as [number, string];
    const fresh = await this.tokenCatalog(def.collection);
    const index = fresh.catalog.indexes.find((i) => i.name === def.name) ?? parseDefinition(stored).info;
    if (created !== 1 && !sameDefinition(index, def)) throw indexAlreadyExists(index);
    return { index, created: created === 1 };
  }

  /** Updates state / progress / error of an index. */
  async setIndexState(
    collection: string,
    name: string,
    update: { state?: IndexState; documentsScanned?: number; error?: string },
  ): Promise<void> {
    const base = this.base(collection);
    const pairs: string[] = [];
    if (update.state !== undefined) pairs.push(`st:${name}`, update.state);
    if (update.documentsScanned !== undefined) pairs.push(`sc:${name}`, String(update.documentsScanned));
    if (update.error !== undefined) pairs.push(`er:${name}`, update.error);
    const found = await this.eval(SCRIPTS.setState, [collectionKeys(base).catalog], [base, name, ...pairs]);
    if (found !== 1) throw indexNotFound(collection, name);
  }

  /** Removes an index and all its entries. */
  async dropIndex(collection: string, name: string): Promise<boolean> {
    const base = this.base(collection);
    const tok = (await this.eval(SCRIPTS.drop, [collectionKeys(base).catalog], [base, name])) as string | null;
    if (tok === null) return false;
    await this.unlinkEqualitySets(base, tok);
    return true;
  }

  /** The swap of an online rebuild, one script on the catalog key (IndexStore.swapShadow); then the old equality sets go. */
  async swapShadow(collection: string, name: string, shadow: string): Promise<boolean> {
    const base = this.base(collection);
    const tok = (await this.eval(SCRIPTS.swapShadow, [collectionKeys(base).catalog], [base, name, shadow])) as string | null;
    if (tok === null) return false;
    await this.unlinkEqualitySets(base, tok);
    return true;
  }

  /** Deletes the equality sets e:<tok>:* of a token no catalog entry holds any more. */
  private async unlinkEqualitySets(base: string, tok: string): Promise<void> {
    for (const node of scanTargets(this.redis)) {
      // On a cluster every master is walked (the collection's slot lives on one of them; a failover may move it).
      let cursor = '0';
      do {
        const from = cursor;
        const [next, keys] = await this.run('index.scan', () => node.scan(from, 'MATCH', equalitySetPattern(base, tok), 'COUNT', 1000));
        if (keys.length > 0) await this.run('index.unlink', () => this.redis.unlink(...keys));
        cursor = next;
      } while (cursor !== '0');
    }
  }

  /**
   * INCR of the collection's counter (restarting from Redis's clock in microseconds when Redis lost
   * it); with pendingId, records it as pending in the same script. With `given` (a revision the Redis
   * change feed allocated on this same counter key), that seq is used and recorded as is.
   */
  async nextSeq(collection: string, pendingId?: string, given?: number): Promise<number> {
    const keys = collectionKeys(this.base(collection));
    const args = given === undefined ? (pendingId === undefined ? [] : [pendingId]) : [pendingId ?? '', String(given)];
    return Number(await this.eval(SCRIPTS.nextSeq, [keys.seq, keys.pending], args));
  }

  /** Pending records at least olderThanMs old by Redis's clock (one script over the collection's pending hash). */
  async pendingWrites(collection: string, olderThanMs: number, limit: number): Promise<PendingWrite[]> {
    const keys = collectionKeys(this.base(collection));
    const flat = (await this.eval(SCRIPTS.pendingList, [keys.pending], [String(Math.max(0, olderThanMs)), String(limit)])) as string[];
    const out: PendingWrite[] = [];
    for (let i = 0; i + 2 < flat.length; i += 3) out.push({ id: flat[i]!, seq: Number(flat[i + 1]), ageMs: Number(flat[i + 2]) });
    return out.sort((a, b) => b.ageMs - a.ageMs);
  }

  /** Removes id's pending record if it holds seq. */
  async clearPending(collection: string, id: string, seq: number): Promise<void> {
    const base = this.base(collection);
    await this.eval(SCRIPTS.clearPending, [collectionKeys(base).pending], [base, id, String(seq)]);
  }

  /** Reserves unique values for id (one script: all or none). */
  async reserveUnique(
    collection: string,
    id: string,
    values: IndexValues,
    ttlMs: number,
  ): Promise<{ index: string; conflictingId: string } | undefined> {
    const base = this.base(collection);
    const args = [base, id, String(Math.ceil(ttlMs)), JSON.stringify(values)];
    const res = (await this.eval(SCRIPTS.reserve, [collectionKeys(base).catalog], args)) as string[];
    return res.length === 2 ? { index: res[0] as string, conflictingId: res[1] as string } : undefined;
  }

  /** Releases reservations id holds on these values. */
  async releaseUnique(collection: string, id: string, values: IndexValues): Promise<void> {
    const base = this.base(collection);
    await this.eval(SCRIPTS.release, [collectionKeys(base).catalog], [base, id, JSON.stringify(values)]);
  }

  /** Replaces the document's entries in one script (see IndexStore.apply). */
  async apply(collection: string, id: string, seq: number, values: IndexValues | null, catalogVersion: number): Promise<ApplyOutcome> {
    const base = this.base(collection);
    const keys = collectionKeys(base);
    const args = [
      base,
      id,
      String(seq),
      String(catalogVersion),
      values === null ? 'null' : JSON.stringify(values),
      String(this.tombstoneTtlMs),
    ];
    return (await this.eval(SCRIPTS.apply, [keys.catalog, docKey(base, id), keys.all], args)) as ApplyOutcome;
  }

  /** Applies several documents in one script (see IndexStore.applyMany). */
  async applyMany(
    collection: string,
    items: readonly { readonly id: string; readonly seq: number; readonly values: IndexValues | null }[],
    catalogVersion: number,
  ): Promise<ApplyOutcome[]> {
    if (items.length === 0) return [];
    const base = this.base(collection);
    const keys = collectionKeys(base);
    const args = [base, String(catalogVersion), String(this.tombstoneTtlMs)];
    for (const it of items) args.push(it.id, String(it.seq), it.values === null ? 'null' : JSON.stringify(it.values));
    const recs = items.map((it) => docKey(base, it.id));
    return (await this.eval(SCRIPTS.applyMany, [keys.catalog, keys.all, ...recs], args)) as ApplyOutcome[];
  }

  /** The ids of the set, ascending in UTF-8 byte order. */
  async ids(collection: string, expr: IdSetExpr, signal?: AbortSignal): Promise<string[]> {
    const ids = (await this.setExpr(collection, expr, 'ids', signal)) as string[];
    return ids.sort(compareUtf8);
  }

  /** The size of the set. */
  async count(collection: string, expr: IdSetExpr, signal?: AbortSignal): Promise<number> {
    return (await this.setExpr(collection, expr, 'count', signal)) as number;
  }

  /** A window of an ordered index. */
  async walk(collection: string, walk: OrderedWalk, signal?: AbortSignal): Promise<string[]> {
    const cat = await this.tokenCatalog(collection, signal);
    requireIndex(cat.catalog, collection, walk.index, ['ordered']);
    if (walk.limit <= 0) return [];
    const base = this.base(collection);
    const mode = walk.range?.type ?? 'both';
    const within = walk.within === undefined ? undefined : compileExpr(walk.within, cat, collection);
    const fixed = [
      base,
      cat.tokens.get(walk.index) as string,
      walk.direction,
      mode,
      ...numberBounds(walk.range?.type === 'number' ? walk.range : undefined),
      ...stringBounds(walk.range?.type === 'string' ? walk.range : undefined),
    ];
    const out: string[] = [];
    let raw = 0;
    let skip = walk.offset;
    for (;;) {
      const tail = [String(raw), String(skip), String(walk.limit - out.length), String(WALK_MAX_SCAN)];
      const args = [...fixed, ...tail, within === undefined ? '0' : '1', ...(within ?? [])];
      const [more, nextRaw, skipLeft, ids] = (await this.eval(SCRIPTS.walk, [collectionKeys(base).all], args, signal)) as [
        number,
        number,
        number,
        string[],
      ];
      out.push(...ids);
      if (more !== 1 || out.length >= walk.limit) return out;
      raw = nextRaw;
      skip = skipLeft;
    }
  }

  /** Which probed entries exist (IndexStore.heldEntries). */
  readonly heldEntries: IndexStore['heldEntries'] = (c, probes) => this.check.heldEntries(c, probes);
  /** A page of one index's entries (IndexStore.scanEntries). */
  readonly scanEntries: IndexStore['scanEntries'] = (c, ix, cursor, n, signal) => this.check.scanEntries(c, ix, cursor, n, signal);
  /** Random entries of one index (IndexStore.sampleEntries). */
  readonly sampleEntries: IndexStore['sampleEntries'] = (c, ix, n, random) => this.check.sampleEntries(c, ix, n, random);
  /** Repairs one document's entries (IndexStore.repairEntries). */
  readonly repairEntries: IndexStore['repairEntries'] = (c, r, version) => this.check.repairEntries(c, r, version);

  /** Closes the connection if this store opened it. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (!this.ownsConnection) return;
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }

  private async setExpr(collection: string, expr: IdSetExpr, mode: 'ids' | 'count', signal?: AbortSignal): Promise<unknown> {
    const cat = await this.tokenCatalog(collection, signal);
    const base = this.base(collection);
    const program = compileExpr(expr, cat, collection);
    return this.eval(SCRIPTS.setExpr, [collectionKeys(base).all], [base, mode, ...program], signal);
  }

  private async tokenCatalog(collection: string, signal?: AbortSignal): Promise<TokenCatalog> {
    throwIfAborted(signal);
    const key = collectionKeys(this.base(collection)).catalog;
    const cached = this.cache.get(collection);
    if (cached !== undefined) {
      const stamp = (await this.run('index.catalog_stamp', () => this.redis.hget(key, '_stamp'), signal)) ?? '0';
      if (stamp === cached.stamp) return cached;
    }
    const fresh = parseCatalog(await this.run('index.catalog', () => this.redis.hgetall(key), signal));
    this.cache.set(collection, fresh);
    return fresh;
  }

  private async eval(s: Script, keys: string[], args: string[], signal?: AbortSignal): Promise<unknown> {
    this.checkOpen();
    try {
      return await this.run(s.name, () => this.redis.evalsha(s.sha, keys.length, ...keys, ...args), signal);
    } catch (e) {
      if (!(e instanceof DbError) || !/NOSCRIPT/.test(describe(e.cause))) throw e;
      return this.run(s.name, () => this.redis.eval(s.lua, keys.length, ...keys, ...args), signal);
    }
  }

  /** Sends a command through the guard (breaker, metrics, span) unless `signal` aborted; maps failures to 'unavailable'. */
  private async run<T>(op: string, send: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    try {
      throwIfAborted(signal);
      const command = this.guard.call(op, send);
      if (signal === undefined) return await command;
      return await new Promise<T>((resolve, reject) => {
        const onAbort = (): void => reject(abortError(signal));
        signal.addEventListener('abort', onAbort, { once: true });
        command.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
      });
    } catch (cause) {
      if (cause instanceof DbError) throw cause;
      throw unavailable(`Redis command failed: ${describe(cause)}`, cause);
    }
  }

  private base(collection: string): string {
    return collectionBase(this.keyPrefix, collection);
  }

  private checkOpen(): void {
    if (this.closed) throw unavailable('index store is closed');
  }
}
