/**
 * Reads a Prometheus text exposition: the sum of one counter broken down by
 * one of its labels (e.g. smarterbase_storage_operations_total by "op").
 */

/** The value of `label` in a `{a="x",b="y"}` label set (escapes \" and \\ honoured), or undefined. */
export function labelValue(labels: string, label: string): string | undefined {
  const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
  for (let m = re.exec(labels); m !== null; m = re.exec(labels)) {
    if (m[1] === label) return m[2].replace(/\\(.)/g, '$1');
  }
  return undefined;
}

/**
 * Sums the samples of metric `name` (exact name, with or without labels) per
 * value of `label`; samples without the label count under "". Comment lines
 * and other metrics are ignored.
 */
export function sumByLabel(text: string, name: string, label: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    let key = '';
    let valuePart: string;
    if (rest[0] === '{') {
      const close = rest.lastIndexOf('}');
      if (close < 0) continue;
      key = labelValue(rest.slice(1, close), label) ?? '';
      valuePart = rest.slice(close + 1);
    } else if (rest[0] === ' ') {
      valuePart = rest;
    } else {
      continue; // another metric whose name starts with `name`
    }
    const value = Number(valuePart.trim().split(/\s+/)[0]);
    if (Number.isFinite(value)) out[key] = (out[key] ?? 0) + value;
  }
  return out;
}

/** after − before per key (keys missing in `before` count from 0); zero differences are left out. */
export function diffCounts(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) {
    const d = v - (before[k] ?? 0);
    if (d !== 0) out[k] = d;
  }
  return out;
}
