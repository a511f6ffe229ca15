/**
 * The dependency rule of docs/architecture.md as a test: the engine's layers
 * never import generated code, the transport edge, or a driver package. Only
 * the adapters (storage/s3, coordination/redis, index/redis), rpc/,
 * observability/ and main.ts may.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = __dirname;
const ENGINE_LAYERS = ['engine', 'api', 'format', 'model', 'txn', 'query', 'index', 'locks', 'errors', 'common', 'config', 'tokens'];
/** Driver adapters inside the layers above: they may import their driver (never gen/ or rpc/). */
const ADAPTERS = ['storage/s3/', 'coordination/redis/', 'index/redis/'];
const FORBIDDEN_PACKAGES = ['@connectrpc/', '@grpc/grpc-js', 'ioredis', '@aws-sdk/', '@opentelemetry/sdk-'];
const FORBIDDEN = [
  ...FORBIDDEN_PACKAGES.map((pkg) => new RegExp(`from ['"]${pkg.replace(/[/.]/g, '\\$&')}`)),
  /from '\.\.\/(\.\.\/)*gen\//,
  /from '\.\.\/(\.\.\/)*rpc\//,
];

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return tsFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.spec.ts') ? [path] : [];
  });
}

describe('layering', () => {
  it.each(ENGINE_LAYERS)('%s/ imports no generated code, transport or driver package', (layer) => {
    const offenders: string[] = [];
    for (const file of tsFiles(join(root, layer))) {
      const rel = relative(root, file);
      const adapter = ADAPTERS.some((dir) => rel.startsWith(dir));
      const source = readFileSync(file, 'utf8');
      // An adapter may import its driver package; gen/ and rpc/ stay forbidden (the second test checks drivers).
      const patterns = adapter ? FORBIDDEN.slice(FORBIDDEN_PACKAGES.length) : FORBIDDEN;
      for (const pattern of patterns) if (pattern.test(source)) offenders.push(`${rel} ~ ${pattern}`);
    }
    expect(offenders).toEqual([]);
  });

  it('storage/, coordination/ and index/ import drivers only inside their adapters', () => {
    const offenders: string[] = [];
    for (const layer of ['storage', 'coordination', 'index']) {
      for (const file of tsFiles(join(root, layer))) {
        const rel = relative(root, file);
        const adapter = ADAPTERS.some((dir) => rel.startsWith(dir));
        const source = readFileSync(file, 'utf8');
        if (!adapter && /from '(ioredis|@aws-sdk\/[^']+)'/.test(source)) offenders.push(rel);
        if (/from '\.\.\/(\.\.\/)*(gen|rpc)\//.test(source)) offenders.push(rel);
      }
    }
    expect(offenders).toEqual([]);
  });
});
