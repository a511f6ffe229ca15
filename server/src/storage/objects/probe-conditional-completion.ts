/**
 * The start-up check of whether an ObjectStore enforces the condition of an
 * upload's completion (If-None-Match / If-Match on CompleteMultipartUpload),
 * atomically. Where it does not (gofakes3 v1.2.0), the caller must serialise
 * completions of a key under a coordination lock, as LockedConditionsStore
 * does for documents. Writes scratch objects under '<prefix><random>/' and
 * removes them (and any upload it left open). About 45 requests on S3.
 */
import { randomBytes } from 'node:crypto';
import { ConditionFailedError } from '../blob-store.js';
import type { ObjectCondition, ObjectStore } from './object-store.js';

/** What probeConditionalCompletion found. */
export interface CompletionProbeResult {
  /** True when every check passed: completions' conditions can be trusted. */
  readonly native: boolean;
  /** Each check by name (completionIfNoneMatchRefused, completionIfMatchWrongRefused, completionIfMatchRightSucceeds, atomicCompletionIfNoneMatch). */
  readonly checks: Record<string, boolean>;
}

/** Concurrent completions in the atomicity check. */
const RACERS = 8;

/** Runs the checks (see CompletionProbeResult); backend errors propagate. */
export async function probeConditionalCompletion(
  store: ObjectStore,
  options: { readonly prefix?: string; readonly signal?: AbortSignal } = {},
): Promise<CompletionProbeResult> {
  const { signal } = options;
  const dir = `${options.prefix ?? '_probe/'}${randomBytes(8).toString('hex')}/`;
  const opened: { key: string; uploadId: string }[] = [];
  const keys = new Set<string>();
  /** Starts an upload of one small part; returns its completion. */
  const prepare = async (key: string): Promise<(condition: ObjectCondition) => Promise<{ etag: string }>> => {
    keys.add(key);
    const uploadId = await store.startUpload(key, { signal });
    opened.push({ key, uploadId });
    const part = await store.putPart(key, uploadId, 1, randomBytes(32), signal);
    return (condition) => store.completeUpload(key, uploadId, [part], { condition, signal });
  };
  const refused = async (p: Promise<unknown>): Promise<boolean> => {
    try {
      await p;
      return false;
    } catch (e) {
      if (e instanceof ConditionFailedError) return true;
      throw e;
    }
  };
  const checks: Record<string, boolean> = {};
  try {
    const key = `${dir}a`;
    const first = await (await prepare(key))({ ifNoneMatch: true });
    checks.completionIfNoneMatchRefused = await refused((await prepare(key))({ ifNoneMatch: true }));
    checks.completionIfMatchWrongRefused = await refused((await prepare(key))({ ifMatch: `${first.etag}0` }));
    const current = (await store.head(key, signal))?.etag ?? first.etag;
    checks.completionIfMatchRightSucceeds = !(await refused((await prepare(key))({ ifMatch: current })));
    const racers = await Promise.all(Array.from({ length: RACERS }, () => prepare(`${dir}race`)));
    const results = await Promise.allSettled(racers.map((complete) => complete({ ifNoneMatch: true })));
    for (const r of results) if (r.status === 'rejected' && !(r.reason instanceof ConditionFailedError)) throw r.reason;
    checks.atomicCompletionIfNoneMatch = results.filter((r) => r.status === 'fulfilled').length === 1;
  } finally {
    for (const u of opened) await store.abortUpload(u.key, u.uploadId).catch(() => undefined);
    for (const k of keys) await store.delete(k).catch(() => undefined);
  }
  return { native: Object.values(checks).every((v) => v), checks };
}
