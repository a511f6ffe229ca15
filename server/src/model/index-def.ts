/** Secondary index definitions (proto smarterbase.v1.Index). */

/** equality: eq/in lookups; unique: equality + enforced uniqueness; ordered: ranges and order_by on one field. */
export type IndexKind = 'equality' | 'unique' | 'ordered';

/** building: being filled from stored documents; ready: used by queries; failed: see error. */
export type IndexState = 'building' | 'ready' | 'failed';

/** What a user declares. */
export interface IndexDefinition {
  readonly collection: string;
  /** 1-64 chars of [a-z0-9_], starting with a letter; unique per collection. */
  readonly name: string;
  /** Dotted field paths: 1-4 for equality/unique, exactly 1 for ordered. */
  readonly fields: readonly string[];
  readonly kind: IndexKind;
  /**
   * Equality/unique only: store HMAC-SHA-256 hashes of the values instead of
   * the values (index/value-hash.ts), so Redis holds no field value in clear.
   * Part of the definition: absent and false are the same.
   */
  readonly hashValues?: boolean;
}

/** The bare definition of `def` (no state): a copy with `hashValues` only when true, so equal definitions serialise alike. */
export function definitionOf(def: IndexDefinition): IndexDefinition {
  return {
    collection: def.collection,
    name: def.name,
    fields: [...def.fields],
    kind: def.kind,
    ...(def.hashValues === true ? { hashValues: true } : {}),
  };
}

/** A definition with its life-cycle state. */
export interface IndexInfo extends IndexDefinition {
  readonly state: IndexState;
  /** Documents scanned by the build so far. */
  readonly documentsScanned: number;
  readonly createTime: Date;
  /** Why the build failed, when state is 'failed'. */
  readonly error?: string;
}

/**
 * The suffix of a shadow index's name: the hidden copy an online rebuild
 * fills (docs/adr/0009). `~` is not allowed in index names, so no user index
 * collides, and it is safe in Redis keys, JSON and SCAN patterns.
 */
export const SHADOW_SUFFIX = '~shadow';

/** The name of the shadow of index `name`. */
export function shadowIndexName(name: string): string {
  return `${name}${SHADOW_SUFFIX}`;
}

/** Whether `name` is a shadow index (never listed, planned or checked; writes maintain it). */
export function isShadowIndex(name: string): boolean {
  return name.endsWith(SHADOW_SUFFIX);
}

/** The live index a name stands for: `name` itself, or the index a shadow copies. */
export function liveIndexName(name: string): string {
  return isShadowIndex(name) ? name.slice(0, -SHADOW_SUFFIX.length) : name;
}

/** The indexes without shadows: what users, the planner and the checks see. */
export function visibleIndexes<T extends { readonly name: string }>(indexes: readonly T[]): T[] {
  return indexes.filter((i) => !isShadowIndex(i.name));
}
