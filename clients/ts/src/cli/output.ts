/**
 * How results are printed: plain JSON values (bigints as strings, dates as
 * ISO text), pretty JSON for people, one compact line with --json, JSON Lines
 * for streams, and tables (cli-table3) for lists.
 */
import Table from 'cli-table3';

/** Where output goes (process.stdout in the CLI, a buffer in specs). */
export interface Sink {
  /** Writes text as is. */
  write(text: string): unknown;
}

/** A JSON-safe copy of a value: bigint → decimal string, Date → ISO string, Uint8Array → base64, undefined fields dropped. */
export function toPlain(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map(toPlain);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toPlain(v);
    return out;
  }
  return value;
}

/** One value as JSON: indented for people, one line when `compact`. */
export function formatJson(value: unknown, compact: boolean): string {
  return JSON.stringify(toPlain(value), null, compact ? undefined : 2) + '\n';
}

/** A table cell of a value: strings (and bigints, dates) as text, everything else as compact JSON. */
export function cellOf(value: unknown): string {
  const v = toPlain(value);
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

/** The dotted path `path` of an object (e.g. "data.name"), or undefined. */
export function pick(row: unknown, path: string): unknown {
  let v: unknown = row;
  for (const part of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

/** Rows as a text table with the given columns (dotted paths into each row). */
export function formatTable(rows: readonly unknown[], columns: readonly string[]): string {
  const table = new Table({ head: [...columns], style: { head: [], border: [], compact: true }, wordWrap: false });
  for (const row of rows) table.push(columns.map((c) => truncate(cellOf(pick(row, c)), 80)));
  return table.toString() + '\n';
}

/** The columns of a document table: id, version, then the data's top-level fields seen in `docs` (at most `max`). */
export function documentColumns(docs: readonly { readonly data: object }[], max = 6): string[] {
  const fields: string[] = [];
  for (const d of docs) {
    for (const k of Object.keys(d.data)) {
      if (!fields.includes(k) && fields.length < max) fields.push(k);
    }
  }
  return ['id', 'version', ...fields.map((f) => `data.${f}`)];
}

function truncate(s: string, max: number): string {
  return s.length <= max ? s : s.slice(0, max - 1) + '…';
}

/** Output formats of a list of results. */
export type OutputFormat = 'table' | 'json' | 'jsonl';

/** Parses --output, defaulting to json with --json and table otherwise. */
export function outputFormatOf(value: string | undefined, json: boolean): OutputFormat {
  const v = value ?? (json ? 'json' : 'table');
  if (v !== 'table' && v !== 'json' && v !== 'jsonl') throw new TypeError(`--output must be table, json or jsonl (got "${v}")`);
  return v;
}
