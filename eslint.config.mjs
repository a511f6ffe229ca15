// ESLint (flat config): the dependency rule of docs/architecture.md, enforced.
// Folders of server/src form layers; a file may import its own folder and the
// folders below it, never one above (import-x/no-restricted-paths zones, built
// from LAYERS), and no import cycle may close (import-x/no-cycle). The core
// layers never touch a driver, a transport or generated code, and read time and
// randomness only through the injected Clock / random source.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import prettier from 'eslint-config-prettier';

/**
 * server/src folders from the bottom up. A folder may import the folders of
 * earlier rows; folders of one row may not import each other unless PEERS
 * allows it. The root (main.ts) is above all.
 */
export const LAYERS = [
  ['errors'],
  ['common'],
  ['config', 'observability'],
  ['model'],
  ['format'],
  ['api'],
  ['coordination'],
  ['limits'],
  ['storage'],
  ['tokens'],
  ['index'],
  ['query', 'locks', 'txn', 'streams'],
  ['engine'],
  ['objects'],
  ['access'],
  ['rpc'],
  ['startup'],
];
/** Same-row imports that are allowed: [from, to]. */
export const PEERS = [['query', 'index']];

const SRC = './server/src';
const below = (row) => LAYERS.slice(0, row).flat();

/** Zones forbidding every import from a folder that is not below (or an allowed peer of) the target. */
export function layerZones() {
  const all = LAYERS.flat();
  const zones = [];
  LAYERS.forEach((row, i) => {
    for (const folder of row) {
      const allowed = new Set([folder, ...below(i), ...PEERS.filter(([f]) => f === folder).map(([, t]) => t)]);
      const from = all.filter((f) => !allowed.has(f)).map((f) => `${SRC}/${f}`);
      from.push(`${SRC}/main.ts`);
      if (folder !== 'rpc') from.push(`${SRC}/gen`);
      zones.push({
        target: `${SRC}/${folder}`,
        from,
        message: `${folder}/ may import only its own folder and the layers below it (docs/architecture.md)`,
      });
    }
  });
  return zones;
}

/**
 * Inside rpc/: the root files are the transport basics (mounts, error table,
 * limits, decoding); convert/ and decorators/ build on them, services/ on
 * convert/, and server/ composes everything. One service folder never
 * imports another.
 */
const RPC = `${SRC}/rpc`;
const SERVICES = ['access', 'admin', 'documents', 'health', 'locks', 'objects', 'queries', 'reflection', 'streams'];
export function rpcZones() {
  const sub = (names) => names.map((n) => `${RPC}/${n}`);
  return [
    {
      target: `${RPC}/*.ts`,
      from: sub(['auth', 'convert', 'decorators', 'services', 'server']),
      message: 'rpc/ root files are the basics below convert/, decorators/, services/ and server/',
    },
    { target: `${RPC}/convert`, from: sub(['decorators', 'services', 'server']), message: 'rpc/convert/ is below services/ and server/' },
    {
      target: `${RPC}/auth`,
      from: sub(['decorators', 'services', 'server']),
      message: 'rpc/auth/ (the method permission table) is below decorators/',
    },
    { target: `${RPC}/decorators`, from: sub(['services', 'server']), message: 'rpc/decorators/ is below server/' },
    { target: `${RPC}/services`, from: sub(['decorators', 'server']), message: 'rpc/services/ is below server/' },
    ...SERVICES.map((s) => ({
      target: `${RPC}/services/${s}`,
      from: sub(SERVICES.filter((o) => o !== s).map((o) => `services/${o}`)),
      message: 'a service folder never imports another (shared conversion lives in rpc/convert/)',
    })),
  ];
}

/** The layers that hold the database's logic: no driver, transport, generated code, wall clock or Math.random. */
const CORE = ['model', 'format', 'api', 'index', 'query', 'locks', 'txn', 'engine', 'objects'].map((f) => `server/src/${f}/**/*.ts`);
/** Folders that import no driver, transport or SDK except in their adapters (storage/s3, storage/objects/s3, coordination/redis, index/redis). */
const DRIVER_FREE = [
  'errors',
  'common',
  'config',
  'model',
  'format',
  'api',
  'coordination',
  'storage',
  'tokens',
  'index',
  'query',
  'locks',
  'txn',
  'streams',
  'engine',
  'objects',
  'access',
].map((f) => `server/src/${f}/**/*.ts`);
const DRIVERS = ['@grpc/grpc-js', '@connectrpc/*', 'ioredis', '@aws-sdk/*', '@opentelemetry/sdk-*'];

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'clients/ts/dist/**',
      'node_modules/**',
      'server/src/gen/**',
      'clients/ts/src/gen/**',
      'clients/go/**',
      'clients/python/**',
      '.tools/**',
      '.venv/**',
      'coverage/**',
      '**/*.js',
      '**/*.mjs',
      '**/*.cjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })],
      // no-cycle parses every dependency: with the TypeScript parser, or it sees no imports at all.
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/extensions': ['.ts'],
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
    },
  },
  {
    files: ['server/src/**/*.ts'],
    ignores: ['server/src/**/*.spec.ts'],
    rules: { 'import-x/no-restricted-paths': ['error', { zones: [...layerZones(), ...rpcZones()] }] },
  },
  {
    files: DRIVER_FREE,
    // The driver adapters: the only files of these folders that import their driver.
    ignores: [
      'server/src/**/*.spec.ts',
      'server/src/index/redis/**',
      'server/src/coordination/redis/**',
      'server/src/storage/s3/**',
      'server/src/storage/objects/s3/**',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: DRIVERS, message: 'below rpc/, only the driver adapters import a driver or a transport' }] },
      ],
    },
  },
  {
    files: CORE,
    ignores: ['server/src/**/*.spec.ts', 'server/src/index/redis/**'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'use the injected Clock (common/clock.ts)' },
        { object: 'Math', property: 'random', message: 'use the injected random source (common/clock.ts)' },
      ],
      'no-restricted-syntax': [
        'error',
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'use the injected Clock (common/clock.ts)' },
      ],
    },
  },
  // Last: turns off the rules that disagree with Prettier's layout (Prettier owns formatting).
  prettier,
);
