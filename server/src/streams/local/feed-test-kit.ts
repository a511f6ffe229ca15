/**
 * Test helpers of the local change feed's specs: a settable clock, events,
 * refs and temporary journal directories. Not used by the feed itself.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FeedChange, FeedEvent, PendingRef } from '../change-feed.js';

/** A clock the test moves: ms since the epoch. */
export class TestClock {
  constructor(public ms = 1_800_000_000_000) {}
  /** The current time, ms. */
  now(): number {
    return this.ms;
  }
}

/** A put of `id` replacing `prevRevision`. */
export function putRef(id: string, prevRevision = 0): PendingRef {
  return { id, op: 'put', prevRevision };
}

/** An event at `revision` with one put change per id (each change at that revision unless given). */
export function eventAt(revision: number, commitTimeMs: number, changes: readonly Partial<FeedChange>[] = [{}]): FeedEvent {
  return {
    revision,
    commitTimeMs,
    changes: changes.map((c, i) => ({ id: `d${revision}.${i}`, op: 'put', revision, prevRevision: 0, ...c })),
  };
}

/** A fresh temporary directory and its removal. */
export async function tempDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'sb-feed-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** A log that keeps its warnings. */
export function recordingLog(): { warnings: { obj: object; msg: string }[]; warn(obj: object, msg: string): void } {
  const warnings: { obj: object; msg: string }[] = [];
  return { warnings, warn: (obj, msg) => warnings.push({ obj, msg }) };
}
