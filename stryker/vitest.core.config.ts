// The tests Stryker runs against mutants of the pure core (stryker/core.conf.mjs): the unit tests, with
// a fixed fuzz seed and a smaller fuzz, so that a score is reproducible and a run takes minutes, not hours.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 1,
    env: { FUZZ_SEED: '20261201', FUZZ_COUNT: '1000' },
  },
});
