/**
 * Validation of one appended log line (docs/adr/0013 §9): exactly one JSON
 * text, on one line, at most a given number of UTF-8 bytes. The line is
 * never re-serialized: what was sent is what is stored and read back, byte
 * for byte (a large integer such as 12345678901234567890 keeps its digits).
 */

/** Why a line is refused, or undefined when it is acceptable. */
export function jsonLineProblem(line: string, maxBytes: number): string | undefined {
  if (line.length === 0) return 'must not be empty';
  if (line.includes('\n') || line.includes('\r')) return 'must be one line: no raw CR or LF (a pretty-printed value is refused)';
  const bytes = Buffer.byteLength(line, 'utf8');
  if (bytes > maxBytes) return `must be at most ${maxBytes} bytes (is ${bytes})`;
  if (line.trim().length === 0) return 'must not be blank';
  try {
    // Validity only: the parsed value is dropped (RangeError for absurd nesting counts as invalid).
    JSON.parse(line);
  } catch {
    return 'must be one JSON text (value, nothing after it)';
  }
  return undefined;
}
