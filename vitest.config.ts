import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Vitest's default for `run` is one worker fewer than the cores: one on a 2-core CI machine, which ran the
    // unit files one after another (174 s here). Two workers: 110 s.
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
          // Two files at a time, like the unit tier (each its own Dawn device on lavapipe): while one compiles
          // shaders (single-threaded LLVM) the other runs. Warm shader cache here: 240 s one at a time, 165 s two.
        },
      },
    ],
  },
});
