/**
 * UTF-8 byte order on JavaScript strings without encoding them: the order of
 * S3's ListObjectsV2 and of every BlobStore listing.
 */

/**
 * Compares two strings in UTF-8 byte order (negative, 0, positive). Equal to
 * Buffer.compare of their UTF-8 encodings for well-formed strings: UTF-16
 * code-unit order differs only where a surrogate (a code point ≥ U+10000)
 * meets a unit in U+E000..U+FFFF, which this fixes up.
 */
export function compareUtf8(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca !== cb) return fixup(ca) - fixup(cb);
  }
  return a.length - b.length;
}

/** True when plain UTF-16 order (Array#sort without a comparator) equals UTF-8 order for `s`: no unit ≥ U+D800. */
export function sortsLikeUtf16(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0xd800) return false;
  return true;
}

/** Maps UTF-16 code units so that surrogates (code points ≥ U+10000) sort above U+E000..U+FFFF. */
function fixup(c: number): number {
  if (c >= 0xd800 && c <= 0xdfff) return c + 0x2000;
  if (c >= 0xe000) return c - 0x800;
  return c;
}
