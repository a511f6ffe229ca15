/**
 * Decodes request messages on the grpc-js port, where the mount receives
 * raw bytes (grpc-js would answer a decode failure with a bare INTERNAL
 * "Error deserializing request"). A cheap scan of the top-level fields runs
 * first, so a request repeating a field hundreds of thousands of times is
 * refused before the decoder allocates anything for it.
 */
import { fromBinary, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import { DbError, invalid } from '../errors/db-error.js';

/** The most elements of one top-level repeated field of any request (batch limits are lower; they are checked after decoding). */
export const MAX_REPEATED_ELEMENTS = 10_000;

function malformed(desc: DescMessage, why: string): DbError {
  return new DbError('invalid', 'MALFORMED_REQUEST', `the request is not a valid ${desc.typeName}: ${why}`, {
    metadata: { messageType: desc.typeName },
  });
}

/** Reads a varint at `pos`; returns [value, next position], or undefined past the end or beyond 10 bytes. */
function varint(b: Uint8Array, pos: number): [number, number] | undefined {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= b.length) return undefined;
    const byte = b[pos++] as number;
    value += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) return [value, pos];
    scale *= 128;
  }
  return undefined;
}

/**
 * Counts the occurrences of each top-level field number without decoding
 * values; throws when the wire format is broken at the top level or a
 * repeated field exceeds MAX_REPEATED_ELEMENTS.
 */
export function scanTopLevel(desc: DescMessage, b: Uint8Array): void {
  const counts = new Map<number, number>();
  let pos = 0;
  while (pos < b.length) {
    const tag = varint(b, pos);
    if (tag === undefined) throw malformed(desc, 'truncated field tag');
    pos = tag[1];
    const field = Math.floor(tag[0] / 8);
    const wire = tag[0] % 8;
    if (field === 0) throw malformed(desc, 'field number 0');
    if (wire === 0) {
      const v = varint(b, pos);
      if (v === undefined) throw malformed(desc, 'truncated varint');
      pos = v[1];
    } else if (wire === 1) {
      pos += 8;
    } else if (wire === 5) {
      pos += 4;
    } else if (wire === 2) {
      const len = varint(b, pos);
      if (len === undefined) throw malformed(desc, 'truncated length');
      pos = len[1] + len[0];
    } else {
      throw malformed(desc, `unsupported wire type ${wire}`);
    }
    if (pos > b.length) throw malformed(desc, 'truncated data');
    const n = (counts.get(field) ?? 0) + 1;
    counts.set(field, n);
    if (n > MAX_REPEATED_ELEMENTS) {
      const name = desc.fields.find((f) => f.number === field)?.name ?? `#${field}`;
      throw invalid('INVALID_ARGUMENT', name, `${name} has more than ${MAX_REPEATED_ELEMENTS} elements`);
    }
  }
}

/** The decoded request; throws DbError invalid MALFORMED_REQUEST (or INVALID_ARGUMENT for too many elements). */
export function decodeRequest<D extends DescMessage>(desc: D, bytes: Uint8Array): MessageShape<D> {
  scanTopLevel(desc, bytes);
  try {
    return fromBinary(desc, bytes);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw malformed(desc, why.length > 200 ? `${why.slice(0, 200)}…` : why);
  }
}
