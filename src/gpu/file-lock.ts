// A lock file beside a file that several processes read, change and write whole (the autotuner's JSON cache: two
// `cli` runs tuning at once each read the file, add their entry and rename their copy over it — without the lock
// the later rename drops the earlier one's entry). Created with O_EXCL ('wx'): exactly one process holds it. A lock
// older than staleMs is a crashed holder's and is taken over; one that stays held past waitMs is an error the
// caller reports (the tuner then uses its choice for this load only).
import { closeSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export interface FileLockOptions {
  /** Give up after this long (ms). */
  waitMs?: number;
  /** A lock file not touched for this long (ms) belongs to a process that died holding it. */
  staleMs?: number;
}

/** Runs fn holding the lock; waiting for it yields to the event loop (a CLI's progress and Ctrl-C go on). */
export async function withFileLock<T>(path: string, fn: () => T, opts: FileLockOptions = {}): Promise<T> {
  const lock = `${path}.lock`;
  const waitMs = opts.waitMs ?? 5000;
  const staleMs = opts.staleMs ?? 30_000;
  const start = Date.now();
  let fd: number | undefined;
  for (let attempt = 0; fd === undefined; attempt++) {
    try {
      fd = openSync(lock, 'wx');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let age = 0;
      try {
        age = Date.now() - statSync(lock).mtimeMs;
      } catch {
        continue; // released between our open and stat: try again at once
      }
      if (age > staleMs) {
        rmSync(lock, { force: true });
        continue;
      }
      if (Date.now() - start > waitMs) throw new Error(`${lock} has been held by another process for over ${waitMs} ms; remove it if no other pdfchat process is running`);
      await sleep(2 + Math.random() * Math.min(20, 2 * attempt + 2)); // randomised, growing: holders release in ms
    }
  }
  try {
    writeSync(fd, String(process.pid));
    return fn();
  } finally {
    closeSync(fd);
    rmSync(lock, { force: true });
  }
}
