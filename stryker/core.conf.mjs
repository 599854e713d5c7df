// Mutation testing of the pure core: codec, keys, records, matching and the renderers, against the unit
// tests. `npm run test:mutation` (both configs) or `npx stryker run stryker/core.conf.mjs`.
// CPU-heavy: one test process at a time. Results in reports/mutation/ and docs/testing.md.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Stryker runs the tests in a copy of the repository (.stryker-tmp/sandbox-…), where ../shared is not
// beside it: the fixtures are named by absolute path (the test processes inherit this environment).
process.env.MICRO_REG_FIXTURES ??= join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared', 'fixtures');

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'stryker/vitest.core.config.ts', related: false },
  mutate: ['src/registry/codec.ts', 'src/registry/keys.ts', 'src/registry/records.ts', 'src/registry/match.ts', 'src/render/*.ts'],
  coverageAnalysis: 'perTest',
  // Mutants in module-level constants would rerun every test for each; they are reported as ignored.
  ignoreStatic: true,
  concurrency: 1,
  timeoutMS: 30_000,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/core.html' },
  jsonReporter: { fileName: 'reports/mutation/core.json' },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  thresholds: { high: 90, low: 80, break: null },
};
