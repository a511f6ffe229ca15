import type { JsonObject, JsonValue } from '../model/json.js';
import { isJsonObject, setJsonProperty } from '../model/json.js';
import { splitPath } from './field-path.js';

/**
 * Projection (DocumentMask): keeps only the given dotted paths of a
 * document's data, with their parent objects. A path that is missing is left
 * out; a path through a non-object stops there. Overlapping paths merge
 * (`a` and `a.b` keep all of `a`). Empty paths keep everything.
 */
export function project(data: JsonObject, paths: readonly string[] | undefined): JsonObject {
  if (paths === undefined || paths.length === 0) return data;
  const out: JsonObject = {};
  for (const path of paths) copyPath(data, out, splitPath(path), 0);
  return out;
}

function copyPath(src: JsonObject, dst: JsonObject, segs: readonly string[], i: number): void {
  const seg = segs[i] as string;
  if (!Object.prototype.hasOwnProperty.call(src, seg)) return;
  const v = src[seg] as JsonValue;
  if (i === segs.length - 1) {
    setJsonProperty(dst, seg, v);
    return;
  }
  if (!isJsonObject(v)) return;
  const existing = Object.prototype.hasOwnProperty.call(dst, seg) ? dst[seg] : undefined;
  if (existing !== undefined && !isJsonObject(existing)) return; // a shorter path kept it whole already
  if (existing !== undefined && existing === v) return;
  const child: JsonObject = existing !== undefined ? existing : {};
  setJsonProperty(dst, seg, child);
  copyPath(v, child, segs, i + 1);
}
