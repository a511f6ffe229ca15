/** JSON values as stored in documents (the shape of google.protobuf.Struct). */
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;

/** A JSON object: the data of a document. */
export interface JsonObject {
  [key: string]: JsonValue;
}

/** True when `v` is a plain JSON object (not an array, not null). */
export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Sets `obj[key] = value` as an own, enumerable property, even for keys such
 * as "__proto__" that a plain assignment would treat as the prototype.
 */
export function setJsonProperty(obj: JsonObject, key: string, value: JsonValue): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}
