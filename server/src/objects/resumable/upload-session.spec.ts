import { isDbError } from '../../errors/db-error.js';
import { MemoryBlobStore } from '../../storage/memory/memory-store.js';
import {
  committedSize,
  decodeSession,
  encodeSession,
  partsSize,
  sessionKey,
  UploadSessions,
  type UploadSession,
} from './upload-session.js';

const ID = '0193a2b4-c5d6-7e8f-9a0b-1c2d3e4f5a6b';

function session(over: Partial<UploadSession> = {}): UploadSession {
  return {
    rev: 0,
    uploadId: ID,
    header: { collection: 'c', id: 'x' },
    partSize: 8,
    state: 'open',
    createTimeMs: 1,
    expireTimeMs: 100,
    dataKey: `_objdata/c/x/${ID}`,
    parts: [],
    nextPartNumber: 1,
    ...over,
  };
}

describe('UploadSessions', () => {
  it('creates create-only, reads back, and refuses a second create of the id', async () => {
    const sessions = new UploadSessions(new MemoryBlobStore());
    const created = await sessions.create(session());
    expect((await sessions.read(ID))?.session).toEqual(session());
    expect((await sessions.read(ID))?.etag).toBe(created.etag);
    await expect(sessions.create(session())).rejects.toMatchObject({ kind: 'internal' });
    expect(await sessions.read('0193a2b4-c5d6-7e8f-9a0b-000000000000')).toBeUndefined();
  });

  it('updates by CAS: a stale known version is re-read and the change applied to the fresh one', async () => {
    const blobs = new MemoryBlobStore();
    const sessions = new UploadSessions(blobs);
    const stale = await sessions.create(session());
    await sessions.update(ID, (s) => ({ ...s, nextPartNumber: 65 }), stale);
    const seen: number[] = [];
    const v = await sessions.update(
      ID,
      (s) => {
        seen.push(s.nextPartNumber);
        return { ...s, nextPartNumber: s.nextPartNumber + 64 };
      },
      stale,
    );
    expect(seen).toEqual([1, 65]);
    expect(v.session.nextPartNumber).toBe(129);
    expect(v.session.rev).toBe(2);
    expect((await sessions.read(ID))?.etag).toBe(v.etag);
  });

  it('two concurrent updates both land, one after the other (no lost update)', async () => {
    const sessions = new UploadSessions(new MemoryBlobStore());
    await sessions.create(session());
    const add = (n: number) => (s: UploadSession) => ({ ...s, nextPartNumber: s.nextPartNumber + n });
    await Promise.all([sessions.update(ID, add(10)), sessions.update(ID, add(100)), sessions.update(ID, add(1000))]);
    expect((await sessions.read(ID))?.session.nextPartNumber).toBe(1111);
  });

  it('versions are distinct even when a change restores an earlier body (no A-B-A on content etags)', async () => {
    const sessions = new UploadSessions(new MemoryBlobStore());
    const a = await sessions.create(session());
    await sessions.update(ID, (s) => ({ ...s, state: 'aborting' }));
    const back = await sessions.update(ID, (s) => ({ ...s, state: 'open' }));
    expect(back.etag).not.toBe(a.etag);
  });

  it('a change that throws refuses the update, one that returns undefined writes nothing', async () => {
    const blobs = new MemoryBlobStore();
    const sessions = new UploadSessions(blobs);
    const v = await sessions.create(session());
    await expect(
      sessions.update(ID, () => {
        throw new Error('no');
      }),
    ).rejects.toThrow('no');
    expect(await sessions.update(ID, () => undefined)).toEqual(v);
    expect((await blobs.head(sessionKey(ID)))?.etag).toBe(v.etag);
  });

  it('an update of a missing session is UPLOAD_NOT_FOUND', async () => {
    const sessions = new UploadSessions(new MemoryBlobStore());
    let err: unknown;
    await sessions.update(ID, (s) => s).catch((e: unknown) => (err = e));
    expect(isDbError(err, 'UPLOAD_NOT_FOUND')).toBe(true);
  });

  it('committed size is the parts plus the tail', () => {
    const s = session({
      parts: [
        { index: 1, partNumber: 1, size: 8, etag: 'a' },
        { index: 2, partNumber: 3, size: 8, etag: 'b' },
      ],
      tail: { key: 't', length: 5 },
    });
    expect(committedSize(s)).toBe(21);
    expect(partsSize(s)).toBe(16);
  });

  it('decodes what it encodes and names the key of a corrupt body', () => {
    expect(decodeSession('k', encodeSession(session()))).toEqual(session());
    for (const bad of [
      'nope',
      '{}',
      JSON.stringify({ smarterbase: { schemaVersion: 1, kind: 'uploadSession' }, session: { uploadId: 1 } }),
    ]) {
      expect(() => decodeSession('k', Buffer.from(bad))).toThrow(expect.objectContaining({ kind: 'internal', metadata: { key: 'k' } }));
    }
  });
});
