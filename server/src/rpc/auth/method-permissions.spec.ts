import { create } from '@bufbuild/protobuf';
import type { AccessAdmin } from '../../access/access-admin.js';
import type { DocumentApi } from '../../api/document-api.js';
import type { LockApi } from '../../api/lock-api.js';
import type { LogApi } from '../../api/log-api.js';
import type { ObjectApi } from '../../api/object-api.js';
import type { AdminApi, QueryApi } from '../../api/query-api.js';
import type { StreamApi } from '../../api/stream-api.js';
import { CommitRequestSchema, GetRequestSchema } from '../../gen/smarterbase/v1/document_service_pb.js';
import { ReadLogRequestSchema } from '../../gen/smarterbase/v1/log_service_pb.js';
import { UploadRequestSchema } from '../../gen/smarterbase/v1/object_service_pb.js';
import { registerServices } from '../services/index.js';
import { METHOD_RULES, ruleOf, type MethodRule, type Need } from './method-permissions.js';

/** Every service the server can register, with every engine present. */
function allServices() {
  return registerServices({
    api: {} as DocumentApi,
    query: {} as QueryApi,
    admin: {} as AdminApi,
    locks: {} as LockApi,
    streams: {} as StreamApi,
    logs: {} as LogApi,
    objects: {} as ObjectApi,
    access: {} as AccessAdmin,
  }).services;
}

function needsOf(rule: MethodRule | undefined, request: unknown): readonly Need[] {
  if (rule === undefined || !('needs' in rule)) throw new Error('no needs rule');
  return rule.needs(request);
}

describe('the method permission table', () => {
  test('has a rule for every method of every service the registry can serve', () => {
    const missing: string[] = [];
    for (const { service } of allServices())
      for (const m of service.methods) if (ruleOf(service.typeName, m.name) === undefined) missing.push(`${service.typeName}/${m.name}`);
    expect(missing).toEqual([]);
  });

  test('names no method that does not exist (a renamed RPC leaves no stale entry)', () => {
    const known = new Set(allServices().flatMap(({ service }) => service.methods.map((m) => `${service.typeName}/${m.name}`)));
    expect(Object.keys(METHOD_RULES).filter((k) => !known.has(k))).toEqual([]);
  });

  test('only Health is open', () => {
    const open = Object.entries(METHOD_RULES)
      .filter(([, r]) => 'open' in r)
      .map(([k]) => k);
    expect(open).toEqual(['grpc.health.v1.Health/Check', 'grpc.health.v1.Health/Watch']);
  });

  test('every rule that reads its request works on an empty request of the method (minimal valid shape)', () => {
    for (const { service } of allServices())
      for (const m of service.methods) {
        const rule = ruleOf(service.typeName, m.name);
        if (rule !== undefined && 'needs' in rule) expect(() => rule.needs(create(m.input))).not.toThrow();
      }
  });

  test('a Get reads its collection', () => {
    expect(needsOf(ruleOf('smarterbase.v1.DocumentService', 'Get'), create(GetRequestSchema, { collection: 'c', id: 'x' }))).toEqual([
      { verb: 'read', resource: { kind: 'collection', name: 'c' } },
    ]);
  });

  test('a Commit needs write on every written collection and read on every checked one', () => {
    const req = create(CommitRequestSchema, {
      writes: [
        { collection: 'a', id: '1', operation: { case: 'set', value: {} } },
        { collection: 'b', id: '2', operation: { case: 'delete', value: {} } },
        { collection: 'c', id: '3', operation: { case: 'check', value: {} } },
      ],
    });
    expect(needsOf(ruleOf('smarterbase.v1.DocumentService', 'Commit'), req)).toEqual([
      { verb: 'write', resource: { kind: 'collection', name: 'a' } },
      { verb: 'write', resource: { kind: 'collection', name: 'b' } },
      { verb: 'read', resource: { kind: 'collection', name: 'c' } },
    ]);
  });

  test("Upload's first message names the collection; a data-first stream names none (only * may)", () => {
    const rule = ruleOf('smarterbase.v1.ObjectService', 'Upload');
    const header = create(UploadRequestSchema, { kind: { case: 'header', value: { collection: 'files', id: 'a' } } });
    expect(needsOf(rule, header)).toEqual([{ verb: 'write', resource: { kind: 'collection', name: 'files' } }]);
    const data = create(UploadRequestSchema, { kind: { case: 'data', value: new Uint8Array(1) } });
    expect(needsOf(rule, data)).toEqual([{ verb: 'write', resource: { kind: 'collection', name: '' } }]);
  });

  test('ReadLog needs stream as well as read only when it follows', () => {
    const rule = ruleOf('smarterbase.v1.LogService', 'ReadLog');
    expect(needsOf(rule, create(ReadLogRequestSchema, { log: 'l' })).map((n) => n.verb)).toEqual(['read']);
    expect(needsOf(rule, create(ReadLogRequestSchema, { log: 'l', follow: true })).map((n) => n.verb)).toEqual(['read', 'stream']);
  });

  test("resumable upload calls by id need write on the upload's collection; AccessService needs admin on access", () => {
    for (const m of ['WriteUpload', 'WriteAt', 'QueryUploadStatus', 'CompleteUpload', 'AbortUpload'])
      expect(ruleOf('smarterbase.v1.ObjectService', m)).toEqual({ upload: { verb: 'write' } });
    expect(needsOf(ruleOf('smarterbase.v1.AccessService', 'CreateApiKey'), {})).toEqual([
      { verb: 'admin', resource: { kind: 'access', name: '' } },
    ]);
  });
});
