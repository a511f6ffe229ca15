/**
 * The key-encryption keys of envelope encryption (docs/adr/0016): a keyring
 * file `{"primary":"k2","keys":{"k1":"<base64, 32 bytes>","k2":"…"}}` named
 * by SB_ENCRYPTION_KEYRING_FILE. The primary seals new writes; every key
 * opens bodies sealed under its id. Parsed strictly: a bad file must stop
 * start-up (or a reload), never half-load.
 */
import { readFile } from 'node:fs/promises';

/** The shape of a KEK id: stored in every envelope header (1..64 bytes). */
export const KEK_ID_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

/** A loaded keyring: immutable. */
export interface Keyring {
  /** The id of the key that seals new writes. */
  readonly primary: string;
  /** Every key by id: 32 bytes each. */
  readonly keys: ReadonlyMap<string, Buffer>;
}

/** Thrown when a keyring file is unreadable or invalid; the message names what is wrong (never a key). */
export class KeyringError extends Error {
  override readonly name = 'KeyringError';
}

/** Parses a keyring file's text (see the file comment); KeyringError when it is not one. */
export function parseKeyring(text: string): Keyring {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new KeyringError(`keyring is not JSON: ${(e as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new KeyringError('keyring must be a JSON object');
  const { primary, keys } = raw as { primary?: unknown; keys?: unknown };
  if (typeof keys !== 'object' || keys === null || Array.isArray(keys))
    throw new KeyringError('keyring.keys must be an object of id → base64 key');
  const out = new Map<string, Buffer>();
  for (const [id, value] of Object.entries(keys)) {
    if (!KEK_ID_PATTERN.test(id)) throw new KeyringError(`keyring key id ${JSON.stringify(id)} must be 1-64 of [A-Za-z0-9_.-]`);
    if (typeof value !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(value))
      throw new KeyringError(`keyring key ${id} must be a base64 string`);
    const bytes = Buffer.from(value, 'base64');
    if (bytes.length !== 32) throw new KeyringError(`keyring key ${id} must be 32 bytes (base64 of 32 random bytes), got ${bytes.length}`);
    out.set(id, bytes);
  }
  if (typeof primary !== 'string' || !out.has(primary)) throw new KeyringError('keyring.primary must name one of keyring.keys');
  return { primary, keys: out };
}

/** Reads and parses the keyring file at `path`; KeyringError naming the path when it cannot. */
export async function loadKeyringFile(path: string): Promise<Keyring> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new KeyringError(`cannot read keyring file ${JSON.stringify(path)}: ${(e as Error).message}`);
  }
  try {
    return parseKeyring(text);
  } catch (e) {
    throw new KeyringError(`keyring file ${JSON.stringify(path)}: ${(e as Error).message}`);
  }
}

/** A replaceable reference to the current keyring (a SIGHUP reload swaps it; readers take it per call). */
export class KeyringRef {
  constructor(private ring: Keyring) {}

  /** The keyring now. */
  get(): Keyring {
    return this.ring;
  }

  /** Replaces the keyring (for reloads). */
  set(ring: Keyring): void {
    this.ring = ring;
  }
}
