/**
 * Removes the legacy `Object.prototype.__proto__` accessor, as Node's
 * `--disable-proto=delete` does. protobuf-es builds google.protobuf.Struct
 * maps by assignment (`fields[key] = value`); with the accessor in place a
 * key named "__proto__" replaces the map's prototype instead of becoming an
 * entry, so it vanishes before the engine can see (and refuse) it. Without
 * the accessor it is an ordinary own property, which the engine's data check
 * refuses with INVALID_ARGUMENT (docs/storage-format.md). Object literals,
 * JSON.parse, Object.getPrototypeOf/setPrototypeOf are unaffected.
 */

/**
 * Deletes the `__proto__` accessor of `objectPrototype` (default: this
 * realm's Object.prototype); true when it is gone afterwards.
 */
export function removeProtoAccessor(objectPrototype: object = Object.prototype): boolean {
  delete (objectPrototype as { __proto__?: unknown }).__proto__;
  return !Object.prototype.hasOwnProperty.call(objectPrototype, '__proto__');
}
