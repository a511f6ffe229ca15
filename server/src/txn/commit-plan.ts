/** What a transaction writes, worked out from its writes and the documents it read. */
import type { PreconditionViolation } from '../errors/db-error.js';
import type { CommitWrite } from './commit-types.js';
import { expiredAt, newWriteId, type DocState } from '../format/envelope.js';
import type { IntentWrite } from './intent.js';

/** A document as read inside a transaction (DocumentReader.readForWrite), or undefined when absent. */
export type Current = DocState | undefined;

/** `cur` unless it expired by `nowMs` (an expired document is absent to a transaction: its preconditions and versions). */
export function liveAt(cur: Current, nowMs: number): Current {
  return cur === undefined || expiredAt(cur.env.meta, nowMs) ? undefined : cur;
}

/**
 * The intent's record of write `w` over `cur`: the etag before (an expired
 * version's too: it is written over), and for a set the final envelope
 * (seq, version, times, expiry; over an expired version the set is version 1).
 */
export function intentWrite(w: CommitWrite, cur: Current, seq: number | undefined, now: Date): IntentWrite {
  const prevSeq = cur?.env.meta.seq;
  const base = {
    collection: w.collection,
    id: w.id,
    op: w.op,
    beforeEtag: cur?.etag ?? null,
    ...(seq === undefined ? {} : { seq }),
    ...(seq === undefined || prevSeq === undefined ? {} : { prevSeq }),
  };
  if (w.op !== 'set') return base;
  const old = liveAt(cur, now.getTime())?.env.meta;
  const meta = {
    version: old === undefined ? 1 : old.version + 1,
    createTime: old === undefined ? now : old.createTime,
    updateTime: now,
    writeId: newWriteId(),
    ...(seq === undefined ? {} : { seq }),
    ...(w.expireTime === undefined ? {} : { expireTime: w.expireTime }),
  };
  return { ...base, after: { meta, data: w.data! } };
}

/**
 * The most characters of a client's etag repeated in a violation's
 * description: etags this server issues are far shorter, and the client
 * sent it anyway (an unbounded echo made a 100-write Commit's error 18 KB).
 */
export const MAX_ECHOED_ETAG_CHARS = 64;

function echoedEtag(etag: string): string {
  return etag.length <= MAX_ECHOED_ETAG_CHARS ? etag : `${etag.slice(0, MAX_ECHOED_ETAG_CHARS)}… (${etag.length} chars)`;
}

/** One violation per write whose precondition does not hold of `current`. */
export function preconditionViolations(
  writes: readonly CommitWrite[],
  current: readonly ({ readonly etag: string } | undefined)[],
): PreconditionViolation[] {
  const out: PreconditionViolation[] = [];
  writes.forEach((w, i) => {
    const p = w.precondition;
    const cur = current[i];
    const name = `${w.collection}/${w.id}`;
    const subject = `writes[${i}]`;
    if (p === undefined) return;
    if ('etag' in p) {
      if (cur?.etag !== p.etag) {
        out.push({
          type: 'ETAG',
          subject,
          description: cur === undefined ? `${name} does not exist` : `${name} has etag ${cur.etag}, not ${echoedEtag(p.etag)}`,
        });
      }
    } else if (p.exists && cur === undefined) {
      out.push({ type: 'EXISTS', subject, description: `${name} does not exist` });
    } else if (!p.exists && cur !== undefined) {
      out.push({ type: 'NOT_EXISTS', subject, description: `${name} exists` });
    }
  });
  return out;
}
