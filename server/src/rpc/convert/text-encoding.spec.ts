import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { GetRequestSchema } from '../../gen/smarterbase/v1/document_service_pb.js';
import { keepByteOrderMarks } from './text-encoding.js';

describe('keepByteOrderMarks', () => {
  it('makes binary decoding keep a leading U+FEFF (the default TextDecoder drops it)', () => {
    const bytes = toBinary(GetRequestSchema, create(GetRequestSchema, { collection: 'c', id: '\uFEFFa' }));
    keepByteOrderMarks();
    expect(fromBinary(GetRequestSchema, bytes).id).toBe('\uFEFFa');
    expect(fromBinary(GetRequestSchema, toBinary(GetRequestSchema, create(GetRequestSchema, { id: 'é😀' }))).id).toBe('é😀');
  });
});
