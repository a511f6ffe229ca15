/**
 * The oversized requests of the decode-stall benchmark, encoded by hand
 * (protobuf-es's toBinary needs seconds for 300,000 elements, which would
 * stall the benchmark itself): a BatchGetRequest with many ids and a
 * PutRequest whose `data` Struct has many keys, each just under 5 MiB.
 */

/** Appends the varint encoding of `n` (≥ 0, < 2^31) to `out`. */
function pushVarint(out: number[], n: number): void {
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
}

/** A length-delimited field (wire type 2): tag, length, then `body`. */
function lengthDelimited(field: number, body: Uint8Array): Uint8Array {
  const head: number[] = [];
  pushVarint(head, (field << 3) | 2);
  pushVarint(head, body.length);
  const out = new Uint8Array(head.length + body.length);
  out.set(head, 0);
  out.set(body, head.length);
  return out;
}

function ascii(s: string): Uint8Array {
  return Buffer.from(s, 'latin1');
}

/** `count` fixed-length ASCII strings `prefix` + zero-padded index, each written as field `field` into one buffer. */
function repeatedStrings(field: number, count: number, prefix: string, digits: number): Uint8Array {
  const len = prefix.length + digits;
  if (len > 127) throw new RangeError('strings of at most 127 bytes');
  const out = Buffer.alloc(count * (2 + len));
  let pos = 0;
  for (let i = 0; i < count; i++) {
    out[pos++] = (field << 3) | 2;
    out[pos++] = len;
    pos += out.write(`${prefix}${String(i).padStart(digits, '0')}`, pos, 'latin1');
  }
  return out;
}

/** BatchGetRequest{collection, ids: `count` ids of 14 bytes}: 16 bytes per id on the wire. */
export function batchGetBytes(collection: string, count: number): Uint8Array {
  return Buffer.concat([lengthDelimited(1, ascii(collection)), repeatedStrings(2, count, 'id-', 11)]);
}

/**
 * PutRequest{collection, id, data: a Struct of `count` keys of 7 bytes, each
 * null}: 15 bytes per key on the wire (map entry: key field, then the Value
 * field holding null_value = 0).
 */
export function putStructBytes(collection: string, id: string, count: number): Uint8Array {
  const out = Buffer.alloc(count * 15);
  let pos = 0;
  for (let i = 0; i < count; i++) {
    out[pos++] = 0x0a; // Struct.fields, a map entry
    out[pos++] = 13;
    out[pos++] = 0x0a; // entry key
    out[pos++] = 7;
    pos += out.write(`k${String(i).padStart(6, '0')}`, pos, 'latin1');
    out[pos++] = 0x12; // entry value: a Value
    out[pos++] = 2;
    out[pos++] = 0x08; // Value.null_value
    out[pos++] = 0;
  }
  return Buffer.concat([lengthDelimited(1, ascii(collection)), lengthDelimited(2, ascii(id)), lengthDelimited(3, out)]);
}

/** `message` in a gRPC / Connect-streaming envelope (flags 0: not compressed). */
export function envelope(message: Uint8Array): Uint8Array {
  const out = Buffer.alloc(5 + message.length);
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
}
