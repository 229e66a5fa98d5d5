// autotuneLinear on the real adapter: besides the GPTQ matvec, the dense matvec variant (lm_head) and the
// prefill matmul tile (at the engine's batch) are checked against their CPU twins, timed, the fastest correct
// one chosen, cached in a file and reused; a spent budget still measures each phase's default. No timing
// thresholds: only which candidate is fastest relative to the others, as measured.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { autotuneLinear, type GptqShape, type TuneDecision } from '../../src/gpu/autotune';
import { memoryTuneCache } from '../../src/gpu/autotune-cache';
import { FAMILY_NOTE } from '../../src/gpu/autotune-shared';
import { fileTuneCache } from '../../src/gpu/autotune-cache-node';
import { denseTuneKey } from '../../src/gpu/autotune-dense';
import { matmulTuneKey } from '../../src/gpu/autotune-matmul';
import type { GpuContext } from '../../src/gpu/context';
import { denseSplitKVariant, ONE_ROW_PER_THREAD } from '../../src/gpu/kernels/dense-linear';
import { ROWS_PER_THREAD } from '../../src/gpu/kernels/gptq-linear';
import { DEFAULT_MATMUL_TILE, GPTQ_MATMUL_TILES } from '../../src/gpu/kernels/gptq-matmul-tiles';
import { makeTempDir } from '../temp-dir';
import { testGpu } from './helpers';

const shape = (K: number, N: number, groupSize: number): GptqShape => ({ K, N, groupSize, nGroups: Math.ceil(K / groupSize) });

describe('autotuneLinear: dense matvec and prefill matmul tiles', () => {
  let ctx: GpuContext;
  beforeAll(async () => { ctx = await testGpu(); });
  afterAll(() => ctx?.device.destroy());
  // The default, another u32 tile and a vec4 tile: the one with the fewest accumulators (tm4 rt4 wg128 v4), the
  // quickest to compile on a cold lavapipe shader cache (the tuner is under test here; every tile has its CPU-twin
  // test in kernels-gptq-matmul-tiles.test.ts).
  const smallestVec4 = () => GPTQ_MATMUL_TILES.filter((t) => t.vec4).sort((a, b) => a.tokens * a.rows - b.tokens * b.rows)[0];
  const tiles = () => [DEFAULT_MATMUL_TILE, GPTQ_MATMUL_TILES.find((t) => t.name === 'tm4 rt8 wg32')!, smallestVec4()];
  const denseVariants = () => [ONE_ROW_PER_THREAD, denseSplitKVariant(4, 'tree')];
  const dense = [{ K: 256, N: 1000, dtype: 'f16' as const }];
  const layers = [shape(256, 700, 128)];
  const quick = { minMs: 2, rounds: 2, readBytes: 2 ** 20, minLayerBytes: 0, budgetMs: 120_000, variants: [ROWS_PER_THREAD], maxM: 12, dense };
  const of = (ds: TuneDecision[], kernel: TuneDecision['kernel']) => ds.filter((d) => d.kernel === kernel);

  it('checks and times every tile and dense variant, picks the fastest, caches the choices and reuses them', async () => {
    const path = join(makeTempDir('autotune-linear-'), 'autotune.json');
    const first = await autotuneLinear(ctx, layers, { ...quick, cache: fileTuneCache(path), tiles: tiles(), denseVariants: denseVariants() });
    const r = first.report!;
    expect(r.maxM).toBe(12);
    const [mm] = of(r.decisions, 'gptq-matmul');
    const [dv] = of(r.decisions, 'dense-matvec');
    expect(mm.shape).toBe('K=256 N=700 g=128 M=12');
    expect(dv.shape).toBe('dense K=256 N=1000 f16');
    expect(of(r.decisions, 'gptq-matvec')).toHaveLength(1);
    for (const [d, names] of [[mm, tiles().map((t) => t.name)], [dv, denseVariants().map((v) => v.name)]] as const) {
      expect(d.fromCache).toBe(false);
      expect(d.complete).toBe(true);
      expect(d.candidates!.map((c) => c.variant)).toEqual(names);
      for (const c of d.candidates!) {
        // A sibling of a variant over 4x the best on one call is not measured at all (variant families).
        if (c.note?.startsWith(FAMILY_NOTE)) { expect(c.ms, c.variant).toBeNull(); continue; }
        expect(c.relErr!, c.variant).toBeLessThan(1e-4);
        expect(c.ms!, c.variant).toBeGreaterThan(0);
      }
      const timed = d.candidates!.filter((c) => c.note === undefined);
      expect(timed.map((c) => c.variant)).toContain(names[0]);
      expect(d.variant).toBe([...timed].sort((a, b) => a.ms! - b.ms!)[0].variant);
    }
    // The engine gets what was chosen (LlamaGpuOptions via kernelChoices).
    const k = first.kernelChoices();
    expect(first.tileFor(layers[0]).name).toBe(mm.variant);
    expect(k.denseVariant({ rows: 1000, cols: 256, dtype: 'f16' }).name).toBe(dv.variant);
    expect(first.tileFor(shape(256, 701, 128)).name).toBe(DEFAULT_MATMUL_TILE.name); // a shape nobody tuned
    const onDisk = JSON.parse(readFileSync(path, 'utf8'));
    expect(Object.keys(onDisk)).toContain(matmulTuneKey(ctx, layers[0], 12));
    expect(Object.keys(onDisk)).toContain(denseTuneKey(ctx, dense[0]));

    const second = await autotuneLinear(ctx, layers, { ...quick, cache: fileTuneCache(path), tiles: tiles(), denseVariants: denseVariants() });
    for (const d of second.report!.decisions) {
      expect(d.fromCache, d.shape).toBe(true);
      expect(d.candidates).toBeUndefined();
      expect(d.variant).toBe(r.decisions.find((x) => x.kernel === d.kernel && x.shape === d.shape)!.variant);
    }
  });

  it('with the budget spent: the dense phase measures only its default; the matmul phase nothing (seconds per call on CPU drivers); a later load finishes both', async () => {
    const cache = memoryTuneCache();
    const a = await autotuneLinear(ctx, layers, { ...quick, budgetMs: 0, cache, tiles: tiles(), denseVariants: denseVariants() });
    const [dv] = of(a.report!.decisions, 'dense-matvec');
    expect(dv.complete).toBe(false);
    expect(dv.candidates!.filter((c) => c.ms !== null).map((c) => c.variant)).toEqual([ONE_ROW_PER_THREAD.name]);
    expect(dv.candidates!.filter((c) => c.note === 'time budget spent')).toHaveLength(1);
    const [mm] = of(a.report!.decisions, 'gptq-matmul');
    expect(mm).toMatchObject({ complete: false, skipped: 'time budget spent', variant: DEFAULT_MATMUL_TILE.name });
    expect(a.tileFor(layers[0]).name).toBe(DEFAULT_MATMUL_TILE.name);
    const b = await autotuneLinear(ctx, layers, { ...quick, cache, tiles: tiles(), denseVariants: denseVariants() });
    for (const kernel of ['gptq-matmul', 'dense-matvec'] as const) expect(of(b.report!.decisions, kernel)[0].complete, kernel).toBe(true);
    expect(of(b.report!.decisions, 'gptq-matmul')[0].candidates!.every((c) => c.ms !== null)).toBe(true);
  });

  it('the matmul phase resumes with one call of the default tile and rescales the earlier load\'s times by it (skewed 1000x either way)', async () => {
    const [def, earlierOne, fresh] = tiles();
    for (const [X, factor] of [[1e-6, 2], [1e6, 0.5]]) {
      const cache = memoryTuneCache();
      // An earlier, differently loaded run: the default at X ms (its single call too), another tile at factor x X.
      await cache.set(matmulTuneKey(ctx, layers[0], 12), { variant: def.name, complete: false, ms: X, at: 'earlier', measured: [{ variant: def.name, ms: X, probeMs: X }, { variant: earlierOne.name, ms: X * factor }] });
      const r = await autotuneLinear(ctx, layers, { ...quick, cache, tiles: tiles(), denseVariants: denseVariants() });
      const [mm] = of(r.report!.decisions, 'gptq-matmul');
      const [d, e, f] = mm.candidates!;
      // The default: checked and probed once (not timed in full again); its earlier time in this load's terms.
      expect(d).toMatchObject({ variant: def.name, note: 'earlier time rescaled by one call this load' });
      expect(d.relErr).not.toBeNull();
      expect(d.ms! / d.probeMs!).toBeCloseTo(1, 9); // X x (probe now / X)
      expect(e.note).toMatch(/earlier load/);
      expect(e.ms! / d.ms!).toBeCloseTo(factor, 9);
      expect(f).toMatchObject({ variant: fresh.name });
      expect(f.relErr).not.toBeNull();
      expect(mm.complete).toBe(true);
      expect(mm.variant).not.toBe(factor > 1 ? earlierOne.name : def.name);
      // Written back in this load's terms, with the default's probe for the next resume.
      const saved = (await cache.get(matmulTuneKey(ctx, layers[0], 12)))!;
      expect(saved.measured!.find((m) => m.variant === def.name)).toMatchObject({ ms: d.ms, probeMs: d.probeMs });
    }
  });

  it('the dense phase rescales an earlier load\'s times by one-row-per-thread now vs then (skewed 1000x either way)', async () => {
    const variants = [ONE_ROW_PER_THREAD, denseSplitKVariant(4, 'tree'), denseSplitKVariant(2, 'tree')];
    for (const [X, factor] of [[1e-6, 2], [1e6, 0.5]]) {
      const cache = memoryTuneCache();
      await cache.set(denseTuneKey(ctx, dense[0]), { variant: ONE_ROW_PER_THREAD.name, complete: false, ms: X, at: 'earlier', measured: [{ variant: ONE_ROW_PER_THREAD.name, ms: X }, { variant: variants[1].name, ms: X * factor }] });
      const r = await autotuneLinear(ctx, layers, { ...quick, maxM: 1, cache, denseVariants: variants });
      const [dv] = of(r.report!.decisions, 'dense-matvec');
      const [d, e, f] = dv.candidates!;
      expect(d.variant).toBe(ONE_ROW_PER_THREAD.name);
      expect(d.note).toBeUndefined(); // timed in full on this load
      expect(e.note).toMatch(/earlier load/);
      expect(e.ms! / d.ms!).toBeCloseTo(factor, 9);
      expect(f.relErr).not.toBeNull();
      expect(dv.variant).not.toBe(factor > 1 ? variants[1].name : ONE_ROW_PER_THREAD.name);
    }
  });

  it('cache keys differ by kernel and by the prefill batch; small layers and M = 1 are not tuned', async () => {
    expect(matmulTuneKey(ctx, layers[0], 12)).not.toBe(matmulTuneKey(ctx, layers[0], 64));
    expect(JSON.parse(matmulTuneKey(ctx, layers[0], 12)).kernel).toBe('gptq-matmul');
    expect(JSON.parse(denseTuneKey(ctx, dense[0])).kernel).toBe('dense-matvec');
    const c = await autotuneLinear(ctx, [shape(256, 64, 32)], { cache: memoryTuneCache(), maxM: 1, dense: [{ K: 64, N: 64, dtype: 'f32' }] });
    for (const d of c.report!.decisions) expect(d.skipped, `${d.kernel} ${d.shape}`).toBeTruthy();
    expect(c.tileFor(shape(256, 64, 32)).name).toBe(DEFAULT_MATMUL_TILE.name);
    expect(c.denseVariantFor({ rows: 64, cols: 64, dtype: 'f32' }).name).toBe(ONE_ROW_PER_THREAD.name);
  });
});
