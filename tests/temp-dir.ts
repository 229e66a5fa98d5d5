// Temporary directories for tests that are always removed: when the test that made one finishes (pass or
// fail), or, for directories made outside a test (module level, beforeAll), after the file's last test.
// Use this instead of mkdtemp in tests, so that a run leaves the temp dir as it found it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, onTestFinished } from 'vitest';

const made = new Set<string>();

function remove(dir: string): void {
  rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  made.delete(dir);
}

// Registered while the importing test file is collected, so it runs after that file's tests.
afterAll(() => {
  for (const dir of [...made]) remove(dir);
});

/**
 * A new empty directory under os.tmpdir(), named `<prefix>XXXXXX`, removed automatically (see above).
 * `scope: 'file'` keeps it until the file's last test even when made inside a test (a cached fixture).
 */
export function makeTempDir(prefix: string, opts: { scope?: 'test' | 'file' } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.add(dir);
  if (opts.scope !== 'file') {
    try {
      onTestFinished(() => remove(dir));
    } catch {
      // Not inside a test: the afterAll above removes it.
    }
  }
  return dir;
}
