/**
 * The collections file: indexes declared at start-up, in YAML.
 *
 *   collections:
 *     users:
 *       indexes:
 *         - { name: by_email, fields: [email], kind: unique }
 *         - name: by_age
 *           fields: [age]
 *           kind: ordered
 *
 * Errors are DbError invalid INVALID_ARGUMENT whose message names the file
 * and the entry (e.g. `collections.users.indexes[1].kind`).
 */
import { readFile } from 'node:fs/promises';
import { parse, YAMLParseError } from 'yaml';
import { DbError, invalid } from '../errors/db-error.js';
import type { IndexDefinition, IndexKind } from '../model/index-def.js';
import { isJsonObject } from '../model/json.js';
import { validateCollection } from '../model/keys.js';
import { validateIndexDefinition } from './index-validation.js';

/** Reads and validates the collections file at `path`. */
export async function loadCollectionsFile(path: string): Promise<IndexDefinition[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new DbError('invalid', 'INVALID_ARGUMENT', `cannot read collections file ${path}: ${(cause as Error).message}`, { cause });
  }
  return parseCollectionsFile(text, path);
}

/** Parses and validates collections-file text (`source` names it in errors). */
export function parseCollectionsFile(text: string, source = 'collections file'): IndexDefinition[] {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (cause) {
    const where = cause instanceof YAMLParseError && cause.linePos ? ` at line ${cause.linePos[0].line}` : '';
    throw bad(source, '', `is not valid YAML${where}: ${(cause as Error).message.split('\n')[0]}`);
  }
  if (doc === null || doc === undefined) return [];
  if (!isJsonObject(doc)) throw bad(source, '', 'must be a mapping with a "collections" key');
  for (const key of Object.keys(doc)) if (key !== 'collections') throw bad(source, key, 'is not a known key (expected "collections")');
  const collections = doc.collections;
  if (collections === undefined || collections === null) return [];
  if (!isJsonObject(collections)) throw bad(source, 'collections', 'must be a mapping of collection names');
  const out: IndexDefinition[] = [];
  const seen = new Set<string>();
  for (const [collection, spec] of Object.entries(collections)) {
    const at = `collections.${collection}`;
    try {
      validateCollection(collection);
    } catch (e) {
      throw bad(source, at, `: ${(e as Error).message}`);
    }
    if (spec === null) continue;
    if (!isJsonObject(spec)) throw bad(source, at, 'must be a mapping with "indexes"');
    for (const key of Object.keys(spec))
      if (key !== 'indexes') throw bad(source, `${at}.${key}`, 'is not a known key (expected "indexes")');
    const indexes = spec.indexes ?? [];
    if (!Array.isArray(indexes)) throw bad(source, `${at}.indexes`, 'must be a list');
    for (const [i, entry] of indexes.entries()) {
      const entryAt = `${at}.indexes[${i}]`;
      if (!isJsonObject(entry)) throw bad(source, entryAt, 'must be a mapping with name, fields and kind');
      for (const key of Object.keys(entry)) {
        if (!['name', 'fields', 'kind'].includes(key))
          throw bad(source, `${entryAt}.${key}`, 'is not a known key (expected name, fields, kind)');
      }
      const fields = typeof entry.fields === 'string' ? [entry.fields] : entry.fields;
      const def = { collection, name: entry.name, fields, kind: entry.kind } as unknown as IndexDefinition;
      try {
        validateIndexDefinition(def, '');
      } catch (e) {
        if (!(e instanceof DbError)) throw e;
        throw bad(source, `${entryAt}${e.field ? `.${e.field}` : ''}`, `: ${e.message}`);
      }
      if (seen.has(`${collection}/${def.name}`)) throw bad(source, `${entryAt}.name`, `: index ${def.name} is declared twice`);
      seen.add(`${collection}/${def.name}`);
      out.push({ collection, name: def.name, fields: [...def.fields], kind: def.kind as IndexKind });
    }
  }
  return out;
}

function bad(source: string, at: string, problem: string): DbError {
  const where = at === '' ? source : `${source}: ${at}`;
  return invalid('INVALID_ARGUMENT', at || 'collections', `${where}${problem.startsWith(':') ? '' : ' '}${problem}`);
}
