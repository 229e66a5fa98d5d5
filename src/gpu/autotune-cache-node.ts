// Node side of the autotuner's cache: one JSON file {key: TuneEntry}, beside the Node model cache
// ($PDFCHAT_MODEL_CACHE, else ~/.cache/pdfchat/models → ~/.cache/pdfchat/autotune.json), or $PDFCHAT_TUNE_CACHE.
// Written whole (write to a temp file, then rename) so a crash never leaves half a file, and read, changed and
// written under a lock file (src/gpu/file-lock.ts) so two processes tuning at once both keep their entries.
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { TuneCache, TuneEntry } from './autotune-cache';
import { withFileLock } from './file-lock';

export function defaultTuneCachePath(): string {
  if (process.env.PDFCHAT_TUNE_CACHE) return process.env.PDFCHAT_TUNE_CACHE;
  const models = process.env.PDFCHAT_MODEL_CACHE || join(homedir(), '.cache', 'pdfchat', 'models');
  return join(dirname(models), 'autotune.json');
}

export function fileTuneCache(path = defaultTuneCachePath()): TuneCache {
  const read = (): Record<string, TuneEntry> => {
    try {
      const v = JSON.parse(readFileSync(path, 'utf8'));
      return v && typeof v === 'object' && !Array.isArray(v) ? v : {}; // a foreign file (an array, a number): start afresh
    } catch {
      return {}; // absent or unreadable: tune again
    }
  };
  return {
    kind: 'file',
    get: async (k) => read()[k],
    set: async (k, v) => {
      mkdirSync(dirname(path), { recursive: true });
      await withFileLock(path, () => {
        const all = read(); // under the lock: another process's entry written since our get is kept
        all[k] = v;
        const tmp = `${path}.${process.pid}.tmp`;
        try {
          writeFileSync(tmp, JSON.stringify(all, null, 1));
          renameSync(tmp, path);
        } catch (e) {
          rmSync(tmp, { force: true }); // no temp file left beside it (the caller says the write failed)
          throw e;
        }
      });
    },
  };
}
