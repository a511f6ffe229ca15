/**
 * Redis Cluster hash slots (the cluster specification's key → slot rule) and
 * the keys of the per-slot coordination epoch markers.
 *
 * On a cluster one Lua script may only touch keys of one slot, so the grant
 * script cannot read a single `<prefix>epoch` key (docs/locks.md, "Redis
 * Cluster"). Instead every slot has its own marker, `<prefix>{ep:<n>}`, whose
 * tag `ep:<n>` is the first one (n = 0, 1, …) hashing to that slot: the grant
 * of a lock reads the marker of the lock's own slot.
 */

/** Slots of a Redis Cluster. */
export const SLOT_COUNT = 16384;

const CRC_TABLE = (() => {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[i] = crc;
  }
  return table;
})();

/** CRC16-CCITT (XModem) of `bytes`, the checksum Redis Cluster hashes keys with. */
export function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const b of bytes) crc = ((crc << 8) & 0xffff) ^ (CRC_TABLE[((crc >> 8) ^ b) & 0xff] as number);
  return crc;
}

/** The slot of `key`: of its hash tag (the text between the first '{' and the next '}', when not empty), else of the whole key. */
export function keySlot(key: string): number {
  const bytes = Buffer.from(key, 'utf8');
  const open = bytes.indexOf(0x7b);
  if (open >= 0) {
    const close = bytes.indexOf(0x7d, open + 1);
    if (close > open + 1) return crc16(bytes.subarray(open + 1, close)) % SLOT_COUNT;
  }
  return crc16(bytes) % SLOT_COUNT;
}

let tags: string[] | undefined;

/** The hash tag `ep:<n>` of `slot`'s epoch marker (the smallest n hashing to it; the table is built once, in ~200k hashes). */
export function epochTag(slot: number): string {
  if (!Number.isInteger(slot) || slot < 0 || slot >= SLOT_COUNT) throw new RangeError(`slot ${slot} is not in 0..${SLOT_COUNT - 1}`);
  if (tags === undefined) {
    const table: string[] = new Array<string>(SLOT_COUNT);
    let filled = 0;
    for (let n = 0; filled < SLOT_COUNT; n++) {
      const tag = `ep:${n}`;
      const s = crc16(Buffer.from(tag, 'latin1')) % SLOT_COUNT;
      if (table[s] === undefined) {
        table[s] = tag;
        filled++;
      }
    }
    tags = table;
  }
  return tags[slot] as string;
}

/** The epoch marker of `slot`: `<prefix>{ep:<n>}`. */
export function slotMarkerKey(prefix: string, slot: number): string {
  return `${prefix}{${epochTag(slot)}}`;
}

/** The epoch marker in the same slot as `key` (the one a script touching `key` may read). */
export function markerKeyFor(prefix: string, key: string): string {
  return slotMarkerKey(prefix, keySlot(key));
}
