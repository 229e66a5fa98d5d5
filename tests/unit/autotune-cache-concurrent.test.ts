// Several processes tuning at once (two `cli` runs, a bench beside a chat) share one cache file: each reads it,
// adds its entry and renames its copy over it. Under the lock file every entry written survives; a lock left by a
// crashed process is taken over; one held too long fails that write (the tuner warns and uses its choice for this
// load) instead of hanging.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileTuneCache } from '../../src/gpu/autotune-cache-node';
import { withFileLock } from '../../src/gpu/file-lock';
import { makeTempDir } from '../temp-dir';

const tsx = resolve('node_modules/.bin/tsx');
const cacheModule = resolve('src/gpu/autotune-cache-node.ts');
const lockModule = resolve('src/gpu/file-lock.ts');

/** Writes `source` to `script` and runs it in its own process (tsx); resolves with its exit code. */
function runScript(script: string, source: string): Promise<number> {
  writeFileSync(script, source);
  return new Promise((done, fail) => {
    const child = spawn(tsx, [script], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', fail);
    child.on('exit', (code) => done(code ?? -1));
  });
}

function writer(dir: string, file: string, id: number, count: number): Promise<number> {
  return runScript(join(dir, `writer-${id}.mts`), `import { fileTuneCache } from ${JSON.stringify(cacheModule)};
const cache = fileTuneCache(${JSON.stringify(file)});
for (let i = 0; i < ${count}; i++) await cache.set('p${id}-' + i, { variant: 'v', complete: true, ms: i, at: 'now' });
`);
}

describe('the tuning cache file shared by processes', () => {
  it('four processes writing 40 entries each at once: all 160 are in the file, no lock or temp file is left', async () => {
    const dir = makeTempDir('tune-cache-concurrent-');
    const file = join(dir, 'autotune.json');
    const codes = await Promise.all([0, 1, 2, 3].map((id) => writer(dir, file, id, 40)));
    expect(codes).toEqual([0, 0, 0, 0]);
    const keys = Object.keys(JSON.parse(readFileSync(file, 'utf8')));
    expect(keys.length).toBe(160);
    for (let id = 0; id < 4; id++) for (let i = 0; i < 40; i++) expect(keys).toContain(`p${id}-${i}`);
    expect(readdirSync(dir).filter((f) => !f.startsWith('writer-'))).toEqual(['autotune.json']);
  }, 60_000);

  it("a crashed process's lock (old) is taken over; a live one held too long fails the write with a clear error", async () => {
    const dir = makeTempDir('tune-cache-lock-');
    const file = join(dir, 'autotune.json');
    writeFileSync(`${file}.lock`, '99999');
    const old = (Date.now() - 60_000) / 1000;
    utimesSync(`${file}.lock`, old, old);
    await fileTuneCache(file).set('k', { variant: 'v', complete: true, ms: 1, at: 'now' });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toHaveProperty('k');
    expect(readdirSync(dir)).toEqual(['autotune.json']);

    writeFileSync(`${file}.lock`, '99999'); // fresh: another process holds it
    const t0 = Date.now();
    await expect(withFileLock(file, () => 1, { waitMs: 200 })).rejects.toThrow(/autotune\.json\.lock has been held by another process .*remove it/);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(200);
    expect(readFileSync(`${file}.lock`, 'utf8')).toBe('99999'); // someone else's lock is not removed
  });

  it('two processes finding the same stale lock at the same moment: one takes it over, the other waits for it (never both inside)', async () => {
    const dir = makeTempDir('tune-cache-takeover-');
    const file = join(dir, 'autotune.json');
    writeFileSync(`${file}.lock`, '99999');
    const old = (Date.now() - 60_000) / 1000;
    utimesSync(`${file}.lock`, old, old);
    // Each process, having found the lock stale, waits at the gate until both are there; then both take it over at
    // once. Inside the lock each holds a marker file (O_EXCL) for 300 ms: a second holder meanwhile is an overlap.
    const child = (id: number) =>
      runScript(join(dir, `taker-${id}.mts`), `import { withFileLock } from ${JSON.stringify(lockModule)};
import { appendFileSync, closeSync, existsSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
const dir = ${JSON.stringify(dir)};
await withFileLock(${JSON.stringify(file)}, () => {
  let fd;
  try { fd = openSync(dir + '/holder', 'wx'); } catch { appendFileSync(dir + '/log', 'overlap ${id}\\n'); return; }
  const until = Date.now() + 300;
  while (Date.now() < until) {}
  closeSync(fd);
  rmSync(dir + '/holder');
  appendFileSync(dir + '/log', 'held ${id}\\n');
}, { beforeTakeover: async () => { writeFileSync(dir + '/arrived-${id}', ''); while (!existsSync(dir + '/go')) await sleep(2); } });
`);
    let exited = false;
    const exits = Promise.all([child(0), child(1)]).finally(() => (exited = true));
    while (!exited && (!existsSync(join(dir, 'arrived-0')) || !existsSync(join(dir, 'arrived-1')))) await new Promise((r) => setTimeout(r, 5));
    writeFileSync(join(dir, 'go'), '');
    expect(await exits).toEqual([0, 0]);
    expect(readFileSync(join(dir, 'log'), 'utf8').trim().split('\n').sort()).toEqual(['held 0', 'held 1']);
    expect(readdirSync(dir).filter((f) => f.includes('.lock'))).toEqual([]);
  }, 60_000);

  it('the lock is released when the work inside it throws', async () => {
    const dir = makeTempDir('tune-cache-lock-');
    const file = join(dir, 'autotune.json');
    await expect(withFileLock(file, () => { throw new Error('disk full'); })).rejects.toThrow('disk full');
    expect(await withFileLock(file, () => 7)).toBe(7);
    expect(readdirSync(dir)).toEqual([]);
  });
});
