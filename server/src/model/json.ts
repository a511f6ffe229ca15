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
