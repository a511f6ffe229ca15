import { fromBinary } from '@bufbuild/protobuf';
import { GetRequestSchema } from '../clients/ts/src/gen/smarterbase/v1/document_service_pb.js';
import { getRequestBody, grpcFrame } from './grpc-frame.js';

describe('grpcFrame', () => {
  it('prefixes an uncompressed flag and the big-endian length', () => {
    const frame = grpcFrame(Uint8Array.from([7, 8, 9]));
    expect([...frame]).toEqual([0, 0, 0, 0, 3, 7, 8, 9]);
  });

  it('writes lengths above 255 over several bytes', () => {
    const frame = grpcFrame(new Uint8Array(0x1_02_03));
    expect([...frame.subarray(0, 5)]).toEqual([0, 0, 1, 2, 3]);
    expect(frame.byteLength).toBe(5 + 0x1_02_03);
  });
});

describe('getRequestBody', () => {
  it('holds a GetRequest for the collection and id after the prefix', () => {
    const body = getRequestBody('bench', 'doc-1kb');
    expect(body.readUInt32BE(1)).toBe(body.byteLength - 5);
    const request = fromBinary(GetRequestSchema, body.subarray(5));
    expect(request.collection).toBe('bench');
    expect(request.id).toBe('doc-1kb');
  });
});
