import { create, toBinary } from '@bufbuild/protobuf';
import type { AccessAdmin } from '../access/access-admin.js';
import type { DocumentApi } from '../api/document-api.js';
import type { LogApi } from '../api/log-api.js';
import type { LockApi } from '../api/lock-api.js';
import type { ObjectApi } from '../api/object-api.js';
import type { AdminApi, QueryApi } from '../api/query-api.js';
import type { StreamApi } from '../api/stream-api.js';
import { WriteAtRequestSchema } from '../gen/smarterbase/v1/object_service_pb.js';
import { registerServices } from './services/index.js';
import { decodeTask } from './decode-worker.js';

describe('decode worker', () => {
  test('knows the request type of every method of every service the server can register (a large request of any would fail INTERNAL)', () => {
    const { services } = registerServices({
      api: {} as DocumentApi,
      query: {} as QueryApi,
      admin: {} as AdminApi,
      locks: {} as LockApi,
      streams: {} as StreamApi,
      logs: {} as LogApi,
      objects: {} as ObjectApi,
      access: {} as AccessAdmin,
    });
    const unknown: string[] = [];
    for (const { service } of services) {
      for (const method of service.methods) {
        const outcome = decodeTask({
          typeName: method.input.typeName,
          bytes: new Uint8Array(),
          maxDocumentBytes: 1024,
          wantMessage: false,
        });
        if (!outcome.ok) unknown.push(`${service.typeName}.${method.name}: ${method.input.typeName}`);
      }
    }
    expect(unknown).toEqual([]);
  });

  test('a large Append decodes in the worker with its lines intact', () => {
    // Wire: field 1 (log) "a", field 2 (lines) "12345678901234567890" — built by hand, the worker decodes it.
    const log = [0x0a, 0x01, 0x61];
    const line = Buffer.from('12345678901234567890');
    const bytes = Uint8Array.from([...log, 0x12, line.length, ...line]);
    const outcome = decodeTask({ typeName: 'smarterbase.v1.AppendRequest', bytes, maxDocumentBytes: 1024, wantMessage: true });
    expect(outcome.ok).toBe(true);
    expect((outcome as { message: { log: string; lines: string[] } }).message).toMatchObject({ log: 'a', lines: ['12345678901234567890'] });
  });

  test('a large WriteAt (the only unary request with megabytes of data) decodes', () => {
    const req = create(WriteAtRequestSchema, { uploadId: 'u', writeOffset: 5n, data: new Uint8Array(2 * 1024 * 1024).fill(3) });
    const out = decodeTask({
      typeName: WriteAtRequestSchema.typeName,
      bytes: toBinary(WriteAtRequestSchema, req),
      maxDocumentBytes: 1024,
      wantMessage: true,
    });
    expect(out.ok).toBe(true);
    expect(out.ok && (out.message as { writeOffset: bigint }).writeOffset).toBe(5n);
  });

  test('an unknown type is INTERNAL, not a crash', () => {
    expect(decodeTask({ typeName: 'x.Nope', bytes: new Uint8Array(), maxDocumentBytes: 1, wantMessage: true })).toMatchObject({
      ok: false,
    });
  });
});
