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
import { throwIfAborted } from '../../common/abort.js';
import { DbError } from '../../errors/db-error.js';
import type { Blob, BlobMeta, BlobStore, ListOptions, ListPage, WriteCondition } from '../blob-store.js';
import { validateListLimit } from '../list-limit.js';
import { quoteEtag, unquoteEtag } from './etag.js';
import { isNotFound, mapS3Error, type S3Op } from './s3-errors.js';

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
   * 5xx and network errors with jittered exponential backoff.
   */
  readonly maxAttempts?: number;
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
 * 403 and a missing bucket → DbError('unavailable', 'BACKEND_UNAVAILABLE');
 * an aborted signal → 'cancelled' / 'deadline_exceeded'.
 */
export class S3BlobStore implements BlobStore {
  /** The SDK client (exposed for tests and diagnostics). */
  readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;

  constructor(options: S3BlobStoreOptions) {
    this.bucket = options.bucket;
    this.prefix = options.prefix ?? '';
    const config: S3ClientConfig = {
      region: options.region ?? 'us-east-1',
      forcePathStyle: options.forcePathStyle ?? false,
      maxAttempts: options.maxAttempts ?? 3,
      retryMode: 'standard',
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
  }

  /** The object, or undefined when the key does not exist. */
  async get(key: string, signal?: AbortSignal): Promise<Blob | undefined> {
    return this.call('get', key, signal, async () => {
      try {
        const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }), {
          abortSignal: signal,
        });
        const body = res.Body === undefined ? new Uint8Array() : await res.Body.transformToByteArray();
        return { body, etag: unquoteEtag(res.ETag) };
      } catch (e) {
        if (isNotFound(e) && !signal?.aborted) return undefined;
        throw e;
      }
    });
  }

  /** The object's etag, or undefined when the key does not exist. */
  async head(key: string, signal?: AbortSignal): Promise<BlobMeta | undefined> {
    return this.call('head', key, signal, async () => {
      try {
        const res = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }), {
          abortSignal: signal,
        });
        return { etag: unquoteEtag(res.ETag) };
      } catch (e) {
        if (isNotFound(e) && !signal?.aborted) return undefined;
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
      () =>
        this.client.send(
          new PutObjectCommand({
            Bucket: this.bucket,
            Key: this.prefix + key,
            Body: body,
            ContentType: 'application/json',
            ...(ifMatch !== undefined ? { IfMatch: quoteEtag(ifMatch) } : {}),
            ...(condition?.ifNoneMatch === true ? { IfNoneMatch: '*' } : {}),
          }),
          { abortSignal: signal },
        ),
      conditional,
      ifMatch !== undefined,
    );
    if (res.ETag !== undefined && res.ETag !== '') return { etag: unquoteEtag(res.ETag) };
    const meta = await this.head(key, signal); // endpoints that omit the ETag header
    if (meta === undefined) throw new DbError('unavailable', 'BACKEND_UNAVAILABLE', `object ${key} vanished after put`);
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
      () =>
        this.client.send(
          new DeleteObjectCommand({
            Bucket: this.bucket,
            Key: this.prefix + key,
            ...(ifMatch !== undefined ? { IfMatch: quoteEtag(ifMatch) } : {}),
          }),
          { abortSignal: signal },
        ),
      ifMatch !== undefined,
      ifMatch !== undefined,
    );
    return true;
  }

  /** ListObjectsV2 with Prefix, StartAfter and MaxKeys (S3 lists in UTF-8 byte order). */
  async list(options: ListOptions, signal?: AbortSignal): Promise<ListPage> {
    validateListLimit(options.limit);
    const res = await this.call('list', options.prefix, signal, () =>
      this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: this.prefix + options.prefix,
          MaxKeys: options.limit,
          ...(options.startAfter !== undefined ? { StartAfter: this.prefix + options.startAfter } : {}),
        }),
        { abortSignal: signal },
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
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }), { abortSignal: signal });
      return;
    } catch (e) {
      if (!isNotFound(e) || signal?.aborted) throw mapS3Error(e, 'ensureBucket', this.bucket, signal);
    }
    await this.call('ensureBucket', this.bucket, signal, async () => {
      try {
        await this.client.send(new CreateBucketCommand({ Bucket: this.bucket }), { abortSignal: signal });
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

  private async call<T>(
    op: S3Op,
    key: string,
    signal: AbortSignal | undefined,
    fn: () => Promise<T>,
    conditional = false,
    ifMatch = false,
  ): Promise<T> {
    throwIfAborted(signal);
    try {
      return await fn();
    } catch (e) {
      if (e instanceof DbError) throw e;
      throw mapS3Error(e, op, key, signal, conditional, ifMatch);
    }
  }
}
