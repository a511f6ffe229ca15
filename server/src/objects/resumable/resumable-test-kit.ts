/**
 * Test helpers of the resumable-upload specs: several engine instances
 * ("processes") over one memory ObjectStore, one memory BlobStore and one
 * local coordinator, a commit that publishes a pointer in a Map (create-only
 * when asked, idempotent per data key), crash points that make a store call
 * fail once (before or after it took effect), and deterministic bytes. Not
 * used by the server.
 */
import { createHash } from 'node:crypto';
import type { Clock } from '../../common/clock.js';
import { LocalCoordinator } from '../../coordination/local/local-coordinator.js';
import { DbError } from '../../errors/db-error.js';
import type { BlobStore } from '../../storage/blob-store.js';
import { MemoryBlobStore } from '../../storage/memory/memory-store.js';
import { MemoryObjectStore } from '../../storage/objects/memory/memory-object-store.js';
import type { ObjectStore } from '../../storage/objects/object-store.js';
import type { ResumableSettings } from './resumable-context.js';
import { ResumableUploads } from './resumable-uploads.js';
import { UploadSessions, type UploadHeader, type UploadSession } from './upload-session.js';

/** The smallest part size the memory store accepts (5 MiB). */
export const P = 5 * 1024 * 1024;

/** What the test commit returns. */
export interface TestMeta {
  readonly dataKey: string;
  readonly size: number;
  readonly sha256: string;
  readonly version: number;
}

/** A call that fails once, before it reaches the store or after it took effect. */
interface Crash {
  readonly method: string;
  readonly after: boolean;
  readonly match: (args: unknown[]) => boolean;
}

/** Crash points of wrapped stores. */
export class CrashPoints {
  private readonly armed: Crash[] = [];
  private readonly gates: { method: string; match: (args: unknown[]) => boolean; reached: () => void; opened: Promise<void> }[] = [];
  /** Every call made through wrapped stores, as `prefix.method`. */
  readonly calls: string[] = [];
  /**
   * Holds the next call of `method` matching `match` before it reaches the store,
   * until open() is called; `reached` resolves when a call is held.
   */
  gate(method: string, match: (args: unknown[]) => boolean = () => true): { reached: Promise<void>; open: () => void } {
    let open!: () => void;
    let reached!: () => void;
    const opened = new Promise<void>((r) => (open = r));
    const reachedP = new Promise<void>((r) => (reached = r));
    this.gates.push({ method, match, reached, opened });
    return { reached: reachedP, open };
  }
  /** Makes the next call of `method` matching `match` fail (after it took effect, with `after`). */
  arm(method: string, options: { after?: boolean; match?: (args: unknown[]) => boolean } = {}): void {
    this.armed.push({ method, after: options.after ?? false, match: options.match ?? (() => true) });
  }
  /** How many armed crashes have not fired yet. */
  get pending(): number {
    return this.armed.length;
  }
  /** `target` with its methods failing as armed. */
  wrap<T extends object>(target: T, prefix: string): T {
    return new Proxy(target, {
      get: (t, name, receiver) => {
        const value = Reflect.get(t, name, receiver) as unknown;
        if (typeof value !== 'function') return value;
        // A synchronous query, not a store call: passed through as it is.
        if (name === 'needsFinalPart') return (value as (id: string) => boolean).bind(t);
        return async (...args: unknown[]) => {
          const method = `${prefix}.${String(name)}`;
          this.calls.push(method);
          const g = this.gates.findIndex((x) => x.method === method && x.match(args));
          if (g >= 0) {
            const gate = this.gates.splice(g, 1)[0]!;
            gate.reached();
            await gate.opened;
          }
          const i = this.armed.findIndex((c) => c.method === `${prefix}.${String(name)}` && c.match(args));
          const crash = i >= 0 ? this.armed.splice(i, 1)[0] : undefined;
          if (crash !== undefined && !crash.after) throw simulatedCrash(crash.method);
          const result: unknown = await (value as (...a: unknown[]) => Promise<unknown>).apply(t, args);
          if (crash !== undefined) throw simulatedCrash(crash.method);
          return result;
        };
      },
    });
  }
}

function simulatedCrash(method: string): DbError {
  return new DbError('unavailable', 'BACKEND_UNAVAILABLE', `simulated crash at ${method}`);
}

/** Shared storage and coordination of several engine instances. */
export class World {
  readonly objects: MemoryObjectStore;
  readonly blobs = new MemoryBlobStore();
  readonly coordinator: LocalCoordinator;
  readonly crashes = new CrashPoints();
  /** The published pointers: `<collection>/<id>` → meta. */
  readonly pointers = new Map<string, TestMeta>();
  /** Commit calls, in order. */
  readonly commits: string[] = [];
  /** Set to make the next commit throw it (once). */
  commitError: DbError | undefined;

  /** The store the engines use: `objects`, or a decorator of it (`decorate`, e.g. encryption at rest). */
  readonly store: ObjectStore;

  constructor(
    private readonly clock?: Clock,
    decorate: (objects: ObjectStore) => ObjectStore = (o) => o,
  ) {
    this.coordinator = new LocalCoordinator({ clock });
    this.objects = new MemoryObjectStore(clock === undefined ? {} : { now: () => clock.date() });
    this.store = decorate(this.objects);
  }

  /** A new engine instance (a "process") with its own running hashes. */
  engine(name: string, settings: Partial<ResumableSettings> = {}): ResumableUploads<TestMeta> {
    return new ResumableUploads<TestMeta>({
      objects: this.crashes.wrap<ObjectStore>(this.store, 'objects'),
      blobs: this.crashes.wrap<BlobStore>(this.blobs, 'blobs'),
      coordinator: this.coordinator,
      holder: name,
      clock: this.clock,
      settings: { partSize: P, leaseMs: 2_000, busyWaitMs: 300, ...settings },
      commit: (header, dataKey, size, sha256) => this.commit(header, dataKey, size, sha256),
    });
  }

  /** The stored session of `uploadId`. */
  async session(uploadId: string): Promise<UploadSession> {
    const found = await new UploadSessions(this.blobs).read(uploadId);
    if (found === undefined) throw new Error(`no session ${uploadId}`);
    return found.session;
  }

  /** Every key under `prefix` in the BlobStore. */
  async blobKeys(prefix: string): Promise<string[]> {
    return (await this.blobs.list({ prefix, limit: 1000 })).keys;
  }

  /** The bytes of an object in the ObjectStore. */
  async read(key: string): Promise<Buffer | undefined> {
    const reader = await this.objects.get(key);
    if (reader === undefined) return undefined;
    const chunks: Uint8Array[] = [];
    for await (const c of reader.body) chunks.push(c);
    return Buffer.concat(chunks);
  }

  private async commit(header: UploadHeader, dataKey: string, size: number, sha256: string): Promise<TestMeta> {
    this.commits.push(dataKey);
    const error = this.commitError;
    this.commitError = undefined;
    if (error !== undefined) throw error;
    const name = `${header.collection}/${header.id}`;
    const current = this.pointers.get(name);
    if (current?.dataKey === dataKey) return current;
    if (header.precondition?.exists === false && current !== undefined)
      throw new DbError('already_exists', 'OBJECT_ALREADY_EXISTS', `${name} exists`, {
        metadata: { collection: header.collection, id: header.id },
      });
    const meta = { dataKey, size, sha256, version: (current?.version ?? 0) + 1 };
    this.pointers.set(name, meta);
    return meta;
  }
}

/** `n` deterministic pseudo-random bytes. */
export function testBytes(n: number, seed = 1): Buffer {
  const out = Buffer.allocUnsafe(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** `bytes` as chunks of `size`. */
export function chunksOf(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.byteLength; at += size) out.push(bytes.subarray(at, Math.min(at + size, bytes.byteLength)));
  return out;
}

/** Lowercase hex SHA-256. */
export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A header of object c/x. */
export const HEADER: UploadHeader = { collection: 'c', id: 'x' };
