// The dense prefill matmul tile tuner (src/gpu/autotune-dense-matmul.ts) on the real adapter: every candidate
// tile and one-row-per-thread checked against the CPU twin at the engine's batch, timed, the fastest correct one
// chosen, cached and reused; weights the tiles cannot run (cols % 4 != 0) keep one-row-per-thread; and a model
// with dense (unquantised) layers, stories260K, gets the chosen tiles in its prefill (the logits unchanged). No
// timing thresholds: only which candidate is fastest relative to the others, as measured.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { autotuneLinear, type TuneDecision } from '../../src/gpu/autotune';
import { memoryTuneCache } from '../../src/gpu/autotune-cache';
import { denseMatmulTuneKey } from '../../src/gpu/autotune-dense-matmul';
import { denseTuneKey } from '../../src/gpu/autotune-dense';
import { FAMILY_NOTE } from '../../src/gpu/autotune-shared';
import type { GpuContext } from '../../src/gpu/context';
import { ONE_ROW_PER_THREAD } from '../../src/gpu/kernels/dense-linear';
import { DEFAULT_DENSE_MATMUL_TILE, DENSE_MATMUL_TILES, ROW_PER_THREAD_DENSE_MATMUL } from '../../src/gpu/kernels/dense-matmul-tiles';
import { openCheckpoint } from '../../src/model/checkpoint';
import { LlamaGpu } from '../../src/model/llama-gpu';
import { nodeDirFiles } from '../../src/model/node-files';
import { denseLayersOf, tuneLlamaWeights } from '../../src/model/tune-weights';
import { uploadLlamaWeights } from '../../src/model/weights-gpu';
import { relErr, testGpu } from './helpers';
import { convertedStories, SKIP_STORIES } from './model-fixtures';

describe('dense prefill matmul tuner', () => {
  let ctx: GpuContext;
  beforeAll(async () => { ctx = await testGpu(); });
  afterAll(() => ctx?.device.destroy());
  // The default and one other tile (each tile is a pipeline compile; every tile has its CPU-twin test in
  // kernels-dense-matmul-tiles.test.ts).
  const tiles = () => [DEFAULT_DENSE_MATMUL_TILE, DENSE_MATMUL_TILES.find((t) => t.name === 'tm4 rt4 wg64')!];
  const quick = { minMs: 2, rounds: 2, readBytes: 2 ** 20, minLayerBytes: 0, budgetMs: 120_000, maxM: 12, dense: [], denseTiles: tiles() };
  const of = (ds: TuneDecision[]) => ds.filter((d) => d.kernel === 'dense-matmul');

  it('checks and times every tile and one-row-per-thread, picks the fastest, caches the choice and reuses it', async () => {
    const cache = memoryTuneCache();
    const s = { K: 256, N: 600, dtype: 'f16' as const };
    const first = await autotuneLinear(ctx, [], { ...quick, cache, denseMatmul: [s, s] });
    const ds = of(first.report!.decisions);
    expect(ds).toHaveLength(1); // distinct shapes only
    const [d] = ds;
    expect(d).toMatchObject({ shape: 'dense K=256 N=600 f16 M=12', fromCache: false, complete: true });
    expect(d.candidates!.map((c) => c.variant)).toEqual([...tiles().map((t) => t.name), ROW_PER_THREAD_DENSE_MATMUL]);
    for (const c of d.candidates!) {
      if (c.note?.startsWith(FAMILY_NOTE)) continue;
      expect(c.relErr!, c.variant).toBeLessThan(1e-4);
      expect(c.ms!, c.variant).toBeGreaterThan(0);
    }
    const timed = d.candidates!.filter((c) => c.ms !== null && c.note === undefined);
    expect(timed.map((c) => c.variant)).toContain(DEFAULT_DENSE_MATMUL_TILE.name);
    expect(d.variant).toBe([...timed].sort((a, b) => a.ms! - b.ms!)[0].variant);
    expect(await cache.get(denseMatmulTuneKey(ctx, s, 12))).toMatchObject({ variant: d.variant, complete: true });
    expect(denseMatmulTuneKey(ctx, s, 12)).not.toBe(denseMatmulTuneKey(ctx, s, 64));
    expect(denseMatmulTuneKey(ctx, s, 12)).not.toBe(denseTuneKey(ctx, s));

    // What the engine is handed: the chosen tile (null = one-row-per-thread) for this shape, the kernel's default
    // (undefined) for a shape nobody tuned.
    const chosen = first.kernelChoices().denseMatmulTile({ rows: 600, cols: 256, dtype: 'f16' });
    expect(chosen === null ? ROW_PER_THREAD_DENSE_MATMUL : chosen!.name).toBe(d.variant);
    expect(first.denseTileFor({ rows: 601, cols: 256, dtype: 'f16' })).toBeUndefined();

    const second = await autotuneLinear(ctx, [], { ...quick, cache, denseMatmul: [s] });
    expect(of(second.report!.decisions)[0]).toMatchObject({ fromCache: true, variant: d.variant });
    expect(of(second.report!.decisions)[0].candidates).toBeUndefined();
  });

  it('a weight the tiles cannot run (cols % 4 != 0) is timed with one-row-per-thread only; small layers and M = 1 are not tuned', async () => {
    const cache = memoryTuneCache();
    const odd = { K: 254, N: 300, dtype: 'f32' as const };
    const r = await autotuneLinear(ctx, [], { ...quick, cache, denseMatmul: [odd] });
    const [d] = of(r.report!.decisions);
    expect(d.candidates!.map((c) => c.variant)).toEqual([ROW_PER_THREAD_DENSE_MATMUL]);
    expect(d.candidates![0].relErr!).toBeLessThan(1e-4);
    expect(d.variant).toBe(ROW_PER_THREAD_DENSE_MATMUL);
    expect(r.denseTileFor({ rows: 300, cols: 254, dtype: 'f32' })).toBeNull();

    const small = await autotuneLinear(ctx, [], { cache, maxM: 12, dense: [], denseMatmul: [{ K: 64, N: 64, dtype: 'f32' }] });
    expect(of(small.report!.decisions)[0]).toMatchObject({ skipped: 'layer smaller than minLayerBytes', variant: DEFAULT_DENSE_MATMUL_TILE.name });
    const single = await autotuneLinear(ctx, [], { ...quick, cache, maxM: 1, denseMatmul: [{ K: 256, N: 600, dtype: 'f16' }] });
    expect(of(single.report!.decisions)[0]).toMatchObject({ skipped: 'no prefill batch' });
  });

  it.skipIf(SKIP_STORIES)('stories260K (dense f32 layers): every dense layer shape is tuned, the prefill runs the chosen tiles, logits unchanged', async () => {
    const dir = await convertedStories();
    const ck = await openCheckpoint(nodeDirFiles(dir));
    const w = await uploadLlamaWeights(ctx, ck);
    try {
      const shapes = denseLayersOf(w);
      expect(shapes.length).toBeGreaterThan(0);
      const choices = await tuneLlamaWeights(ctx, w, { cache: memoryTuneCache(), maxBatch: 16, minLayerBytes: 0, budgetMs: 120_000, minMs: 2, rounds: 2, readBytes: 2 ** 20, denseVariants: [ONE_ROW_PER_THREAD], denseTiles: tiles() });
      const ds = of(choices.report!.decisions);
      expect(ds.map((d) => d.shape).sort()).toEqual([...new Set(shapes.map((s) => `dense K=${s.K} N=${s.N} ${s.dtype} M=16`))].sort());
      for (const d of ds) expect(d.complete, d.shape).toBe(true);

      const cfg = ck.config;
      const ref = LlamaGpu.create(ctx, cfg, w, { maxSeq: 32, maxBatch: 16 });
      const tuned = LlamaGpu.create(ctx, cfg, w, { maxSeq: 32, maxBatch: 16, ...choices.kernelChoices() });
      try {
        // Each dense layer's prefill kernel is the one chosen for its shape.
        const want = new Set(ds.map((d) => `dense-matmul[${d.variant}]`));
        const matmuls = (l: LlamaGpu) => new Set(l.kernelLabels(16).map((x) => /^dense-matmul\[[^\]]*\]/.exec(x)?.[0]).filter((x) => x !== undefined));
        expect(matmuls(tuned)).toEqual(want);
        expect(matmuls(ref)).toEqual(new Set([`dense-matmul[${DEFAULT_DENSE_MATMUL_TILE.name}]`]));
        const prompt = Array.from({ length: 20 }, (_, i) => (i * 37 + 5) % cfg.vocabSize);
        const [a, b] = [await ref.logitsAll(prompt), await tuned.logitsAll(prompt)];
        // Another summation order (4-wide dots in the tiles) through 5 layers: ~2e-5 relative, not 1e-7.
        for (let p = 0; p < prompt.length; p++) expect(relErr(b[p], a[p]), `position ${p}`).toBeLessThan(1e-4);
        const sampler = { temperature: 0, topK: 0, topP: 1, repetitionPenalty: 1, seed: 1 };
        expect(await tuned.prefill(prompt, sampler)).toBe(await ref.prefill(prompt, sampler));
      } finally {
        ref.destroy(); tuned.destroy();
      }
    } finally {
      w.destroy();
    }
  });
});
