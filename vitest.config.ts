import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Vitest's default for `run` is one worker fewer than the cores: one on a 2-core CI machine, which ran the
    // unit files one after another (174 s here). Two workers: 110 s. The gpu project stays one file at a time.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    projects: [
      {
        test: {
          name: 'unit',
          include: ['tests/unit/**/*.test.ts'],
          globalSetup: ['tests/global-temp.ts'],
          environment: 'node',
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'gpu',
          include: ['tests/gpu/**/*.test.ts'],
          globalSetup: ['tests/global-temp.ts'],
          environment: 'node',
          testTimeout: 300_000,
          hookTimeout: 300_000,
          // One GPU device at a time: Dawn on a 2-core machine thrashes with parallel files.
          fileParallelism: false,
        },
      },
    ],
  },
});
