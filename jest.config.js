/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    // Type-checking is `npm run typecheck` (tsc); jest only transpiles, which keeps it fast.
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }],
    // @kubernetes/client-node 1.x and its openid-client/oauth4webapi/jose are ESM-only: jest's CommonJS
    // runtime cannot load them untransformed on Node 20, so ts-jest compiles them to CommonJS.
    '^.+\\.js$': ['ts-jest', { tsconfig: { allowJs: true, module: 'commonjs', target: 'ES2022', isolatedModules: true, types: [] } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!(@kubernetes/client-node|openid-client|oauth4webapi|jose)/)'],
  testTimeout: 60000,
  // The ReconcileJob construct embeds the esbuild bundle of src/reconcile: build it fresh for every run.
  globalSetup: '<rootDir>/test/support/global-setup.js',
};
