/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
    // jose 6 ships only ES modules. Node 20 loads them with require() (what the built server does), but Jest's
    // module system cannot before Node 24.9, so Jest gets jose compiled to CommonJS.
    '^.+/node_modules/jose/.+\\.js$': ['ts-jest', { tsconfig: { allowJs: true, module: 'commonjs', target: 'ES2022' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
  // The client library (client/) imports its modules as browsers load them, `./log.js`: here the .ts source.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  // Nothing for a worker to wait for once its tests are done (see the file).
  setupFiles: ['<rootDir>/tests/worker-exit.ts'],
  testTimeout: 20000,
  // Each test file starts its own servers on ephemeral ports, so files may run in parallel.
  maxWorkers: 2,
  // How long a worker may take to exit once its tests are done before Jest kills it and reports a leak. With
  // nothing left open, a worker's exit is still Node tearing down its heap: 130-190 ms (hundreds of munmap
  // calls, seen with strace) on an idle machine, past Jest's default 500 ms on this shared, loaded one.
  workerGracefulExitTimeout: 3000,
};
