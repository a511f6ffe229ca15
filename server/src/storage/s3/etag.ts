/** S3 sends ETags as quoted strings ("abc", or W/"abc"); the BlobStore port uses them bare. */

/** The bare etag: surrounding quotes and a weak W/ marker removed; '' when absent. */
export function unquoteEtag(etag: string | undefined): string {
  if (etag === undefined) return '';
  return etag.replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
}

/** The quoted form S3 expects in If-Match. */
export function quoteEtag(etag: string): string {
  return `"${etag}"`;
}
