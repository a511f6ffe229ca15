import { create } from '@bufbuild/protobuf';
import { isDbError } from '../../../errors/db-error.js';
import { IndexKind, IndexSchema, IndexState } from '../../../gen/smarterbase/v1/index_pb.js';
import { indexDefinitionFromProto, indexToProto } from './convert-index.js';

function errorOf(f: () => unknown): { reason: string; field?: string; message: string } {
  try {
    f();
  } catch (e) {
    if (isDbError(e)) return { reason: e.reason, field: e.field, message: e.message };
    throw e;
  }
  throw new Error('expected a DbError');
}

describe('index conversion', () => {
  test('indexes convert to proto', () => {
    const p = indexToProto({
      collection: 'c',
      name: 'by_n',
      fields: ['n'],
      kind: 'ordered',
      state: 'building',
      documentsScanned: 12,
      createTime: new Date(5000),
    });
    expect(p).toMatchObject({
      collection: 'c',
      name: 'by_n',
      fields: ['n'],
      kind: IndexKind.ORDERED,
      state: IndexState.BUILDING,
      documentsScanned: 12n,
      error: '',
    });
    expect(p.createTime?.seconds).toBe(5n);
    expect(
      indexToProto({
        collection: 'c',
        name: 'u',
        fields: ['e'],
        kind: 'unique',
        state: 'failed',
        documentsScanned: 0,
        createTime: new Date(0),
        error: 'dup',
      }),
    ).toMatchObject({ kind: IndexKind.UNIQUE, state: IndexState.FAILED, error: 'dup' });
    expect(
      indexToProto({
        collection: 'c',
        name: 'e',
        fields: ['a', 'b'],
        kind: 'equality',
        state: 'ready',
        documentsScanned: 0,
        createTime: new Date(0),
      }),
    ).toMatchObject({ kind: IndexKind.EQUALITY, state: IndexState.READY });
  });

  test('index definitions: output-only fields ignored, kind required', () => {
    const idx = create(IndexSchema, {
      collection: 'c',
      name: 'by_s',
      fields: ['s'],
      kind: IndexKind.EQUALITY,
      state: IndexState.READY,
      documentsScanned: 9n,
    });
    expect(indexDefinitionFromProto(idx)).toEqual({ collection: 'c', name: 'by_s', fields: ['s'], kind: 'equality' });
    expect(errorOf(() => indexDefinitionFromProto(undefined))).toMatchObject({ reason: 'INVALID_ARGUMENT', field: 'index' });
    expect(errorOf(() => indexDefinitionFromProto(create(IndexSchema, { collection: 'c', name: 'x', fields: ['s'] })))).toMatchObject({
      field: 'index.kind',
    });
  });

  test('hash_values travels both ways (absent in the model when false)', () => {
    const idx = create(IndexSchema, { collection: 'c', name: 'by_e', fields: ['e'], kind: IndexKind.UNIQUE, hashValues: true });
    expect(indexDefinitionFromProto(idx)).toEqual({ collection: 'c', name: 'by_e', fields: ['e'], kind: 'unique', hashValues: true });
    expect(indexDefinitionFromProto(create(IndexSchema, { ...idx, hashValues: false }))).not.toHaveProperty('hashValues');
    const info = {
      collection: 'c',
      name: 'by_e',
      fields: ['e'],
      kind: 'unique' as const,
      state: 'ready' as const,
      documentsScanned: 0,
      createTime: new Date(0),
    };
    expect(indexToProto({ ...info, hashValues: true }).hashValues).toBe(true);
    expect(indexToProto(info).hashValues).toBe(false);
  });
});
