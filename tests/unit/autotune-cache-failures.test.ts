// The tuner's cache never makes a load fail or pick a kernel blindly: a cache that cannot be written (a read-only
// ~/.cache, a folder where the file should be, a full IndexedDB) still gives this load its measured choice; a
// damaged or foreign cache (an array, entries of another shape, a tile this version does not list) reads as no
// choice and is tuned again.
import { mkdirSync, readdirSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isTuneEntry, memoryTuneCache, readTuneEntry, writeTuneEntry, type TuneCache } from '../../src/gpu/autotune-cache';
import { fileTuneCache } from '../../src/gpu/autotune-cache-node';
import { decideWithCache } from '../../src/gpu/autotune-shared';
import { denseTileOf } from '../../src/gpu/autotune-dense-matmul';
import { DENSE_MATMUL_TILES } from '../../src/gpu/kernels/dense-matmul-tiles';
import { makeTempDir } from '../temp-dir';

const measured = async () => ({ complete: true, candidates: [{ variant: 'rows-per-thread', ms: 2, relErr: 0 }, { variant: 'rows-per-thread vec4 r2', ms: 1, relErr: 0 }] });
const decision = { kernel: 'gptq-matvec' as const, shape: 'K=64 N=64', fallback: 'rows-per-thread' };

afterEach(() => vi.restoreAllMocks());

describe('a tuning cache that fails', () => {
  it('one that cannot be written: the load gets its measured choice, the failure is said once, no temp file is left', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const dir = makeTempDir('tune-cache-');
    const asFolder = join(dir, 'autotune.json');
    mkdirSync(asFolder); // the cache path is a folder: the rename fails (EISDIR)
    const cache = fileTuneCache(asFolder);
    for (const k of ['a', 'b']) {
      const d = await decideWithCache(cache, k, decision, measured);
      expect(d).toMatchObject({ variant: 'rows-per-thread vec4 r2', fromCache: false, complete: true });
    }
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toMatch(/could not be stored \(file: .*PDFCHAT_TUNE_CACHE/);
    expect(readdirSync(dir)).toEqual(['autotune.json']); // no autotune.json.<pid>.tmp beside it
  });

  it('one whose reads and writes reject (IndexedDB refusing): tuned, never thrown', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const broken: TuneCache = { kind: 'indexeddb', get: () => Promise.reject(new Error('QuotaExceededError')), set: () => Promise.reject(new Error('QuotaExceededError')) };
    expect(await decideWithCache(broken, 'k', decision, measured)).toMatchObject({ variant: 'rows-per-thread vec4 r2', fromCache: false });
  });
});

describe('a damaged or foreign tuning cache', () => {
  it('entries of another shape read as none (tuned again) instead of failing the load', async () => {
    const cache = memoryTuneCache();
    const bad = [{ variant: 'x', complete: true, ms: 1, measured: {} }, { variant: 42, complete: true, ms: 1 }, { complete: true }, [], null, 'x'];
    for (const [i, v] of bad.entries()) {
      await cache.set(`k${i}`, v as never);
      expect(isTuneEntry(v), JSON.stringify(v)).toBe(false);
      expect(await readTuneEntry(cache, `k${i}`)).toBeUndefined();
      expect(await decideWithCache(cache, `k${i}`, decision, measured)).toMatchObject({ variant: 'rows-per-thread vec4 r2', fromCache: false });
    }
    const good = { variant: 'rows-per-thread', complete: true, ms: 1, at: 'then', measured: [{ variant: 'rows-per-thread', ms: 1, probeMs: 1 }] };
    expect(isTuneEntry(good)).toBe(true);
  });

  it('a cache file holding an array is replaced by a proper one on the first write', async () => {
    const file = join(makeTempDir('tune-cache-'), 'autotune.json');
    writeFileSync(file, '[]');
    const cache = fileTuneCache(file);
    await writeTuneEntry(cache, 'k', { variant: 'rows-per-thread', complete: true, ms: 1, at: 'now' });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ k: { variant: 'rows-per-thread' } });
    expect(await readTuneEntry(cache, 'k')).toMatchObject({ variant: 'rows-per-thread' });
  });

  it('a dense matmul tile this version does not list is not used (the default runs), a listed one is', () => {
    const w = { cols: 64 };
    for (const name of ['tm64 rt64 wg1024 tf', 'tm0 rt0 wg0']) expect(denseTileOf({ kernel: 'dense-matmul', shape: 's', variant: name, fromCache: true, complete: true }, w), name).toBeUndefined();
    const listed = DENSE_MATMUL_TILES[0];
    expect(denseTileOf({ kernel: 'dense-matmul', shape: 's', variant: listed.name, fromCache: true, complete: true }, w)).toEqual(listed);
  });
});
