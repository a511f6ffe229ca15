/**
 * protobuf-es decodes every binary string field with a default TextDecoder,
 * which silently drops a leading U+FEFF (byte order mark): an id
 * "\uFEFFa" arrived as "a" and a data string lost its first character, with
 * no error. This installs the same UTF-8 codec with `ignoreBOM: true`, so
 * strings reach the server exactly as sent (and ids starting with U+FEFF are
 * refused with INVALID_ID instead of being renamed).
 */
import { configureTextEncoding } from '@bufbuild/protobuf/wire';

/** Makes protobuf-es keep a leading U+FEFF in decoded strings (process-wide; idempotent). */
export function keepByteOrderMarks(): void {
  const encoder = new TextEncoder();
  const lenient = new TextDecoder('utf-8', { ignoreBOM: true });
  const strict = new TextDecoder('utf-8', { ignoreBOM: true, fatal: true });
  configureTextEncoding({
    encodeUtf8: (text) => encoder.encode(text),
    decodeUtf8: (bytes, isStrict) => (isStrict === true ? strict : lenient).decode(bytes),
    checkUtf8: (text) => {
      try {
        encodeURIComponent(text);
        return true;
      } catch {
        return false;
      }
    },
  });
}
