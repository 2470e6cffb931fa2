/** Unit tests live beside the code (*.test.ts); integration tests that need root and real
 * containers live in test/integration. Both run from the TypeScript sources through ts-jest. */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/runtime', '<rootDir>/spec', '<rootDir>/test', '<rootDir>/conformance', '<rootDir>/bench'],
  testMatch: ['**/*.test.ts'],
  // Most cases start real processes (a runtime, a daemon): on a loaded 2-core host jest's 5 s default
  // failed cases that take 3-4 s alone. Cases that need more still say so themselves.
  testTimeout: 20_000,
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: { isolatedModules: true, sourceMap: true } }] },
};
