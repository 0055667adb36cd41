import { defineConfig } from 'vitest/config';

/**
 * `npm run chaos`: the full campaign of issue 11 (authorization matrix, schema fuzzer, uploads,
 * fault scenarios). Its files end in `.chaos.ts` so the default config (test/**\/*.test.ts) never
 * picks them up; the short version lives in test/chaos/*.test.ts and runs inside `npm test`.
 */
export default defineConfig({
  test: {
    include: ['test/chaos/**/*.chaos.ts'],
    testTimeout: 300_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // The fault scenarios start servers, Redis and PostgreSQL of their own: one file at a time.
    poolOptions: { forks: { singleFork: true } },
    globalSetup: ['test/chaos/lib/report-teardown.ts'],
    reporters: ['default'],
  },
});
