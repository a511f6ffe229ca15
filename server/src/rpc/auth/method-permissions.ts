/**
 * What every method of every registered service needs (docs/adr/0015,
 * "Authorisation"): one entry per `<service type name>/<method>`, giving the
 * verbs and resources a request touches. The check runs once per call in the
 * decorator chain (authorise-calls.ts) before the handler; for a client
 * stream the entry reads the first message. method-permissions.spec.ts
 * enumerates the registry's descriptors and fails when a method has no entry,
 * so a new RPC cannot escape the check.
 */
import type { Resource, ResourceKind, Verb } from '../../access/access-model.js';
import type {
  CheckIndexesRequest,
  CreateIndexRequest,
  RebuildIndexesRequest,
  RotateKeysRequest,
} from '../../gen/smarterbase/v1/admin_service_pb.js';
import type { CommitRequest } from '../../gen/smarterbase/v1/document_service_pb.js';
import type { ReadLogRequest } from '../../gen/smarterbase/v1/log_service_pb.js';
import type { StartUploadRequest, UploadRequest } from '../../gen/smarterbase/v1/object_service_pb.js';

/** One verb on one resource. */
export interface Need {
  readonly verb: Verb;
  readonly resource: Resource;
}

/** What a method needs. */
export type MethodRule =
  /** No credentials at all (Health: probes must work without keys). */
  | { readonly open: true }
  /** Every Need returned for the request (the first message of a client stream). */
  | { readonly needs: (request: unknown) => readonly Need[] }
  /**
   * `verb` on some resource of `kind` (what a rule below falls back to when
   * the resource behind a capability cannot be named).
   */
  | { readonly some: { readonly verb: Verb; readonly kind: ResourceKind } }
  /**
   * `verb` on the collection of the resumable upload named by the request's
   * `uploadId` (the first message of a client stream), found by
   * CallAuth.uploadCollection; an upload id it does not know needs `verb` on
   * some collection only, and the handler answers UPLOAD_NOT_FOUND.
   */
  | { readonly upload: { readonly verb: Verb } };

const collection = (name: string): Resource => ({ kind: 'collection', name });

/** `verb` on the request's `collection` field. */
function onCollection(...verbs: Verb[]): MethodRule {
  return { needs: (r) => verbs.map((verb) => ({ verb, resource: collection((r as { collection: string }).collection) })) };
}

/** `verb` on the request's `name` field as a lock name. */
const onLock: MethodRule = { needs: (r) => [{ verb: 'lock', resource: { kind: 'lock', name: (r as { name: string }).name } }] };

/** A rule typed by its request. */
function rule<T>(needs: (request: T) => readonly Need[]): MethodRule {
  return { needs: (r) => needs(r as T) };
}

const accessAdmin: MethodRule = { needs: () => [{ verb: 'admin', resource: { kind: 'access', name: '' } }] };
const uploadWrite: MethodRule = { upload: { verb: 'write' } };

/** Every method's rule, by `<service type name>/<method name>`. */
export const METHOD_RULES: Readonly<Record<string, MethodRule>> = Object.freeze({
  'grpc.health.v1.Health/Check': { open: true },
  'grpc.health.v1.Health/Watch': { open: true },

  'smarterbase.v1.DocumentService/Get': onCollection('read'),
  'smarterbase.v1.DocumentService/BatchGet': onCollection('read'),
  'smarterbase.v1.DocumentService/Exists': onCollection('read'),
  'smarterbase.v1.DocumentService/List': onCollection('read'),
  'smarterbase.v1.DocumentService/BatchExists': onCollection('read'),
  'smarterbase.v1.DocumentService/Put': onCollection('write'),
  'smarterbase.v1.DocumentService/PutIfMatch': onCollection('write'),
  'smarterbase.v1.DocumentService/Create': onCollection('write'),
  'smarterbase.v1.DocumentService/Delete': onCollection('write'),
  'smarterbase.v1.DocumentService/BatchWrite': onCollection('write'),
  'smarterbase.v1.DocumentService/BatchDelete': onCollection('write'),
  // Every write of a transaction: a check reads, a set or delete writes.
  'smarterbase.v1.DocumentService/Commit': rule<CommitRequest>((r) =>
    r.writes.map((w) => ({ verb: w.operation.case === 'check' ? 'read' : 'write', resource: collection(w.collection) })),
  ),

  'smarterbase.v1.QueryService/Query': onCollection('read'),
  'smarterbase.v1.QueryService/Count': onCollection('read'),
  'smarterbase.v1.QueryService/Explain': onCollection('read'),

  'smarterbase.v1.AdminService/CreateIndex': rule<CreateIndexRequest>((r) => [
    { verb: 'admin', resource: collection(r.index?.collection ?? '') },
  ]),
  'smarterbase.v1.AdminService/GetIndex': onCollection('read'),
  'smarterbase.v1.AdminService/ListIndexes': onCollection('read'),
  'smarterbase.v1.AdminService/DropIndex': onCollection('admin'),
  'smarterbase.v1.AdminService/CheckIndexes': rule<CheckIndexesRequest>((r) => [{ verb: 'admin', resource: collection(r.collection) }]),
  'smarterbase.v1.AdminService/RebuildIndexes': rule<RebuildIndexesRequest>((r) => [{ verb: 'admin', resource: collection(r.collection) }]),
  // Every collection and the transaction records when none is named: only a principal that may administer access may do that.
  'smarterbase.v1.AdminService/RotateKeys': rule<RotateKeysRequest>((r) =>
    r.collection === ''
      ? [{ verb: 'admin', resource: { kind: 'access', name: '' } }]
      : [{ verb: 'admin', resource: collection(r.collection) }],
  ),

  'smarterbase.v1.LockService/Acquire': onLock,
  'smarterbase.v1.LockService/Renew': onLock,
  'smarterbase.v1.LockService/Release': onLock,
  'smarterbase.v1.LockService/Get': onLock,
  'smarterbase.v1.LockService/Hold': onLock,

  // A change feed delivers documents: it needs read as well as stream.
  'smarterbase.v1.StreamService/Watch': onCollection('read', 'stream'),

  // Objects live in collections. Upload's first message must be its header.
  'smarterbase.v1.ObjectService/Upload': rule<UploadRequest>((r) => [
    { verb: 'write', resource: collection(r.kind.case === 'header' ? r.kind.value.collection : '') },
  ]),
  'smarterbase.v1.ObjectService/StartUpload': rule<StartUploadRequest>((r) => [
    { verb: 'write', resource: collection(r.header?.collection ?? '') },
  ]),
  'smarterbase.v1.ObjectService/WriteUpload': uploadWrite,
  'smarterbase.v1.ObjectService/WriteAt': uploadWrite,
  'smarterbase.v1.ObjectService/QueryUploadStatus': uploadWrite,
  'smarterbase.v1.ObjectService/CompleteUpload': uploadWrite,
  'smarterbase.v1.ObjectService/AbortUpload': uploadWrite,
  'smarterbase.v1.ObjectService/Download': onCollection('read'),
  'smarterbase.v1.ObjectService/StatObject': onCollection('read'),
  'smarterbase.v1.ObjectService/ListObjects': onCollection('read'),
  'smarterbase.v1.ObjectService/DeleteObject': onCollection('write'),

  // Logs are their own resource kind (a log is not a collection even when named alike).
  'smarterbase.v1.LogService/Append': { needs: (r) => [{ verb: 'write', resource: { kind: 'log', name: (r as { log: string }).log } }] },
  'smarterbase.v1.LogService/ReadLog': rule<ReadLogRequest>((r) => {
    const resource: Resource = { kind: 'log', name: r.log };
    return r.follow
      ? [
          { verb: 'read', resource },
          { verb: 'stream', resource },
        ]
      : [{ verb: 'read', resource }];
  }),

  'smarterbase.v1.AccessService/CreateApiKey': accessAdmin,
  'smarterbase.v1.AccessService/ListApiKeys': accessAdmin,
  'smarterbase.v1.AccessService/RevokeApiKey': accessAdmin,
  'smarterbase.v1.AccessService/PutRole': accessAdmin,
  'smarterbase.v1.AccessService/GetRole': accessAdmin,
  'smarterbase.v1.AccessService/ListRoles': accessAdmin,
  'smarterbase.v1.AccessService/DeleteRole': accessAdmin,
  'smarterbase.v1.AccessService/SetPrincipal': accessAdmin,
  'smarterbase.v1.AccessService/GetPrincipal': accessAdmin,
  'smarterbase.v1.AccessService/ListPrincipals': accessAdmin,
});

/** The rule of `service/method`, or undefined (a method without one is refused: see authorise-calls.ts). */
export function ruleOf(serviceTypeName: string, methodName: string): MethodRule | undefined {
  return METHOD_RULES[`${serviceTypeName}/${methodName}`];
}
