/**
 * Encryption at rest as the server composes it (docs/adr/0016): with
 * SB_ENCRYPTION_KEYRING_FILE set, the composed store is wrapped in
 * EncryptingBlobStore and RotateKeys is served over the store below it;
 * `reload` reads the keyring file again (main.ts calls it on SIGHUP) and
 * keeps the old keyring when the file is bad. Unset: the store as it was.
 */
import type { Config } from '../../config/settings.js';
import type { BlobStore } from '../blob-store.js';
import { EncryptingBlobStore, ENCRYPTED_PREFIXES } from '../crypto/encrypting-store.js';
import { KeyRotation } from '../crypto/key-rotation.js';
import { KeyringRef, loadKeyringFile } from '../crypto/keyring.js';

/** What openEncryption gives the server. */
export interface Encryption {
  /** The store the engine uses: sealing and opening bodies, or `backend` itself when encryption is off. */
  readonly store: BlobStore;
  /**
   * The keyring, when encryption is on: the change feed seals its document
   * bodies with it too (streams/sealing-feed.ts), and object data is sealed
   * with it (objects/compose/open-objects.ts).
   */
  readonly keyring?: KeyringRef;
  /** RotateKeys, when encryption is on. */
  readonly rotation?: KeyRotation;
  /** Reads the keyring file again and swaps it in; resolves to the primary key id; rejects (keeping the old keyring) on a bad file. */
  readonly reload?: () => Promise<{ primary: string; keys: number }>;
  /** The primary key id and how many keys the keyring holds at start-up (for the log). */
  readonly summary?: { primary: string; keys: number };
}

/** See the file comment; a bad keyring file rejects with a KeyringError naming the setting's file. */
export async function openEncryption(config: Config, backend: BlobStore): Promise<Encryption> {
  const path = config.encryptionKeyringFile;
  if (path === undefined) return { store: backend };
  const keyring = new KeyringRef(await loadKeyringFile(path));
  const store = new EncryptingBlobStore(backend, { keyring, requireSealed: config.encryptionRequire === true });
  const summary = (): { primary: string; keys: number } => ({ primary: keyring.get().primary, keys: keyring.get().keys.size });
  return {
    store,
    keyring,
    rotation: new KeyRotation({ raw: backend, keyring, prefixes: ENCRYPTED_PREFIXES }),
    reload: async () => {
      keyring.set(await loadKeyringFile(path));
      return summary();
    },
    summary: summary(),
  };
}
