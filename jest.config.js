/** Unit tests live beside the code (*.test.ts); integration tests that need root and real
 * containers live in test/integration. Both run from the TypeScript sources through ts-jest. */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/runtime', '<rootDir>/spec', '<rootDir>/test', '<rootDir>/conformance', '<rootDir>/bench'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: { isolatedModules: true, sourceMap: true } }] },
};
