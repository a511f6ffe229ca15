// Jest: unit specs beside the code (server/src, *.spec.ts) and cross-process suites in test/ (*.test.ts).
//
// The test command (scripts/test-all.sh) runs two jest processes side by side: JEST_LANE=heavy
// runs only the long fault suites of HEAVY, one after another; JEST_LANE=rest runs everything
// else. A plain `npx jest` runs everything.
/** The long cross-process fault suites of test/integration (each starts and kills servers for minutes). */
const HEAVY = ['txn-crash', 'redis-loss-under-load', 'pending-index-repair', 's3-implementations-cas', 'watch-redis'];
const lane = process.env.JEST_LANE;

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/server/src', '<rootDir>/test', '<rootDir>/clients/ts', '<rootDir>/bench'],
  testMatch: lane === 'heavy' ? HEAVY.map((name) => `**/test/integration/${name}.test.ts`) : ['**/*.spec.ts', '**/*.test.ts'],
  testPathIgnorePatterns: [
    '/node_modules/',
    '/dist/',
    ...(lane === 'rest' ? HEAVY.map((name) => `/test/integration/${name}\\.test\\.ts$`) : []),
  ],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testTimeout: 60000,
};
