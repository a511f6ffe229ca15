/**
 * The server environment of a running SharedStack, to start more servers on
 * the same S3 and Redis (e.g. one armed with a failpoint, or a restarted one).
 */
import type { SharedStack } from './shared-stack.js';

/** SB_* settings for S3 storage and Redis coordination of `stack`, plus `extra`. */
export function sharedStackEnv(stack: Pick<SharedStack, 's3' | 'redis'>, extra: Record<string, string> = {}): Record<string, string> {
  return {
    SB_STORAGE: 's3',
    SB_S3_ENDPOINT: stack.s3.endpoint,
    SB_S3_BUCKET: stack.s3.bucket,
    SB_S3_FORCE_PATH_STYLE: 'true',
    SB_COORDINATION: 'redis',
    SB_REDIS_URL: stack.redis.url,
    ...extra,
  };
}
