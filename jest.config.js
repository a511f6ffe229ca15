// Jest: unit specs beside the code (server/src, *.spec.ts) and cross-process suites in test/ (*.test.ts).
//
// Lanes (JEST_LANE), chosen by the scripts:
// - `heavy`: only the long fault suites of HEAVY; the test command (scripts/test-all.sh) runs them
//   one after another on one worker, beside the `rest` lane;
// - `rest`: everything else (two workers in the test command);
// - `quick` (`npm run test:quick`): the unit specs and the suites of QUICK, which run in process
//   (no server, redis-server or S3 process is started): about a minute and a half here.
// A plain `npx jest` runs everything. Every lane prints a progress line per finished suite and a
// line a minute naming the suites still running (test/harness/progress-reporter.js).
/**
 * The long cross-process fault suites of test/integration (each starts and kills servers for
 * minutes): one worker runs them one after another, so two never compete with each other for the
 * cores (their liveness bounds assume a machine that is loaded, not starved).
 */
const HEAVY = ['txn-crash', 'watch-redis', 'redis-loss-under-load', 's3-implementations-cas', 'log-multi-server', 'pending-index-repair'];
/** Cross-process-free suites of test/ and clients/ts/test that `test:quick` runs beside the specs. */
const QUICK = [
  'test/query/format-filter.test.ts',
  'test/query/query-engine-property.test.ts',
  'test/query/query-engine.test.ts',
  'test/rpc/batch.test.ts',
  'test/rpc/document-service.test.ts',
  'test/rpc/health-shutdown.test.ts',
  'test/rpc/limits.test.ts',
  'test/rpc/lock-stack.test.ts',
  'test/rpc/wire.test.ts',
  'test/storage/object-store-filesystem.test.ts',
  'test/storage/object-store-memory.test.ts',
  'test/streams/local-feed.test.ts',
];
const lane = process.env.JEST_LANE;

/** The files a lane runs (jest's testMatch). */
function testMatch() {
  if (lane === 'heavy') return HEAVY.map((name) => `**/test/integration/${name}.test.ts`);
  if (lane === 'quick') return ['**/*.spec.ts', ...QUICK.map((path) => `**/${path}`)];
  return ['**/*.spec.ts', '**/*.test.ts'];
}

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/server/src', '<rootDir>/test', '<rootDir>/clients/ts', '<rootDir>/bench'],
  testMatch: testMatch(),
  testPathIgnorePatterns: [
    '/node_modules/',
    '/dist/',
    ...(lane === 'rest' ? HEAVY.map((name) => `/test/integration/${name}\\.test\\.ts$`) : []),
  ],
  reporters: ['default', ['<rootDir>/test/harness/progress-reporter.js', { lane: lane ?? 'all' }]],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testTimeout: 60000,
};
