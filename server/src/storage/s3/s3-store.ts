import { Agent as HttpsAgent } from 'node:https';
import * as tls from 'node:tls';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { throwIfAborted, timeoutSignal } from '../../common/abort.js';
import { DbError } from '../../errors/db-error.js';
import {
  ConditionFailedError,
  type Blob,
  type BlobMeta,
  type BlobStore,
  type ListOptions,
  type ListPage,
  type WriteCondition,
} from '../blob-store.js';
import { validateListLimit } from '../list-limit.js';
import { md5Hex } from '../verified-reads.js';
import { quoteEtag, unquoteEtag } from './etag.js';
import { sseParams, type SseOptions } from './sse.js';
import { abortWith, installAbortSignals, ScopedAbortHttpHandler } from './scoped-abort.js';
import { isNotFound, mapS3Error, s3Timeout, STORAGE_MESSAGES, type S3Op } from './s3-errors.js';

/** Options of S3BlobStore. */
export interface S3BlobStoreOptions {
  /** The bucket holding every object. */
  readonly bucket: string;
  /** The region to sign for (default 'us-east-1'). */
  readonly region?: string;
  /** A non-AWS endpoint URL (MinIO, R2, gofakes3, …); unset means AWS. */
  readonly endpoint?: string;
  /** Address buckets as <endpoint>/<bucket> instead of <bucket>.<endpoint> (default false). */
  readonly forcePathStyle?: boolean;
  /** Prepended to every key (e.g. 'tenant-a/'), stripped from listed keys (default ''). */
  readonly prefix?: string;
  /** Static credentials; when unset the SDK's default provider chain is used. */
  readonly accessKeyId?: string;
  /** Static credentials; used only together with accessKeyId. */
  readonly secretAccessKey?: string;
  /**
   * Attempts per call, including the first (default 3). The SDK's standard retry
   * strategy retries throttling (503 SlowDown, with a 500 ms backoff base),
   * 5xx and network errors with jittered exponential backoff. main.ts sets 1 and
   * wraps the store in storage/retrying-store.ts, which retries on the
   * injected clock and never multiplies its attempts with the SDK's.
   */
  readonly maxAttempts?: number;
  /**
   * Server-side limit of one store call, the SDK's retries included, in ms (default
   * DEFAULT_S3_TIMEOUT_MS). A call still unanswered then is abandoned and fails
   * 'unavailable' / BACKEND_UNAVAILABLE; it is also each attempt's socket idle
   * limit, and it caps the TCP connect limit (S3_CONNECT_TIMEOUT_MS).
   */
  readonly timeoutMs?: number;
  /**
   * Sockets the client may open to the endpoint (default 50, the SDK's);
   * requests beyond it wait in the HTTP agent. main sizes it to the read
   * windows it runs (config/read-concurrency.ts s3MaxSockets).
   */
  readonly maxSockets?: number;
  /** PEM CA bundle trusted for an https endpoint besides the system CAs (SB_S3_CA_FILE); omit for the system CAs only. */
  readonly caBundle?: Buffer;
  /** Server-side encryption asked on every PutObject (SB_S3_SSE); unset = none. */
  readonly sse?: SseOptions;
  /**
   * Called once per request sent to S3 when it ends (each HTTP request: the
   * HEAD an unconditional delete starts with counts apart), with its
   * operation, outcome, duration in seconds and (unprefixed) key, or prefix
   * for list, and the signal the call was made with: the storage request
   * metrics (storage/request-meter.ts). Not called for ensureBucket.
   */
  readonly onRequest?: (
    op: Extract<S3Op, 'get' | 'head' | 'put' | 'delete' | 'list'>,
    outcome: 'ok' | 'condition_failed' | 'error',
    seconds: number,
    key: string,
    signal: AbortSignal | undefined,
  ) => void;
}

/** The user-metadata key (x-amz-meta-sb-md5) where every put records the body's MD5, returned by get as Blob.contentMd5. */
export const DIGEST_METADATA = 'sb-md5';

/** The default server-side limit of one S3 call (SB_S3_TIMEOUT_MS), in ms. */
export const DEFAULT_S3_TIMEOUT_MS = 10_000;

/** Sockets to the endpoint when S3BlobStoreOptions.maxSockets is unset: the AWS SDK's own default. */
export const DEFAULT_S3_MAX_SOCKETS = 50;

/** The longest an attempt may take to open its TCP connection, in ms (less when timeoutMs is smaller). */
export const S3_CONNECT_TIMEOUT_MS = 3_000;

/**
 * An https agent that trusts `caBundle` besides the system CAs. An Agent
 * instance, not agent options: from options the SDK's handler makes its
 * own agent, and for every `Expect: 100-continue` request (large PUTs,
 * object parts) yet another one without those options, which then failed
 * "unable to verify the first certificate".
 */
function privateCaAgent(maxSockets: number, caBundle: Buffer): HttpsAgent {
  return new HttpsAgent({ keepAlive: true, maxSockets, ca: [...tls.rootCertificates, caBundle.toString('utf8')] });
}

/**
 * A BlobStore over an S3 bucket (AWS or any S3-compatible endpoint).
 *
 * Conditions use S3's own If-Match / If-None-Match on PutObject and If-Match on
 * DeleteObject, so they are only as atomic as the endpoint makes them: run
 * probeConditionalWrites at start-up and wrap the store in LockedConditionsStore
 * when it fails. Errors: 412 / 409 ConditionalRequestConflict / 404 on an
 * If-Match write → ConditionFailedError; throttling after the SDK's retries →
 * DbError('resource_exhausted', 'BACKEND_THROTTLED'); network errors, 5xx,
 * 403, a missing bucket and a call unanswered after timeoutMs →
 * DbError('unavailable', 'BACKEND_UNAVAILABLE'); an aborted signal →
 * 'cancelled' / 'deadline_exceeded'. Messages are generic (STORAGE_MESSAGES).
 */
export class S3BlobStore implements BlobStore {
  /** The SDK client (exposed for tests and diagnostics). */
  readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly timeoutMs: number;
  private readonly onRequest: S3BlobStoreOptions['onRequest'];
  private readonly sse: ReturnType<typeof sseParams>;

  constructor(options: S3BlobStoreOptions) {
    this.onRequest = options.onRequest;
    this.sse = sseParams(options.sse);
    this.bucket = options.bucket;
    this.prefix = options.prefix ?? '';
    this.timeoutMs = options.timeoutMs ?? DEFAULT_S3_TIMEOUT_MS;
    const maxSockets = options.maxSockets ?? DEFAULT_S3_MAX_SOCKETS;
    const config: S3ClientConfig = {
      region: options.region ?? 'us-east-1',
      forcePathStyle: options.forcePathStyle ?? false,
      maxAttempts: options.maxAttempts ?? 3,
      retryMode: 'standard',
      // Per attempt: a connect that never completes, or a socket that goes silent, ends the attempt.
      requestHandler: new ScopedAbortHttpHandler({
        connectionTimeout: Math.min(S3_CONNECT_TIMEOUT_MS, this.timeoutMs),
        socketTimeout: this.timeoutMs,
        httpAgent: { maxSockets },
        httpsAgent: options.caBundle === undefined ? { maxSockets } : privateCaAgent(maxSockets, options.caBundle),
      }),
      // Resolve each command's middleware stack once (sends carry no options: the abort signal rides on the input, scoped-abort.ts).
      cacheMiddleware: true,
    };
    if (options.endpoint !== undefined) {
      config.endpoint = options.endpoint;
      // Non-AWS endpoints often reject the SDK's default CRC checksums.
      config.requestChecksumCalculation = 'WHEN_REQUIRED';
      config.responseChecksumValidation = 'WHEN_REQUIRED';
    }
    if (options.accessKeyId !== undefined && options.secretAccessKey !== undefined) {
      config.credentials = { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey };
    }
    this.client = new S3Client(config);
    installAbortSignals(this.client);
  }

  /** The object, or undefined when the key does not exist. */
  async get(key: string, signal?: AbortSignal): Promise<Blob | undefined> {
    return this.call('get', key, signal, async (abortSignal) => {
      try {
        const res = await this.client.send(new GetObjectCommand(abortWith(abortSignal, { Bucket: this.bucket, Key: this.prefix + key })));
        const body = res.Body === undefined ? new Uint8Array() : await res.Body.transformToByteArray();
        const contentMd5 = res.Metadata?.[DIGEST_METADATA];
        return { body, etag: unquoteEtag(res.ETag), ...(contentMd5 !== undefined ? { contentMd5 } : {}) };
      } catch (e) {
        if (isNotFound(e) && !abortSignal.aborted) return undefined;
        throw e;
      }
    });
  }

  /** The object's etag, or undefined when the key does not exist. */
  async head(key: string, signal?: AbortSignal): Promise<BlobMeta | undefined> {
    return this.call('head', key, signal, async (abortSignal) => {
      try {
        const res = await this.client.send(new HeadObjectCommand(abortWith(abortSignal, { Bucket: this.bucket, Key: this.prefix + key })));
        return { etag: unquoteEtag(res.ETag) };
      } catch (e) {
        if (isNotFound(e) && !abortSignal.aborted) return undefined;
        throw e;
      }
    });
  }

  /** PutObject with If-Match / If-None-Match: '*' as the condition asks. */
  async put(key: string, body: Uint8Array, condition?: WriteCondition, signal?: AbortSignal): Promise<BlobMeta> {
    const ifMatch = condition?.ifMatch;
    const conditional = ifMatch !== undefined || condition?.ifNoneMatch === true;
    const res = await this.call(
      'put',
      key,
      signal,
      (abortSignal) =>
        this.client.send(
          new PutObjectCommand(
            abortWith(abortSignal, {
              Bucket: this.bucket,
              Key: this.prefix + key,
              Body: body,
              ContentType: 'application/json',
              Metadata: { [DIGEST_METADATA]: md5Hex(body) },
              ...this.sse,
              ...(ifMatch !== undefined ? { IfMatch: quoteEtag(ifMatch) } : {}),
              ...(condition?.ifNoneMatch === true ? { IfNoneMatch: '*' } : {}),
            }),
          ),
        ),
      conditional,
      ifMatch !== undefined,
    );
    if (res.ETag !== undefined && res.ETag !== '') return { etag: unquoteEtag(res.ETag) };
    const meta = await this.head(key, signal); // endpoints that omit the ETag header
    if (meta === undefined) {
      throw new DbError('unavailable', 'BACKEND_UNAVAILABLE', STORAGE_MESSAGES.unavailable, { metadata: { operation: 'put' } });
    }
    return meta;
  }

  /**
   * DeleteObject (with If-Match when asked). S3 answers 204 whether or not the
   * object existed, so an unconditional delete first asks HeadObject.
   */
  async delete(key: string, condition?: Pick<WriteCondition, 'ifMatch'>, signal?: AbortSignal): Promise<boolean> {
    const ifMatch = condition?.ifMatch;
    if (ifMatch === undefined && (await this.head(key, signal)) === undefined) return false;
    await this.call(
      'delete',
      key,
      signal,
      (abortSignal) =>
        this.client.send(
          new DeleteObjectCommand(
            abortWith(abortSignal, {
              Bucket: this.bucket,
              Key: this.prefix + key,
              ...(ifMatch !== undefined ? { IfMatch: quoteEtag(ifMatch) } : {}),
            }),
          ),
        ),
      ifMatch !== undefined,
      ifMatch !== undefined,
    );
    return true;
  }

  /** ListObjectsV2 with Prefix, StartAfter and MaxKeys (S3 lists in UTF-8 byte order). */
  async list(options: ListOptions, signal?: AbortSignal): Promise<ListPage> {
    validateListLimit(options.limit);
    const res = await this.call('list', options.prefix, signal, (abortSignal) =>
      this.client.send(
        new ListObjectsV2Command(
          abortWith(abortSignal, {
            Bucket: this.bucket,
            Prefix: this.prefix + options.prefix,
            MaxKeys: options.limit,
            ...(options.startAfter !== undefined ? { StartAfter: this.prefix + options.startAfter } : {}),
          }),
        ),
      ),
    );
    const keys = (res.Contents ?? [])
      .map((o) => o.Key ?? '')
      .filter((k) => k.startsWith(this.prefix))
      .map((k) => k.slice(this.prefix.length));
    return { keys, isTruncated: res.IsTruncated === true };
  }

  /** Creates the bucket when HeadBucket says it is missing (tests and the auto-create config flag). */
  async ensureBucket(signal?: AbortSignal): Promise<void> {
    const exists = await this.call('ensureBucket', this.bucket, signal, async (abortSignal) => {
      try {
        await this.client.send(new HeadBucketCommand(abortWith(abortSignal, { Bucket: this.bucket })));
        return true;
      } catch (e) {
        if (isNotFound(e) && !abortSignal.aborted) return false;
        throw e;
      }
    });
    if (exists) return;
    await this.call('ensureBucket', this.bucket, signal, async (abortSignal) => {
      try {
        await this.client.send(new CreateBucketCommand(abortWith(abortSignal, { Bucket: this.bucket })));
      } catch (e) {
        const code = (e as { name?: string }).name;
        if (code !== 'BucketAlreadyOwnedByYou' && code !== 'BucketAlreadyExists') throw e;
      }
    });
  }

  /** Closes the SDK's connections. */
  async close(): Promise<void> {
    this.client.destroy();
  }

  /**
   * Runs one SDK call under the server-side limit: `fn` gets a signal that
   * aborts with the caller's `signal` or after timeoutMs, whichever is first.
   */
  private async call<T>(
    op: Extract<S3Op, 'get' | 'head' | 'put' | 'delete' | 'list' | 'ensureBucket'>,
    key: string,
    signal: AbortSignal | undefined,
    fn: (abortSignal: AbortSignal) => Promise<T>,
    conditional = false,
    ifMatch = false,
  ): Promise<T> {
    throwIfAborted(signal);
    const limit = timeoutSignal(signal, this.timeoutMs);
    const start = performance.now();
    let outcome: 'ok' | 'condition_failed' | 'error' = 'ok';
    try {
      return await fn(limit.signal);
    } catch (e) {
      const mapped =
        e instanceof DbError
          ? e
          : limit.timedOut()
            ? s3Timeout(op, this.timeoutMs, e)
            : mapS3Error(e, op, key, signal, conditional, ifMatch);
      outcome = mapped instanceof ConditionFailedError ? 'condition_failed' : 'error';
      throw mapped;
    } finally {
      limit.release();
      if (op !== 'ensureBucket') this.onRequest?.(op, outcome, (performance.now() - start) / 1000, key, signal);
    }
  }
}
