import { create, fromBinary } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import { ServerReflectionRequestSchema } from '../../../gen/grpc/reflection/v1/reflection_pb.js';
import { Health } from '../../../gen/grpc/health/v1/health_pb.js';
import { DocumentService } from '../../../gen/smarterbase/v1/document_service_pb.js';
import { file_smarterbase_v1_common } from '../../../gen/smarterbase/v1/common_pb.js';
import { ReflectionIndex } from './reflection.js';

const ask = (index: ReflectionIndex, messageRequest: { case: 'listServices' | 'fileByFilename' | 'fileContainingSymbol'; value: string }) =>
  index.answer(create(ServerReflectionRequestSchema, { messageRequest }));

function fileNames(r: ReturnType<ReflectionIndex['answer']>): string[] {
  if (r.case !== 'fileDescriptorResponse') throw new Error(`unexpected ${r.case}`);
  return r.value.fileDescriptorProto.map((b) => fromBinary(FileDescriptorProtoSchema, b).name);
}

describe('ReflectionIndex', () => {
  const index = new ReflectionIndex([DocumentService, Health], [file_smarterbase_v1_common]);

  test('lists the services it was given', () => {
    expect(ask(index, { case: 'listServices', value: '' })).toEqual({
      case: 'listServicesResponse',
      value: { service: [{ name: 'smarterbase.v1.DocumentService' }, { name: 'grpc.health.v1.Health' }] },
    });
  });

  test.each([
    ['smarterbase.v1.DocumentService', 'smarterbase/v1/document_service.proto'],
    ['smarterbase.v1.DocumentService.BatchGet', 'smarterbase/v1/document_service.proto'],
    ['.smarterbase.v1.Document', 'smarterbase/v1/document.proto'],
    ['smarterbase.v1.ErrorReason', 'smarterbase/v1/common.proto'],
    ['grpc.health.v1.HealthCheckResponse.ServingStatus', 'grpc/health/v1/health.proto'],
    ['google.protobuf.Struct', 'google/protobuf/struct.proto'],
    ['google.protobuf.Value', 'google/protobuf/struct.proto'],
  ])('file_containing_symbol %s → %s first, then its dependencies', (symbol, file) => {
    const names = fileNames(ask(index, { case: 'fileContainingSymbol', value: symbol }));
    expect(names[0]).toBe(file);
    expect(new Set(names).size).toBe(names.length);
  });

  test('file_by_filename includes transitive dependencies', () => {
    expect(fileNames(ask(index, { case: 'fileByFilename', value: 'smarterbase/v1/document.proto' })).sort()).toEqual([
      'google/protobuf/duration.proto',
      'google/protobuf/struct.proto',
      'google/protobuf/timestamp.proto',
      'smarterbase/v1/document.proto',
    ]);
  });

  test('unknown files and symbols are NOT_FOUND error responses', () => {
    expect(ask(index, { case: 'fileByFilename', value: 'x.proto' })).toEqual({
      case: 'errorResponse',
      value: { errorCode: 5, errorMessage: 'file x.proto not found' },
    });
    expect(ask(index, { case: 'fileContainingSymbol', value: 'a.B' })).toMatchObject({ case: 'errorResponse', value: { errorCode: 5 } });
  });
});
