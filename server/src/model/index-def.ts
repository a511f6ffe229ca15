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
