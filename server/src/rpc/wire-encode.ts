/**
 * The binary encoding of response messages for the gRPC mount, with
 * `google.protobuf.Struct` fields (document data) written straight from
 * their JSON instead of through protobuf-es reflection. The profile of a
 * Get showed toBinary at a quarter of the server's CPU, nearly all of it in
 * turning the document's JSON into Struct / Value messages and walking them
 * (docs/benchmarks.md, "Per-call CPU"). Every other field still goes through
 * toBinary, so the output decodes to exactly the message toBinary would
 * write (spec: wire-encode.spec.ts, property-tested against toBinary);
 * fields may come in another order, which the protobuf wire format allows.
 *
 * Struct fields are found through the schema: singular Struct fields of
 * the message and, recursively, of its singular and repeated message fields
 * (GetResponse.document.data, BatchGetResponse.document.data, …). A Struct
 * inside a oneof or a map is left to toBinary.
 */
import { create, toBinary, type DescField, type DescMessage, type JsonValue } from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';

const STRUCT = 'google.protobuf.Struct';

/** How to encode one message type: its Struct fields and its message fields that hold Structs somewhere below. */
interface Plan {
  readonly structs: readonly DescField[];
  readonly nested: readonly DescField[];
}

const plans = new WeakMap<DescMessage, Plan | null>();

/** The plan of `desc`, or null when no Struct lies below it (plain toBinary). */
function planOf(desc: DescMessage, visiting = new Set<DescMessage>()): Plan | null {
  const known = plans.get(desc);
  if (known !== undefined) return known;
  if (visiting.has(desc)) return null; // a recursive type: its Structs, if any, go through toBinary
  visiting.add(desc);
  const structs: DescField[] = [];
  const nested: DescField[] = [];
  for (const f of desc.fields) {
    if (f.oneof !== undefined || f.message === undefined || f.fieldKind === 'map') continue;
    if (f.message.typeName === STRUCT) {
      if (f.fieldKind === 'message') structs.push(f);
    } else if (planOf(f.message, visiting) !== null) {
      nested.push(f);
    }
  }
  visiting.delete(desc);
  const plan = structs.length + nested.length > 0 ? { structs, nested } : null;
  plans.set(desc, plan);
  return plan;
}

/** The binary encoding of `message` (a message or its init shape) of type `desc`; Struct fields written directly. */
export function encodeMessage(desc: DescMessage, message: unknown): Uint8Array {
  const plan = planOf(desc);
  if (plan === null) return toBinary(desc, create(desc, message as never));
  const w = new BinaryWriter();
  writeMessage(w, desc, plan, message as Record<string, unknown>);
  return w.finish();
}

function writeMessage(w: BinaryWriter, desc: DescMessage, plan: Plan, message: Record<string, unknown>): void {
  const rest: Record<string, unknown> = { ...message };
  for (const f of plan.structs) delete rest[f.localName];
  for (const f of plan.nested) delete rest[f.localName];
  w.raw(toBinary(desc, create(desc, rest as never)));
  for (const f of plan.structs) {
    const data = message[f.localName];
    if (data === undefined || data === null) continue;
    w.tag(f.number, WireType.LengthDelimited);
    writeStruct(w, data as Record<string, JsonValue>);
  }
  for (const f of plan.nested) {
    const inner = f.message as DescMessage;
    const innerPlan = planOf(inner) as Plan;
    const value = message[f.localName];
    const items = f.fieldKind === 'list' ? ((value ?? []) as unknown[]) : value === undefined ? [] : [value];
    for (const item of items) {
      w.tag(f.number, WireType.LengthDelimited).fork();
      writeMessage(w, inner, innerPlan, item as Record<string, unknown>);
      w.join();
    }
  }
}

/**
 * google.protobuf.Struct { map<string, Value> fields = 1 } from a JSON
 * object, in two passes: the sizes of every nested length-delimited part
 * (measured in the order they are written), then the bytes into one buffer.
 * (BinaryWriter's fork/join and a TextEncoder call per string cost about as
 * much as reflection did.)
 */
function writeStruct(w: BinaryWriter, obj: Record<string, JsonValue>): void {
  const sizes: number[] = [];
  const total = measureStruct(obj, sizes);
  const out = Buffer.allocUnsafe(total);
  const at = { pos: 0, next: 0 };
  putStruct(out, at, obj, sizes);
  w.uint32(total).raw(out);
}

/** Bytes of a varint of n (n < 2^32). */
function varintSize(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;
}

/** Size of a tag (field < 16) + length prefix + body of `body` bytes. */
function delimited(body: number): number {
  return 1 + varintSize(body) + body;
}

function measureStruct(obj: Record<string, JsonValue>, sizes: number[]): number {
  let total = 0;
  for (const key in obj) {
    const value = obj[key];
    if (value === undefined) continue;
    const slot = sizes.push(0, 0) - 2;
    const valueBody = measureValue(value, sizes);
    const entry = delimited(Buffer.byteLength(key)) + delimited(valueBody);
    sizes[slot] = entry;
    sizes[slot + 1] = valueBody;
    total += delimited(entry);
  }
  return total;
}

/** The size of a Value's body (its oneof field, tag included). */
function measureValue(value: JsonValue, sizes: number[]): number {
  switch (typeof value) {
    case 'number':
      return 9;
    case 'string':
      return delimited(Buffer.byteLength(value));
    case 'boolean':
      return 2;
    default:
      break;
  }
  if (value === null) return 2;
  const slot = sizes.push(0) - 1;
  let body = 0;
  if (Array.isArray(value)) {
    for (const item of value) {
      const itemSlot = sizes.push(0) - 1;
      const itemBody = measureValue(item, sizes);
      sizes[itemSlot] = itemBody;
      body += delimited(itemBody);
    }
  } else {
    body = measureStruct(value, sizes);
  }
  sizes[slot] = body;
  return delimited(body);
}

interface Cursor {
  /** Next byte to write. */
  pos: number;
  /** Next size to take. */
  next: number;
}

function putVarint(out: Buffer, at: Cursor, n: number): void {
  while (n > 0x7f) {
    out[at.pos++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  out[at.pos++] = n;
}

function putString(out: Buffer, at: Cursor, tag: number, s: string): void {
  out[at.pos++] = tag;
  const n = Buffer.byteLength(s);
  putVarint(out, at, n);
  at.pos += out.write(s, at.pos, n, 'utf8');
}

// Tags: (field << 3) | wire type.
const ENTRY = (1 << 3) | 2;
const ENTRY_KEY = (1 << 3) | 2;
const ENTRY_VALUE = (2 << 3) | 2;
const NULL_VALUE = (1 << 3) | 0;
const NUMBER_VALUE = (2 << 3) | 1;
const STRING_VALUE = (3 << 3) | 2;
const BOOL_VALUE = (4 << 3) | 0;
const STRUCT_VALUE = (5 << 3) | 2;
const LIST_VALUE = (6 << 3) | 2;
const LIST_ITEM = (1 << 3) | 2;

function putStruct(out: Buffer, at: Cursor, obj: Record<string, JsonValue>, sizes: number[]): void {
  for (const key in obj) {
    const value = obj[key];
    if (value === undefined) continue;
    const entry = sizes[at.next++] as number;
    const valueBody = sizes[at.next++] as number;
    out[at.pos++] = ENTRY;
    putVarint(out, at, entry);
    putString(out, at, ENTRY_KEY, key);
    out[at.pos++] = ENTRY_VALUE;
    putVarint(out, at, valueBody);
    putValue(out, at, value, sizes);
  }
}

function putValue(out: Buffer, at: Cursor, value: JsonValue, sizes: number[]): void {
  switch (typeof value) {
    case 'number':
      out[at.pos++] = NUMBER_VALUE;
      at.pos = out.writeDoubleLE(value, at.pos);
      return;
    case 'string':
      putString(out, at, STRING_VALUE, value);
      return;
    case 'boolean':
      out[at.pos++] = BOOL_VALUE;
      out[at.pos++] = value ? 1 : 0;
      return;
    default:
      break;
  }
  if (value === null) {
    out[at.pos++] = NULL_VALUE;
    out[at.pos++] = 0;
    return;
  }
  const body = sizes[at.next++] as number;
  if (Array.isArray(value)) {
    out[at.pos++] = LIST_VALUE;
    putVarint(out, at, body);
    for (const item of value) {
      out[at.pos++] = LIST_ITEM;
      putVarint(out, at, sizes[at.next++] as number);
      putValue(out, at, item, sizes);
    }
  } else {
    out[at.pos++] = STRUCT_VALUE;
    putVarint(out, at, body);
    putStruct(out, at, value, sizes);
  }
}
