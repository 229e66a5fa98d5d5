// The GPTQ matvec autotuner on the real adapter: every candidate is checked against the CPU twin and timed,
// the fastest correct one is chosen and cached (a JSON file here, as for the CLI), and a later run on the same
// adapter and kernels takes the cached choice without measuring. No timing thresholds: only which candidate
// is fastest relative to the others, as measured.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { autotuneGptqMatvec, distinctShapes, shapeKey, tuneKey, type GptqShape } from '../../src/gpu/autotune';
import { memoryTuneCache } from '../../src/gpu/autotune-cache';
import { FAMILY_NOTE, WRONG_NOTE } from '../../src/gpu/autotune-shared';
import { fileTuneCache } from '../../src/gpu/autotune-cache-node';
import type { GpuContext } from '../../src/gpu/context';
import { ROWS_PER_THREAD, splitKVariant } from '../../src/gpu/kernels/gptq-linear';
import { makeTempDir } from '../temp-dir';
import { testGpu } from './helpers';

const shape = (K: number, N: number, groupSize: number): GptqShape => ({ K, N, groupSize, nGroups: Math.ceil(K / groupSize) });

describe('GPTQ matvec autotuner', () => {
  let ctx: GpuContext;
  beforeAll(async () => { ctx = await testGpu(); });
  afterAll(() => ctx?.device.destroy());
  const variants = () => [ROWS_PER_THREAD, splitKVariant(4, ctx.subgroups ? 'subgroup' : 'tree'), splitKVariant(2, 'tree')];
  const quick = { minMs: 2, rounds: 2, readBytes: 4 * 2 ** 20, minLayerBytes: 0, budgetMs: 60_000 };

  it('checks and times every candidate, picks the fastest, caches it in a file, and reuses it', async () => {
    const path = join(makeTempDir('autotune-'), 'autotune.json');
    const layers = [shape(512, 256, 128), shape(512, 256, 128), shape(256, 512, 32)];
    const first = await autotuneGptqMatvec(ctx, layers, { ...quick, cache: fileTuneCache(path), variants: variants() });
    const r = first.report!;
    expect(r.decisions.map((d) => d.shape).sort()).toEqual(['K=256 N=512 g=32', 'K=512 N=256 g=128']);
    for (const d of r.decisions) {
      expect(d.fromCache).toBe(false);
      expect(d.complete).toBe(true);
      expect(d.candidates!.map((c) => c.variant)).toEqual(variants().map((v) => v.name));
      for (const c of d.candidates!) {
        // A sibling of a variant over 4x the best on one call is not measured at all (variant families).
        if (c.note?.startsWith(FAMILY_NOTE)) { expect(c.ms, c.variant).toBeNull(); continue; }
        expect(c.relErr!, c.variant).toBeLessThan(1e-4);
        expect(c.ms!, c.variant).toBeGreaterThan(0);
      }
      // Candidates far slower on a single call are recorded but not timed further (note); the rest are compared.
      const timed = d.candidates!.filter((c) => c.note === undefined);
      expect(timed.map((c) => c.variant)).toContain('rows-per-thread');
      const fastest = [...timed].sort((a, b) => a.ms! - b.ms!)[0];
      expect(d.variant).toBe(fastest.variant);
    }
    expect(first.variantFor(layers[0]).name).toBe(r.decisions.find((d) => d.shape === shapeKey(layers[0]))!.variant);
    const onDisk = JSON.parse(readFileSync(path, 'utf8'));
    expect(Object.keys(onDisk)).toHaveLength(2);
    expect(Object.keys(onDisk)).toContain(tuneKey(ctx, layers[0]));

    const second = await autotuneGptqMatvec(ctx, layers, { ...quick, cache: fileTuneCache(path), variants: variants() });
    for (const d of second.report!.decisions) {
      expect(d.fromCache).toBe(true);
      expect(d.candidates).toBeUndefined();
      expect(d.variant).toBe(r.decisions.find((x) => x.shape === d.shape)!.variant);
    }
  });

  it('re-checks a cached choice on every load: one whose output is now wrong (a driver update the key cannot see) is set aside and the shape tuned again', async () => {
    // Split-K applies one scale per quad of 32 positions; at g=16 a quad straddles two groups, so a split-K variant
    // that claims this layer computes wrong sums, as a kernel broken by a driver update would.
    const s = shape(512, 256, 16);
    const broken = { ...splitKVariant(2, 'tree'), supports: () => true };
    const cache = memoryTuneCache();
    await cache.set(tuneKey(ctx, s), { variant: broken.name, complete: true, ms: 0.001, at: '2026-01-01T00:00:00.000Z', measured: [{ variant: broken.name, ms: 0.001 }] });
    const first = (await autotuneGptqMatvec(ctx, [s], { ...quick, cache, variants: [ROWS_PER_THREAD, broken] })).report!.decisions[0];
    expect(first.fromCache).toBe(false);
    expect(first.staleChoice?.variant).toBe(broken.name);
    expect(first.staleChoice!.relErr!).toBeGreaterThan(1e-4);
    expect(first.variant).toBe(ROWS_PER_THREAD.name);
    // Tuned from scratch (the cached times are not trusted either): the broken one fails its check again.
    expect(first.candidates!.find((c) => c.variant === broken.name)).toMatchObject({ ms: null, note: WRONG_NOTE });
    expect((await cache.get(tuneKey(ctx, s)))?.variant).toBe(ROWS_PER_THREAD.name);
    // The new choice passes its re-check on the next load and is taken from the cache.
    const second = (await autotuneGptqMatvec(ctx, [s], { ...quick, cache, variants: [ROWS_PER_THREAD, broken] })).report!.decisions[0];
    expect(second).toMatchObject({ fromCache: true, variant: ROWS_PER_THREAD.name });
    expect(second.staleChoice).toBeUndefined();
    // A cached name that is no candidate here any more is set aside the same way.
    await cache.set(tuneKey(ctx, s), { variant: 'split-k r64 retired', complete: true, ms: 0.001, at: '2026-01-01T00:00:00.000Z' });
    const third = (await autotuneGptqMatvec(ctx, [s], { ...quick, cache, variants: [ROWS_PER_THREAD] })).report!.decisions[0];
    expect(third).toMatchObject({ fromCache: false, variant: ROWS_PER_THREAD.name, staleChoice: { variant: 'split-k r64 retired', relErr: null } });
  });

  it('the cache key names the adapter, its features, the shape and the kernel sources', () => {
    const key = JSON.parse(tuneKey(ctx, shape(512, 256, 128)));
    expect(key.description).toBe(ctx.adapterInfo.description);
    expect(key.features).toEqual({ f16: ctx.f16, subgroups: ctx.subgroups });
    expect(key.shape).toBe('K=512 N=256 g=128');
    expect(key.sources).toMatch(/^[0-9a-f]{16}$/);
    const other = { ...ctx, adapterInfo: { ...ctx.adapterInfo, device: 'another device' } };
    expect(tuneKey(other, shape(512, 256, 128))).not.toBe(tuneKey(ctx, shape(512, 256, 128)));
  });

  it('stops measuring when the budget is spent (rows-per-thread only, marked incomplete, the rest measured next time)', async () => {
    const cache = memoryTuneCache();
    const layers = [shape(512, 256, 64)];
    const a = await autotuneGptqMatvec(ctx, layers, { ...quick, budgetMs: 0, cache, variants: variants() });
    const d = a.report!.decisions[0];
    expect(d.complete).toBe(false);
    expect(d.variant).toBe('rows-per-thread');
    expect(d.candidates!.filter((c) => c.ms !== null).map((c) => c.variant)).toEqual(['rows-per-thread']);
    const b = await autotuneGptqMatvec(ctx, layers, { ...quick, cache, variants: variants() });
    const db = b.report!.decisions[0];
    expect(db.fromCache).toBe(false);
    expect(db.complete).toBe(true);
    // Only rows-per-thread was measured before: the rest are measured now (or skipped with their family).
    expect(db.candidates!.every((c) => (c.ms !== null || c.note?.startsWith(FAMILY_NOTE)) && c.note !== 'measured on an earlier load')).toBe(true);
    const c = await autotuneGptqMatvec(ctx, layers, { ...quick, cache, variants: variants() });
    expect(c.report!.decisions[0].fromCache).toBe(true);
  });

  it('resuming rescales the earlier load\'s times by rows-per-thread now vs then: a 1000x faster or slower earlier load does not decide', async () => {
    // An incomplete entry from an earlier load: rows-per-thread at X ms and split-k r4 at 2X (that load found it
    // slower) or X/2 (faster), X absurdly small or large (a load under other conditions); split-k r2 is new.
    const s = shape(512, 256, 64);
    const [ref, earlierOne, fresh] = variants();
    for (const [X, factor] of [[1e-6, 2], [1e6, 0.5]]) {
      const cache = memoryTuneCache();
      await cache.set(tuneKey(ctx, s), { variant: ref.name, complete: false, ms: X, at: 'earlier', measured: [{ variant: ref.name, ms: X }, { variant: earlierOne.name, ms: X * factor }] });
      const d = (await autotuneGptqMatvec(ctx, [s], { ...quick, cache, variants: variants() })).report!.decisions[0];
      const [r, e, f] = d.candidates!;
      expect(r.variant).toBe(ref.name);
      expect(r.note).toBeUndefined(); // timed in full on this load
      expect(e.note).toMatch(/earlier load/);
      expect(f).toMatchObject({ variant: fresh.name });
      expect(f.relErr).not.toBeNull(); // measured on this load
      // In this load's terms: the earlier ratio to the reference is kept, whatever X was.
      expect(e.ms! / r.ms!).toBeCloseTo(factor, 9);
      expect(d.complete).toBe(true);
      // The earlier load showed split-k r4 slower than rows-per-thread: it is not picked (and vice versa).
      expect(d.variant).not.toBe(factor > 1 ? earlierOne.name : ref.name);
      const saved = (await cache.get(tuneKey(ctx, s)))!;
      expect(saved.measured!.find((m) => m.variant === earlierOne.name)!.ms).toBeCloseTo(e.ms!, 9);
    }
  });

  it('an earlier entry without the reference\'s time is measured again, not compared raw', async () => {
    const s = shape(512, 256, 64);
    const cache = memoryTuneCache();
    const [, earlierOne] = variants();
    await cache.set(tuneKey(ctx, s), { variant: earlierOne.name, complete: false, ms: 1e-9, at: 'earlier', measured: [{ variant: earlierOne.name, ms: 1e-9 }] });
    const d = (await autotuneGptqMatvec(ctx, [s], { ...quick, cache, variants: variants() })).report!.decisions[0];
    // Measured again now (or skipped with its family: a sibling over 4x slower on one call), never compared raw.
    expect(d.candidates!.every((c) => (c.relErr !== null || c.note?.startsWith(FAMILY_NOTE)) && c.note?.includes('earlier') !== true)).toBe(true);
    expect(d.candidates!.find((c) => c.variant === earlierOne.name)!.ms).toBeGreaterThan(1e-9);
  });

  it('does not tune layers under minLayerBytes, and shapes nobody tuned get rows-per-thread', async () => {
    const c = await autotuneGptqMatvec(ctx, [shape(256, 64, 32)], { cache: memoryTuneCache() });
    expect(c.report!.decisions[0].skipped).toBeTruthy();
    expect(c.variantFor(shape(256, 64, 32)).name).toBe('rows-per-thread');
    expect(c.variantFor(shape(1024, 1024, 128)).name).toBe('rows-per-thread');
  });

  it('orders shapes by weight bytes per token (largest first)', () => {
    expect(distinctShapes([shape(256, 256, 32), shape(512, 512, 32), shape(256, 256, 32)]).map(shapeKey)).toEqual(['K=512 N=512 g=32', 'K=256 N=256 g=32']);
  });
});
