import { create, equals, fromBinary, toBinary, type DescMessage, type JsonObject } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import fc from 'fast-check';
import { BatchGetResponseSchema, GetResponseSchema } from '../gen/smarterbase/v1/document_service_pb.js';
import { DocumentSchema } from '../gen/smarterbase/v1/document_pb.js';
import { ListIndexesResponseSchema } from '../gen/smarterbase/v1/admin_service_pb.js';
import { encodeMessage } from './wire-encode.js';

/** What toBinary writes and what encodeMessage writes decode to the same message. */
function sameAsToBinary(desc: DescMessage, message: object): void {
  const ours = fromBinary(desc, encodeMessage(desc, message));
  const theirs = fromBinary(desc, toBinary(desc, create(desc, message as never)));
  expect(equals(desc, ours as never, theirs as never)).toBe(true);
}

const doc = (data: JsonObject) =>
  create(DocumentSchema, {
    collection: 'users',
    id: 'u1',
    data,
    etag: '"abc"',
    version: 7n,
    createTime: timestampFromMs(1_700_000_000_123),
    updateTime: timestampFromMs(1_700_000_000_456),
  });

describe('encodeMessage', () => {
  it('writes documents whose data decodes to what toBinary would give, for any JSON data', () => {
    fc.assert(
      // 'binary' strings: any code point, lone surrogates included (written as U+FFFD by both encoders).
      fc.property(fc.dictionary(fc.string({ unit: 'binary' }), fc.jsonValue({ stringUnit: 'binary' })), (data) => {
        sameAsToBinary(GetResponseSchema, { document: doc(data as JsonObject) });
      }),
      { numRuns: 300 },
    );
  });

  it('handles nulls, nesting, lists, empty objects, unicode keys and a missing document', () => {
    sameAsToBinary(GetResponseSchema, {
      document: doc({ a: null, b: [1, 'x', true, null, [], {}, { c: [{ d: -0.5 }] }], 'é😀': { '': '' }, e: {} }),
    });
    sameAsToBinary(GetResponseSchema, {});
    sameAsToBinary(GetResponseSchema, { document: create(DocumentSchema, { collection: 'c', id: 'keys-only' }) });
    sameAsToBinary(BatchGetResponseSchema, { id: 'u1', found: true, document: doc({ n: 1 }) });
    sameAsToBinary(BatchGetResponseSchema, { id: 'u2', found: false });
  });

  it('leaves messages without a Struct to toBinary, byte for byte', () => {
    const m = { indexes: [{ collection: 'c', name: 'by_x', fields: ['x'] }] };
    expect(Buffer.from(encodeMessage(ListIndexesResponseSchema, m))).toEqual(
      Buffer.from(toBinary(ListIndexesResponseSchema, create(ListIndexesResponseSchema, m as never))),
    );
  });
});
