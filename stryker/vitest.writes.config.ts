// The tests Stryker runs against mutants of the write-safety code (stryker/writes.conf.mjs): the
// integration tests of conditional deletes and keepalive, against the real etcd the global setup starts.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/integration/keepalive.test.ts', 'test/integration/deregister.test.ts', 'test/integration/check.test.ts', 'test/integration/v2-write.test.ts', 'test/integration/register.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 1,
  },
});
