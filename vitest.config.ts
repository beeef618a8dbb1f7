import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// Two projects: everything on embedded PGlite, and everything that touches the database again on PostgreSQL.
// Tests that start several processes always use PostgreSQL themselves (PGlite lives in one process), so they run once;
// unit tests touch no database and run once. Everything else (social pipeline and browser included) runs on both.
const multiProcess = 'tests/**/*.multiprocess.test.ts';

export default defineConfig({
  test: {
    testTimeout: 60_000,
    // CI also writes a JSON report, from which .ci/run prints a plain "N passed, N failed" closing line.
    reporters: process.env.CI ? ['default', ['json', { outputFile: 'tests/artifacts/results.json' }]] : ['default'],
    hookTimeout: 60_000,
    // The forks pool, so the X stand-in's certificate (NODE_EXTRA_CA_CERTS, set by the global setup) reaches workers.
    pool: 'forks',
    // Most of a test's time is waiting (SMTP round trips, retry backoffs, outages, child processes), so two forks
    // overlap those waits even on two cores, where vitest's default (cores - 1) would run the files one by one.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    globalSetup: ['tests/support/networks/tls-global-setup.ts'],
    projects: [
      {
        extends: true,
        test: { name: 'pglite', include: ['tests/**/*.test.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'postgres',
          include: ['tests/integration/**/*.test.ts', 'tests/e2e/**/*.test.ts'],
          exclude: [multiProcess],
          env: { HERALD_TEST_DB: 'postgres' },
        },
      },
    ],
  },
});
