/**
 * Key rotation of encryption at rest (docs/adr/0016), as the RPC layer calls
 * it (AdminService.RotateKeys). Implemented by storage/crypto/key-rotation.ts.
 */
import type { CallContext } from './call-context.js';

/** What RotateKeys walks. */
export interface RotateKeysInput {
  /** Only this collection's documents; unset: every document and every transaction intent. */
  readonly collection?: string;
}

/** One progress message of a rotation (proto smarterbase.v1.RotateKeysResponse); the last has done = true. */
export interface RotateKeysProgress {
  /** Stored bodies examined so far. */
  readonly scanned: number;
  /** Bodies rewritten under the primary KEK (re-wrapped, or sealed when clear). */
  readonly rewritten: number;
  /** Bodies left alone: already under the primary, deleted meanwhile, or rewritten by a concurrent write under the primary. */
  readonly skipped: number;
  /** Bodies that could not be rewritten (see failedKeys). */
  readonly failed: number;
  /** True on the last message. */
  readonly done: boolean;
  /** The KEK id new writes are sealed under. */
  readonly primaryKeyId: string;
  /** Up to 100 "<key>: <reason>" of failed bodies (last message only). */
  readonly failedKeys: readonly string[];
}

/** Rewrites every encrypted body not under the primary KEK, each with compare-and-swap. */
export interface KeyRotationApi {
  /** Streams progress; stops when ctx.signal aborts. */
  rotateKeys(ctx: CallContext, input: RotateKeysInput): AsyncGenerator<RotateKeysProgress, void, undefined>;
}
