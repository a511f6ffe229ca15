/**
 * Progress on stderr: a cli-progress bar (drawn only when stderr is a
 * terminal, never with --json), and the final summary line of a transfer
 * (documents, bytes, rate).
 */
import { SingleBar } from 'cli-progress';

/** A progress bar; every method is a no-op when the bar is not shown. */
export interface Progress {
  /** Sets the total (0 or unknown: the bar shows counts only). */
  setTotal(total: number): void;
  /** Sets the current value and the bytes so far. */
  update(value: number, bytes?: number): void;
  /** Removes the bar. */
  stop(): void;
}

/** A bar labelled `label` on stderr when `show` (stderr a TTY and no --json), else a silent one; `bytes`: also show the bytes moved. */
export function createProgress(label: string, show: boolean, bytes = true): Progress {
  if (!show) return { setTotal: () => undefined, update: () => undefined, stop: () => undefined };
  const bar = new SingleBar({
    stream: process.stderr,
    format: `${label} [{bar}] {percentage}% | {value}/{total}${bytes ? ' | {size}' : ''} | {eta_formatted} left`,
    hideCursor: true,
    clearOnComplete: true,
    etaBuffer: 50,
  });
  bar.start(0, 0, { size: formatBytes(0) });
  return {
    setTotal: (total) => bar.setTotal(total),
    update: (value, bytes) => bar.update(value, { size: formatBytes(bytes ?? 0) }),
    stop: () => bar.stop(),
  };
}

/** Bytes in B, KiB, MiB or GiB with one decimal. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(1)} ${units[u]}`;
}

/** The figures of a finished transfer. */
export interface TransferSummary {
  /** Documents exported, or written by an import. */
  readonly documents: number;
  /** Documents an import skipped (already present and identical). */
  readonly skipped?: number;
  /** Documents an import failed to write. */
  readonly failed?: number;
  /** JSONL bytes written or read. */
  readonly bytes: number;
  /** Elapsed time in milliseconds. */
  readonly elapsedMs: number;
}

/** "exported 10000 documents (1.2 MiB) in 3.4 s: 2941 documents/s, 361.4 KiB/s". */
export function summaryLine(verb: string, s: TransferSummary): string {
  const secs = Math.max(s.elapsedMs, 1) / 1000;
  const done = s.documents + (s.skipped ?? 0);
  const extra = [s.skipped ? `${s.skipped} skipped as identical` : '', s.failed ? `${s.failed} failed` : ''].filter((x) => x !== '');
  return (
    `${verb} ${s.documents} documents${extra.length > 0 ? ` (${extra.join(', ')})` : ''}, ${formatBytes(s.bytes)} in ${secs.toFixed(1)} s: ` +
    `${Math.round(done / secs)} documents/s, ${formatBytes(Math.round(s.bytes / secs))}/s`
  );
}
