/**
 * @smarterbase/client: the TypeScript client of SmarterBase.
 *
 * ```ts
 * const db = createClient({ address: '127.0.0.1:50051' });
 * const doc = await db.put('users', 'ada', { name: 'Ada' });
 * ```
 */
export { createClient, SmarterBaseClient } from './client.js';
export type { CreateOptions, DeleteOptions, ListOptions, PutIfMatchOptions, PutOptions } from './client.js';
export type { AcquireOptions, HeldLock, HoldOptions, HoldUpdate, LockGuard, LockInfo, LockLease, WithLockFn } from './locks.js';
export { del, put, statusToError } from './batch.js';
export type {
  BatchDelItem,
  BatchDeleteOptions,
  BatchExistsItem,
  BatchItem,
  BatchPutItem,
  BatchPutOptions,
  BatchWriteResult,
} from './batch.js';
export type { BatchGetItem, DeleteResult, JsonObject, JsonValue, ListPage, ReadDocument, StoredDocument } from './document.js';
export {
  ERROR_DOMAIN,
  REASONS,
  RevisionCompactedError,
  SmarterBaseError,
  codeName,
  hasCode,
  hasReason,
  isAlreadyExists,
  isEtagMismatch,
  isLockHeld,
  isLockNotHeld,
  isNotFound,
  isRevisionCompacted,
  isSequenceTrimmed,
  isPreconditionFailed,
  isTransactionContention,
  isUnavailable,
  toSmarterBaseError,
} from './errors.js';
export type { FieldViolation, PreconditionViolation, Reason, SmarterBaseErrorInit } from './errors.js';
export { DEFAULT_RETRY_POLICY } from './options.js';
export type { CallOptions, ClientOptions, RetryPolicy } from './options.js';
export type { ClientTlsOptions } from './tls.js';
export { createRetryInterceptor, isRetryableError, NO_AUTO_RETRY } from './retry.js';
export type { RetryHooks } from './retry.js';
export type { UpdateFn, UpdateOptions } from './update.js';
export { isTransactionRetryable, Transaction } from './commit.js';
export type {
  CommitOptions,
  CommitResult,
  CommittedWrite,
  CommitTarget,
  RunTransactionOptions,
  TransactionFn,
  TransactionRun,
  TransactionWriteSpec,
  WriteCondition,
} from './commit.js';
export { and, arrayContains, asc, contains, desc, eq, exists, gt, gte, isIn, lt, lte, ne, not, notIn, or, startsWith } from './filter.js';
export type { Filter, OrderBy } from './filter.js';
export { QueryStream } from './query.js';
export type { CountOptions, CountResult, FilterOptions, QueryOptions, QueryPlan } from './query.js';
export { IndexBuildError } from './admin.js';
export type { IndexDefinition, IndexInfo, IndexKind, IndexState, WaitForIndexOptions } from './admin.js';
export { Code } from '@connectrpc/connect';
export { isWatchRetryable, WatchStream } from './watch.js';
export type { WatchBatch, WatchBatchKind, WatchChange, WatchChangeType, WatchHooks, WatchOptions } from './watch.js';
export { DEFAULT_OBJECT_CHUNK_BYTES, ObjectCalls } from './objects.js';
export type { DownloadOptions, ObjectInfo, ObjectPage, ObjectSource, UploadOptions } from './objects.js';
export { MAX_OBJECT_CHUNK_BYTES, SourceError } from './object-upload.js';
export type { ResumableHooks, ResumableSource, ResumableUploadOptions, UploadProgress } from './object-upload.js';
export type { Expiry, ExpiryOption } from './expiry.js';
export { LogCalls } from './logs.js';
export type { AppendOptions, AppendResult } from './logs.js';
export { LogAppender, toLogLine } from './log-appender.js';
export type { AppenderHooks, AppenderOptions, LogLine } from './log-appender.js';
export { LogReadStream } from './log-reader.js';
export type { LogEntry, ReadLogOptions } from './log-reader.js';
