/**
 * The data of recently opened feed changes (streams/sealing-feed.ts), so
 * that N watchers of a collection reading the same released events pay for
 * one decryption, not N. Keyed by the change's seal name and checked against
 * the sealed text itself, so an entry is only ever reused for the exact
 * bytes it was opened from. Bounded by the sealed bytes it stands for (an
 * estimate of the data's size), least recently used dropped first.
 */
import type { JsonObject } from '../model/json.js';

/** A byte-bounded least-recently-used map of seal name → (sealed text, opened data). */
export class OpenedChanges {
  private readonly entries = new Map<string, { sealed: string; data: JsonObject }>();
  private bytes = 0;

  constructor(
    /** The most sealed bytes whose data is kept (default 16 MiB); 0 keeps nothing. */
    private readonly maxBytes = 16 * 1024 * 1024,
  ) {}

  /** The data opened from exactly `sealed` under `name`, if kept (and marks it recently used). */
  get(name: string, sealed: string): JsonObject | undefined {
    const e = this.entries.get(name);
    if (e === undefined || e.sealed !== sealed) return undefined;
    this.entries.delete(name);
    this.entries.set(name, e);
    return e.data;
  }

  /** Keeps `data`, opened from `sealed` under `name`, dropping the least recently used past the bound. */
  put(name: string, sealed: string, data: JsonObject): void {
    if (sealed.length > this.maxBytes) return;
    this.drop(name);
    this.entries.set(name, { sealed, data });
    this.bytes += sealed.length;
    while (this.bytes > this.maxBytes) this.drop(this.entries.keys().next().value!);
  }

  /** How many changes are kept (tests, diagnostics). */
  get size(): number {
    return this.entries.size;
  }

  private drop(name: string): void {
    const e = this.entries.get(name);
    if (e === undefined) return;
    this.entries.delete(name);
    this.bytes -= e.sealed.length;
  }
}
