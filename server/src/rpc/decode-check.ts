/**
 * A request decoded and its documents sized: what the decode worker
 * (decode-worker.ts) does off the event loop for large requests. A document
 * whose data alone, as JSON, is over the encoded-document limit cannot be
 * stored (the stored envelope holds that JSON and more), so it is refused
 * here with the engine's reason, DOCUMENT_TOO_LARGE, before the message ever
 * reaches the event loop.
 */
import type { DescField, DescMessage, MessageShape } from '@bufbuild/protobuf';
import { DbError } from '../errors/db-error.js';
import { decodeRequest } from './decode-request.js';

const STRUCT = 'google.protobuf.Struct';

/** The message fields of `desc` whose subtree can hold a Struct (a document), cached per type. */
const structPaths = new Map<string, readonly DescField[]>();

function fieldsWithStructs(desc: DescMessage, visiting = new Set<string>()): readonly DescField[] {
  const known = structPaths.get(desc.typeName);
  if (known !== undefined) return known;
  visiting.add(desc.typeName);
  const found = desc.fields.filter((f) => {
    const sub = f.message;
    if (sub === undefined || (f.fieldKind !== 'message' && f.fieldKind !== 'list' && f.fieldKind !== 'map')) return false;
    if (sub.typeName === STRUCT) return true;
    if (sub.typeName.startsWith('google.protobuf.') || visiting.has(sub.typeName)) return false;
    return fieldsWithStructs(sub, visiting).length > 0;
  });
  visiting.delete(desc.typeName);
  structPaths.set(desc.typeName, found);
  return found;
}

function tooLarge(path: string, sizeBytes: number, limitBytes: number): DbError {
  return new DbError(
    'invalid',
    'DOCUMENT_TOO_LARGE',
    `${path} is ${sizeBytes} bytes as JSON; the limit of an encoded document is ${limitBytes}`,
    {
      field: path,
      metadata: { field: path, sizeBytes: String(sizeBytes), limitBytes: String(limitBytes) },
    },
  );
}

function checkValue(field: DescField, value: unknown, path: string, limitBytes: number): void {
  if (value === undefined || value === null) return;
  const sub = field.message!;
  if (sub.typeName === STRUCT) {
    const size = Buffer.byteLength(JSON.stringify(value), 'utf8');
    if (size > limitBytes) throw tooLarge(path, size, limitBytes);
    return;
  }
  checkDocumentSizes(sub, value as Record<string, unknown>, limitBytes, path);
}

/**
 * Throws DOCUMENT_TOO_LARGE for the first Struct field anywhere in `message`
 * (a document's data) whose JSON is over `limitBytes`.
 */
export function checkDocumentSizes(desc: DescMessage, message: Record<string, unknown>, limitBytes: number, prefix = ''): void {
  for (const field of fieldsWithStructs(desc)) {
    const path = prefix === '' ? field.name : `${prefix}.${field.name}`;
    const value = field.oneof === undefined ? message[field.localName] : oneofValue(message, field);
    if (field.fieldKind === 'list') (value as unknown[]).forEach((v, i) => checkValue(field, v, `${path}[${i}]`, limitBytes));
    else if (field.fieldKind === 'map')
      for (const [k, v] of Object.entries(value as object)) checkValue(field, v, `${path}[${k}]`, limitBytes);
    else checkValue(field, value, path, limitBytes);
  }
}

function oneofValue(message: Record<string, unknown>, field: DescField): unknown {
  const group = message[field.oneof!.localName] as { case?: string; value?: unknown } | undefined;
  return group?.case === field.localName ? group.value : undefined;
}

/** decodeRequest, then checkDocumentSizes: a message that passes can be handed to a handler. */
export function decodeChecked<D extends DescMessage>(desc: D, bytes: Uint8Array, maxDocumentBytes: number): MessageShape<D> {
  const message = decodeRequest(desc, bytes);
  checkDocumentSizes(desc, message as unknown as Record<string, unknown>, maxDocumentBytes);
  return message;
}
