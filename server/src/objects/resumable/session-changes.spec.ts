import { claim, claimAbort, ensurePartNumber, recordOutcome, recordPart, recordTail, takeOver } from './session-changes.js';
import type { UploadSession } from './upload-session.js';

const base: UploadSession = {
  rev: 0,
  uploadId: 'u',
  header: { collection: 'c', id: 'x' },
  partSize: 8,
  state: 'open',
  createTimeMs: 0,
  expireTimeMs: 1000,
  dataKey: 'd',
  parts: [],
  nextPartNumber: 1,
};
const apply = (s: UploadSession, change: (s: UploadSession) => UploadSession | undefined): UploadSession => change(s) ?? s;
const reason = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    return (e as { reason?: string }).reason;
  }
  return undefined;
};

describe('session changes', () => {
  it('a takeover reserves a fresh block of part numbers with its token', () => {
    const s = apply(base, takeOver('5', 64, 10));
    expect(s.writer).toEqual({ token: '5', next: 1, end: 65, ended: false });
    expect(s.nextPartNumber).toBe(65);
    const t = apply(s, takeOver('6', 64, 10));
    expect(t.writer).toEqual({ token: '6', next: 65, end: 129, ended: false });
  });

  it('a writer that ended cleanly hands the rest of its block to the next writer', () => {
    const s = apply(apply(base, takeOver('5', 64, 10)), recordPart('5', { index: 1, partNumber: 1, size: 8, etag: 'e' }, 'open'));
    const ended = apply(s, recordTail('5', undefined));
    expect(apply(ended, takeOver('6', 64, 10)).writer).toEqual({ token: '6', next: 2, end: 65, ended: false });
    expect(apply(ended, takeOver('6', 64, 10)).nextPartNumber).toBe(65);
  });

  it('a writer whose lease was taken over fails its next change: UPLOAD_BUSY', () => {
    const s = apply(apply(base, takeOver('5', 64, 10)), takeOver('6', 64, 10));
    expect(reason(() => recordPart('5', { index: 1, partNumber: 1, size: 8, etag: 'e' }, 'open')(s))).toBe('UPLOAD_BUSY');
    expect(reason(() => recordTail('5', { key: 't', length: 3 })(s))).toBe('UPLOAD_BUSY');
    expect(reason(() => recordPart('6', { index: 1, partNumber: 65, size: 8, etag: 'e' }, 'open')(s))).toBeUndefined();
  });

  it('parts are recorded in index order only', () => {
    const s = apply(base, takeOver('5', 64, 10));
    expect(reason(() => recordPart('5', { index: 2, partNumber: 1, size: 8, etag: 'e' }, 'open')(s))).toBe('INTERNAL_ERROR');
  });

  it('a used-up block is replaced by a fresh one; numbers stay ascending', () => {
    let s = apply(base, takeOver('5', 2, 10));
    s = apply(s, recordPart('5', { index: 1, partNumber: 1, size: 8, etag: 'a' }, 'open'));
    s = apply(s, recordPart('5', { index: 2, partNumber: 2, size: 8, etag: 'b' }, 'open'));
    expect(ensurePartNumber('5', 2, 'open')({ ...s, nextPartNumber: 7 })?.writer).toEqual({ token: '5', next: 7, end: 9, ended: false });
    expect(ensurePartNumber('5', 2, 'open')(apply(base, takeOver('5', 2, 10)))).toBeUndefined();
  });

  it('refuses writes to an expired, aborting or finished session', () => {
    expect(reason(() => takeOver('5', 64, 1000)(base))).toBe('UPLOAD_NOT_FOUND');
    expect(reason(() => takeOver('5', 64, 10)({ ...base, state: 'aborting' }))).toBe('UPLOAD_NOT_FOUND');
    for (const state of ['completing', 'completed', 'failed'] as const)
      expect(reason(() => takeOver('5', 64, 10)({ ...base, state }))).toBe('UPLOAD_FINISHED');
  });

  it('claim: open → completing with the caller as writer; completed and failed are left as they are; expected values join the header', () => {
    const s = apply(apply(base, takeOver('5', 64, 10)), claim('7', 64, 10, { expectedSize: 3 }));
    expect(s.state).toBe('completing');
    expect(s.writer?.token).toBe('7');
    expect(s.header.expectedSize).toBe(3);
    expect(claim('8', 64, 10, {})({ ...s, state: 'completed' })).toBeUndefined();
    expect(apply(s, claim('8', 64, 10, {})).writer?.token).toBe('8');
    expect(reason(() => claim('8', 64, 10, {})({ ...base, state: 'aborting' }))).toBe('UPLOAD_NOT_FOUND');
  });

  it('outcomes need the completing holder', () => {
    const s = apply(base, claim('7', 64, 10, {}));
    expect(apply(s, recordOutcome('7', { result: { a: 1 } }))).toMatchObject({ state: 'completed', result: { a: 1 } });
    expect(reason(() => recordOutcome('6', { result: 1 })(s))).toBe('UPLOAD_BUSY');
  });

  it('abort claims an open session only; completing or finished is UPLOAD_FINISHED', () => {
    expect(apply(base, claimAbort()).state).toBe('aborting');
    expect(claimAbort()({ ...base, state: 'aborting' })).toBeUndefined();
    for (const state of ['completing', 'completed', 'failed'] as const)
      expect(reason(() => claimAbort()({ ...base, state }))).toBe('UPLOAD_FINISHED');
  });
});
