// Vitest globalSetup for both projects: the run gets a private temp dir (TMPDIR, inherited by the test
// workers and every process they spawn), and at the end the run FAILS if any test left something in it —
// tests must remove what they make (tests/temp-dir.ts does it for them). Only tsx's transform cache
// (`tsx-<uid>`, made by spawned CLI processes and reused across them, like ~/.cache) is expected there.
// The private dir is then removed, so a run leaves the system temp dir exactly as it found it.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CACHES = /^tsx-/;

export default function setup(): () => void {
  const previous = process.env.TMPDIR;
  const runDir = mkdtempSync(join(tmpdir(), 'pdfchat-test-run-'));
  process.env.TMPDIR = runDir;
  return () => {
    const left = readdirSync(runDir).filter((n) => !CACHES.test(n));
    rmSync(runDir, { recursive: true, force: true, maxRetries: 3 });
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    if (left.length > 0) {
      throw new Error(`Tests left ${left.length} entries in the temp dir (use makeTempDir from tests/temp-dir.ts): ${left.sort().join(', ')}`);
    }
  };
}
