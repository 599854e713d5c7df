// Mutation testing of the write-safety code: what deregister and check --prune delete (the conditional
// delete transaction and the stores' removeIfUnchanged/remove) and what register --keepalive keeps alive
// (keepalive.ts, the stores' renew), against the integration tests that run it in-process on a real etcd.
// `npm run test:mutation` (both configs) or `npx stryker run stryker/writes.conf.mjs`.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Stryker runs the tests in a copy of the repository, where ../shared is not beside it.
process.env.MICRO_REG_FIXTURES ??= join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared', 'fixtures');

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'stryker/vitest.writes.config.ts', related: false },
  // client.ts: deleteEachIf and deleteBatchIf only (the lines of the conditional delete).
  mutate: ['src/registry/keepalive.ts', 'src/registry/store-for-layout.ts', 'src/registry/v3/store.ts', 'src/registry/v2/store.ts', 'src/registry/v3/client.ts:388-438'],
  coverageAnalysis: 'perTest',
  ignoreStatic: true,
  concurrency: 1,
  timeoutMS: 60_000,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/writes.html' },
  jsonReporter: { fileName: 'reports/mutation/writes.json' },
  tempDirName: '.stryker-tmp-writes',
  cleanTempDir: 'always',
  thresholds: { high: 90, low: 80, break: null },
};
