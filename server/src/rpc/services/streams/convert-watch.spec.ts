import { create } from '@bufbuild/protobuf';
import { WatchRequestSchema } from '../../../gen/smarterbase/v1/stream_service_pb.js';
import type { StoredDocument } from '../../../model/document.js';
import { watchInputFromProto, watchResponseOf } from './convert-watch.js';

const doc = (id: string, revision: number): StoredDocument => ({
  collection: 'c',
  id,
  data: { id },
  etag: `e${revision}`,
  version: 1,
  createTime: new Date(0),
  updateTime: new Date(0),
  revision,
});

describe('convert-watch', () => {
  test('include_previous and initial_snapshot reach the engine only when set', () => {
    expect(watchInputFromProto(create(WatchRequestSchema, { collection: 'c' }))).not.toHaveProperty('initialSnapshot');
    expect(
      watchInputFromProto(create(WatchRequestSchema, { collection: 'c', includePrevious: true, initialSnapshot: true })),
    ).toMatchObject({
      includePrevious: true,
      initialSnapshot: true,
    });
  });

  test('snapshot pages, the complete marker, and previous documents become their proto fields', () => {
    const page = watchResponseOf({ kind: 'snapshot', revision: 7, documents: [doc('a', 3), doc('b', 5)] });
    expect(page.revision).toBe(7n);
    expect(page.kind.case).toBe('snapshot');
    expect(page.kind.case === 'snapshot' && page.kind.value.documents.map((d) => [d.id, d.revision])).toEqual([
      ['a', 3n],
      ['b', 5n],
    ]);
    const complete = watchResponseOf({ kind: 'snapshot-complete', revision: 9 });
    expect(complete.kind.case === 'snapshot' && complete.kind.value).toMatchObject({ complete: true, documents: [] });
    const changes = watchResponseOf({
      kind: 'changes',
      revision: 10,
      commitTime: new Date(0),
      changes: [
        { type: 'put', id: 'a', revision: 10, previousRevision: 3, document: doc('a', 10), previousDocument: doc('a', 3) },
        { type: 'delete', id: 'b', revision: 10, previousRevision: 2, previousUnavailable: true },
      ],
    });
    const events = changes.kind.case === 'changes' ? changes.kind.value.events : [];
    expect(events[0]).toMatchObject({ previousRevision: 3n, previousDocument: { etag: 'e3', revision: 3n }, previousUnavailable: false });
    expect(events[1]).toMatchObject({ previousUnavailable: true });
    expect(events[1]!.previousDocument).toBeUndefined();
  });
});
