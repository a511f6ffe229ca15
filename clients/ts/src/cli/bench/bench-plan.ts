/**
 * The settings of `smarterbase bench`, checked: flag strings in, a plan
 * out, or a UsageError naming the flag. Also the operation mix: kinds are
 * interleaved by smooth weighted round robin, so the counts of a run match
 * the weights exactly (up to rounding) and every kind is spread evenly over
 * the run instead of in random clumps.
 */
import { UsageError } from '../cli-errors.js';
import { OP_KINDS, type OpKind } from './operations.js';

/** The default mix: read-mostly, with every write kind present. */
export const DEFAULT_MIX = 'get=70,put=15,put-if-match=5,query=5,commit=5';

/** The flags as commander hands them over. */
export interface BenchFlags {
  readonly rate: string;
  readonly duration: string;
  readonly mix: string;
  readonly keys: string;
  readonly docBytes: string;
  readonly maxInFlight: string;
  readonly collection?: string;
  readonly index: boolean;
  readonly report?: string;
  readonly html?: string;
  readonly maxErrorRate: string;
}

/** A checked plan. */
export interface BenchPlan {
  /** Operations per second to issue. */
  readonly rate: number;
  /** Seconds to issue them. */
  readonly durationS: number;
  /** Weight per kind (kinds with weight 0 are absent). */
  readonly mix: ReadonlyMap<OpKind, number>;
  /** Documents in the key space. */
  readonly keys: number;
  /** Padding bytes per document. */
  readonly docBytes: number;
  /** The most operations outstanding. */
  readonly maxInFlight: number;
  /** The collection the run writes. */
  readonly collection: string;
  /** Whether to create an equality index on `group` before the run. */
  readonly index: boolean;
  /** Where to write the JSON report, if anywhere. */
  readonly report?: string;
  /** Where to write the HTML page, if anywhere. */
  readonly html?: string;
  /** Failed operations above this fraction make the command exit 1. */
  readonly maxErrorRate: number;
}

function number(flag: string, raw: string, min: number, max: number, integer: boolean): number {
  const v = Number(raw);
  if (!Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    throw new UsageError(`${flag} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max} (got "${raw}")`);
  }
  return v;
}

/** Parses "get=70,put=30" into weights; unknown kinds, bad weights and an all-zero mix are UsageErrors. */
export function parseMix(raw: string): Map<OpKind, number> {
  const mix = new Map<OpKind, number>();
  for (const part of raw.split(',').map((p) => p.trim())) {
    if (part === '') continue;
    const [kind, weight, extra] = part.split('=');
    if (!OP_KINDS.includes(kind as OpKind) || extra !== undefined) {
      throw new UsageError(`--mix: "${part}" is not KIND=WEIGHT with KIND one of ${OP_KINDS.join(', ')}`);
    }
    const w = number(`--mix ${kind}`, weight ?? '', 0, 1e6, false);
    if (w > 0) mix.set(kind as OpKind, w);
  }
  if (mix.size === 0) throw new UsageError(`--mix needs at least one kind with a weight > 0 (e.g. ${DEFAULT_MIX})`);
  return mix;
}

/** Checks the flags; `now` names the default collection. */
export function benchPlan(f: BenchFlags, now: number = Date.now()): BenchPlan {
  const collection = f.collection ?? `bench_${now.toString(36)}`;
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(collection))
    throw new UsageError(`--collection: "${collection}" is not a collection name`);
  return {
    rate: number('--rate', f.rate, 0.001, 1e6, false),
    durationS: number('--duration', f.duration, 0.001, 86_400, false),
    mix: parseMix(f.mix),
    keys: number('--keys', f.keys, 1, 10_000_000, true),
    docBytes: number('--doc-bytes', f.docBytes, 0, 1_000_000, true),
    maxInFlight: number('--max-in-flight', f.maxInFlight, 1, 100_000, true),
    collection,
    index: f.index,
    report: f.report,
    html: f.html,
    maxErrorRate: number('--max-error-rate', f.maxErrorRate, 0, 1, false),
  };
}

/**
 * The kind of each operation in turn, by smooth weighted round robin (as nginx balances
 * upstreams): over any run the count of a kind is its share of the total within one.
 */
export function mixPicker(mix: ReadonlyMap<OpKind, number>): () => OpKind {
  const kinds = [...mix.keys()];
  const weights = kinds.map((k) => mix.get(k)!);
  const total = weights.reduce((a, b) => a + b, 0);
  const current = kinds.map(() => 0);
  return () => {
    let best = 0;
    for (let j = 0; j < kinds.length; j++) {
      current[j]! += weights[j]!;
      if (current[j]! > current[best]!) best = j;
    }
    current[best]! -= total;
    return kinds[best]!;
  };
}
