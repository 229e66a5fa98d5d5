// A lock file beside a file that several processes read, change and write whole (the autotuner's JSON cache: two
// `cli` runs tuning at once each read the file, add their entry and rename their copy over it — without the lock
// the later rename drops the earlier one's entry). Created with O_EXCL ('wx'): exactly one process holds it. A lock
// older than staleMs is a crashed holder's and is taken over; one that stays held past waitMs is an error the
// caller reports (the tuner then uses its choice for this load only).
//
// Taking over a stale lock: two waiters may find the same stale lock at once. Were each simply to remove it and
// create its own, the slower one would remove the lock the faster one had just created, and both would hold it.
// So the removal is done under a second, short-lived lock (`<lock>.takeover`, O_EXCL), and only when the lock is
// still the very file found stale (same inode and mtime): the slower waiter then finds a fresh lock and waits.
import { closeSync, openSync, rmSync, statSync, writeSync, type Stats } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export interface FileLockOptions {
  /** Give up after this long (ms). */
  waitMs?: number;
  /** A lock file not touched for this long (ms) belongs to a process that died holding it. */
  staleMs?: number;
  /**
   * Awaited between finding the lock stale and taking it over: the window two waiters can share (a seam for the
   * test that puts two processes in it at once).
   */
  beforeTakeover?: () => Promise<void>;
}

/**
 * Removes the lock if it is still the file `seen` (found stale), under the takeover lock. False when another
 * waiter is taking it over right now (the caller waits a moment and tries again). A takeover lock left by a
 * process that died inside these few lines is removed once it is stale itself.
 */
function removeIfStillStale(lock: string, seen: Stats, staleMs: number): boolean {
  const guard = `${lock}.takeover`;
  let fd: number;
  try {
    fd = openSync(guard, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    const g = statSync(guard, { throwIfNoEntry: false });
    if (g && Date.now() - g.mtimeMs > staleMs) rmSync(guard, { force: true });
    return false;
  }
  try {
    const now = statSync(lock, { throwIfNoEntry: false });
    if (now && now.ino === seen.ino && now.mtimeMs === seen.mtimeMs) rmSync(lock, { force: true });
    return true; // removed, or already gone or replaced: try to take it
  } finally {
    closeSync(fd);
    rmSync(guard, { force: true });
  }
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
      const seen = statSync(lock, { throwIfNoEntry: false });
      if (!seen) continue; // released between our open and stat: try again at once
      if (Date.now() - seen.mtimeMs > staleMs) {
        await opts.beforeTakeover?.();
        if (removeIfStillStale(lock, seen, staleMs)) continue;
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
