/**
 * Transactions: the Transaction builder behind client.transaction(), the
 * write and result shapes of client.commit(), their conversion to and from
 * DocumentService.Commit messages, and runTransaction(), which re-runs a
 * read → build → commit function when the commit loses a race
 * (PRECONDITION_FAILED or TRANSACTION_CONTENTION).
 */
import { randomUUID } from 'node:crypto';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { backoffDelayMs, sleep } from './backoff.js';
import type { JsonObject } from './document.js';
import { checkDataKeys } from './data-check.js';
import { toProtoExpiration, type Expiry, type ExpiryOption } from './expiry.js';
import { isPreconditionFailed, isTransactionContention } from './errors.js';
import type { CommitRequestSchema, CommitResponse, TransactionWriteSchema } from './gen/smarterbase/v1/document_service_pb.js';
import { timestampToDate, toProtoGuard, type LockGuard } from './locks.js';
import type { CallOptions } from './options.js';

/**
 * What must be true of a document at commit time: exactly one of
 * `{ ifEtag }` (it exists with this etag), `{ ifExists: true }` or
 * `{ ifNotExists: true }`.
 */
export type WriteCondition =
  | { readonly ifEtag: string; readonly ifExists?: never; readonly ifNotExists?: never }
  | { readonly ifExists: true; readonly ifEtag?: never; readonly ifNotExists?: never }
  | { readonly ifNotExists: true; readonly ifEtag?: never; readonly ifExists?: never };

/** One write of client.commit(); Transaction builds these for you. */
export type TransactionWriteSpec =
  | {
      readonly op: 'set';
      readonly collection: string;
      readonly id: string;
      readonly data: JsonObject;
      readonly condition?: WriteCondition;
      readonly expiry?: Expiry;
    }
  | { readonly op: 'delete'; readonly collection: string; readonly id: string; readonly condition?: WriteCondition }
  | { readonly op: 'check'; readonly collection: string; readonly id: string; readonly condition: WriteCondition };

/** Options of commit(). */
export interface CommitOptions extends CallOptions {
  /**
   * Makes retries safe: a commit with the request id of one committed in the
   * last 10 minutes returns that commit's result and writes nothing.
   * Default: a random UUID (one per Transaction, kept across its commit() calls).
   */
  readonly requestId?: string;
  /** Commit only while holding this lock (LOCK_NOT_HELD once a newer grant exists). */
  readonly lockGuard?: LockGuard;
}

/** The outcome of one write of a commit, in request order. */
export interface CommittedWrite {
  /** The collection of the document. */
  readonly collection: string;
  /** The id of the document. */
  readonly id: string;
  /** The etag after the commit: new for a set, unchanged for a check of an existing document, "" for a delete or a check of a missing one. */
  readonly etag: string;
  /** The version after the commit; 0 when the document does not exist afterwards. */
  readonly version: number;
}

/** What a successful commit returns. */
export interface CommitResult {
  /** One result per write, in the order the writes were added. */
  readonly results: CommittedWrite[];
  /** The transaction's id (also in the server logs); the same for every retry of one request id. */
  readonly transactionId: string;
  /** The commit point, by the server's clock. */
  readonly commitTime: Date;
  /** The request id the commit was sent with. */
  readonly requestId: string;
}

/** The call a Transaction commits through (implemented by SmarterBaseClient). */
export interface CommitTarget {
  /** Sends a Commit. */
  commit(writes: readonly TransactionWriteSpec[], options?: CommitOptions): Promise<CommitResult>;
}

/**
 * Collects the writes of one all-or-nothing commit: chain set(), delete()
 * and check(), then commit(). At most one write per document (TypeError
 * otherwise). The writes are fixed once commit() is called; calling
 * commit() again re-sends the same request with the same request id, so it
 * returns the first result if that one committed.
 */
export class Transaction {
  private readonly list: TransactionWriteSpec[] = [];
  private readonly indexByDoc = new Map<string, number>();
  private autoRequestId: string | undefined;
  private sealed = false;

  /** Use client.transaction() instead. */
  constructor(private readonly target: CommitTarget) {}

  /**
   * Replaces (or creates) collection/id with data, optionally only if `condition` holds;
   * options.expiry sets when the written version expires.
   * Throws SmarterBaseError INVALID_ARGUMENT when data holds a key "__proto__".
   */
  set(collection: string, id: string, data: JsonObject, condition?: WriteCondition, options?: ExpiryOption): this {
    checkDataKeys(data);
    return this.add({
      op: 'set',
      collection,
      id,
      data: structuredClone(data),
      ...(condition ? { condition: checkCondition(condition, 'set') } : {}),
      ...(options?.expiry ? { expiry: options.expiry } : {}),
    });
  }

  /** Deletes collection/id (a no-op when absent), optionally only if `condition` holds. */
  delete(collection: string, id: string, condition?: WriteCondition): this {
    return this.add({ op: 'delete', collection, id, ...(condition ? { condition: checkCondition(condition, 'delete') } : {}) });
  }

  /** Writes nothing to collection/id but makes the commit fail unless `condition` holds at the commit point. */
  check(collection: string, id: string, condition: WriteCondition): this {
    if (condition === undefined) throw new TypeError('check() needs a condition: { ifEtag } | { ifExists: true } | { ifNotExists: true }');
    return this.add({ op: 'check', collection, id, condition: checkCondition(condition, 'check') });
  }

  /** The writes so far, in order (writes[i] is what a violation's subject "writes[i]" names). */
  get writes(): readonly TransactionWriteSpec[] {
    return this.list;
  }

  /** How many writes have been added. */
  get size(): number {
    return this.list.length;
  }

  /** The request id commit() sends unless options.requestId overrides it (set by the first commit()). */
  get requestId(): string | undefined {
    return this.autoRequestId;
  }

  /**
   * Commits every write or none. Rejects with a SmarterBaseError:
   * PRECONDITION_FAILED (err.preconditionFailures names writes[i]),
   * TRANSACTION_CONTENTION (retry the whole transaction; see
   * runTransaction), TRANSACTION_TOO_LARGE, LOCK_NOT_HELD, ...
   */
  commit(options?: CommitOptions): Promise<CommitResult> {
    this.sealed = true;
    this.autoRequestId ??= randomUUID();
    return this.target.commit(this.list, { ...options, requestId: options?.requestId ?? this.autoRequestId });
  }

  private add(w: TransactionWriteSpec): this {
    if (this.sealed) throw new Error('this transaction was already committed: start a new one with client.transaction()');
    if (typeof w.collection !== 'string' || typeof w.id !== 'string') throw new TypeError(`${w.op}(): collection and id must be strings`);
    const key = `${w.collection}\u0000${w.id}`;
    const earlier = this.indexByDoc.get(key);
    if (earlier !== undefined) {
      throw new TypeError(
        `${w.op}(${w.collection}, ${w.id}): writes[${earlier}] already writes this document (at most one write per document)`,
      );
    }
    this.indexByDoc.set(key, this.list.length);
    this.list.push(w);
    return this;
  }
}

/** Checks that a condition has exactly one valid field; returns it. */
function checkCondition(c: WriteCondition, op: string): WriteCondition {
  const set = [c.ifEtag !== undefined, c.ifExists !== undefined, c.ifNotExists !== undefined].filter(Boolean).length;
  const ok =
    set === 1 &&
    (c.ifEtag !== undefined
      ? typeof c.ifEtag === 'string' && c.ifEtag !== ''
      : c.ifExists !== undefined
        ? c.ifExists === true
        : c.ifNotExists === true);
  if (!ok)
    throw new TypeError(
      `${op}(): a condition is exactly one of { ifEtag: '<non-empty etag>' }, { ifExists: true } or { ifNotExists: true }`,
    );
  return c;
}

type ProtoWrite = MessageInitShape<typeof TransactionWriteSchema>;

/** Converts writes into the generated CommitRequest init shape (TypeError on a malformed write). */
export function toProtoCommitRequest(
  writes: readonly TransactionWriteSpec[],
  requestId: string,
  lockGuard: LockGuard | undefined,
): MessageInitShape<typeof CommitRequestSchema> {
  return { writes: writes.map(toProtoWrite), requestId, lockGuard: toProtoGuard(lockGuard) };
}

function toProtoWrite(w: TransactionWriteSpec): ProtoWrite {
  const base = {
    collection: w.collection,
    id: w.id,
    precondition: w.condition ? toProtoCondition(checkCondition(w.condition, w.op)) : undefined,
  };
  switch (w.op) {
    case 'set':
      return { ...base, operation: { case: 'set', value: { data: w.data, expiration: toProtoExpiration(w.expiry) } } };
    case 'delete':
      return { ...base, operation: { case: 'delete', value: {} } };
    case 'check':
      if (!w.condition) throw new TypeError('a check write needs a condition');
      return { ...base, operation: { case: 'check', value: {} } };
    default:
      throw new TypeError(`unknown write op ${String((w as { op: unknown }).op)}: use 'set', 'delete' or 'check'`);
  }
}

function toProtoCondition(c: WriteCondition): NonNullable<ProtoWrite['precondition']> {
  if (c.ifEtag !== undefined) return { condition: { case: 'etag', value: c.ifEtag } };
  return { condition: { case: 'exists', value: c.ifExists === true } };
}

/** Converts a generated CommitResponse into a CommitResult. */
export function fromProtoCommitResponse(res: CommitResponse, requestId: string): CommitResult {
  return {
    results: res.results.map((r) => ({ collection: r.collection, id: r.id, etag: r.etag, version: Number(r.version) })),
    transactionId: res.transactionId,
    commitTime: timestampToDate(res.commitTime),
    requestId,
  };
}

/** Reads what it needs, adds writes to `tx` (conditioned on what it read) and returns a value. May run several times: no side effects. */
export type TransactionFn<R> = (tx: Transaction, attempt: number) => R | Promise<R>;

/** Options of runTransaction(). timeoutMs applies to the commit call; signal also stops the backoff. */
export interface RunTransactionOptions extends CallOptions {
  /** Runs of fn + commit before the last PRECONDITION_FAILED / TRANSACTION_CONTENTION is thrown. Default 20. */
  readonly maxAttempts?: number;
  /** Upper bound of the first backoff. Default 10 ms. */
  readonly initialBackoffMs?: number;
  /** Cap of any backoff (also of the server's RetryInfo hint). Default 500 ms. */
  readonly maxBackoffMs?: number;
  /** Commit only while holding this lock. */
  readonly lockGuard?: LockGuard;
}

/** What runTransaction() resolves with. */
export interface TransactionRun<R> {
  /** What the successful run of fn returned. */
  readonly value: R;
  /** The commit's result; undefined when fn added no writes (nothing was committed). */
  readonly commit: CommitResult | undefined;
  /** How many times fn ran (1 = no retry). */
  readonly attempts: number;
}

/** True for the errors after which runTransaction runs fn again. */
export function isTransactionRetryable(err: unknown): boolean {
  return isPreconditionFailed(err) || isTransactionContention(err);
}

/**
 * Runs fn with a fresh Transaction and commits it; when fn or the commit
 * fails with PRECONDITION_FAILED or TRANSACTION_CONTENTION, waits a
 * jittered backoff (at least the server's RetryInfo hint) and starts over,
 * up to options.maxAttempts runs. Other errors are thrown at once.
 */
export async function runTransaction<R>(
  begin: () => Transaction,
  fn: TransactionFn<R>,
  options: RunTransactionOptions = {},
): Promise<TransactionRun<R>> {
  const maxAttempts = options.maxAttempts ?? 20;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new RangeError('maxAttempts must be an integer >= 1');
  const backoff = { initialBackoffMs: options.initialBackoffMs ?? 10, maxBackoffMs: options.maxBackoffMs ?? 500, multiplier: 2 };
  const commitOptions: CommitOptions = { timeoutMs: options.timeoutMs, signal: options.signal, lockGuard: options.lockGuard };
  for (let attempt = 1; ; attempt++) {
    try {
      const tx = begin();
      const value = await fn(tx, attempt);
      const commit = tx.size === 0 ? undefined : await tx.commit(commitOptions);
      return { value, commit, attempts: attempt };
    } catch (err) {
      if (!isTransactionRetryable(err) || attempt >= maxAttempts) throw err;
      const hint = (err as { retryDelayMs?: number }).retryDelayMs ?? 0;
      await sleep(backoffDelayMs(backoff, attempt, Math.random, hint), options.signal);
    }
  }
}
