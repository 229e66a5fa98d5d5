// Tuning at model load shows progress per layer shape and stops at Cancel (the load's AbortSignal): autotuneLinear
// reports every phase's distinct shapes in order, an abort between shapes or inside one's measurement ends it with
// ABORTED within one timed call, the shapes finished before stay cached, and a later run finishes the rest; the
// engine's load reports the 'tune' phase and a cancel there leaves no model loaded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { autotuneLinear, type GptqShape, type TuneProgress } from '../../src/gpu/autotune';
import { memoryTuneCache } from '../../src/gpu/autotune-cache';
import { denseTuneKey } from '../../src/gpu/autotune-dense';
import type { GpuContext } from '../../src/gpu/context';
import { ONE_ROW_PER_THREAD } from '../../src/gpu/kernels/dense-linear';
import { ROWS_PER_THREAD } from '../../src/gpu/kernels/gptq-linear';
import { DEFAULT_MATMUL_TILE } from '../../src/gpu/kernels/gptq-matmul-tiles';
import { LlamaEngine } from '../../src/model/engine';
import { nodeDirFiles } from '../../src/model/node-files';
import { AppError } from '../../src/shared/errors';
import type { Progress } from '../../src/shared/progress';
import { testGpu } from './helpers';
import { convertedStories, SKIP_STORIES } from './model-fixtures';

const shape = (K: number, N: number, groupSize: number): GptqShape => ({ K, N, groupSize, nGroups: Math.ceil(K / groupSize) });

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (e) {
    return AppError.from(e).code;
  }
}

describe('tuning progress and cancel', () => {
  let ctx: GpuContext;
  beforeAll(async () => { ctx = await testGpu(); });
  afterAll(() => ctx?.device.destroy());
  const layers = [shape(256, 700, 128), shape(256, 700, 128), shape(512, 256, 128)];
  const dense = [{ K: 256, N: 1000, dtype: 'f16' as const }];
  // Each phase measures only its default (one pipeline each): what is checked here is the bookkeeping.
  const quick = { minMs: 2, rounds: 2, readBytes: 2 ** 20, minLayerBytes: 0, budgetMs: 120_000, variants: [ROWS_PER_THREAD], denseVariants: [ONE_ROW_PER_THREAD], tiles: [DEFAULT_MATMUL_TILE], maxM: 8, dense };

  it('reports each distinct shape of each phase once, in phase order, with the total', async () => {
    const seen: TuneProgress[] = [];
    await autotuneLinear(ctx, layers, { ...quick, cache: memoryTuneCache(), onProgress: (p) => seen.push(p) });
    expect(seen.map((p) => p.done)).toEqual([0, 1, 2, 3, 4]);
    expect(new Set(seen.map((p) => p.total))).toEqual(new Set([5])); // 2 GPTQ shapes x (matvec, matmul) + 1 dense
    expect(seen.map((p) => p.kernel)).toEqual(['gptq-matvec', 'gptq-matvec', 'dense-matvec', 'gptq-matmul', 'gptq-matmul']);
    expect(seen[2].shape).toBe('dense K=256 N=1000 f16');
  });

  it('an abort between shapes or inside one ends tuning with ABORTED; finished shapes stay cached and a later run goes on', async () => {
    for (const abortAt of [2, 3]) {
      const cache = memoryTuneCache();
      const ac = new AbortController();
      const kernels: string[] = [];
      // Aborted as shape `abortAt` starts: its measurement stops at its first candidate (measureCandidates checks
      // the signal), and nothing after it starts.
      const run = autotuneLinear(ctx, layers, { ...quick, cache, watch: { signal: ac.signal }, onProgress: (p) => { kernels.push(p.kernel); if (p.done === abortAt) ac.abort(); } });
      expect(await codeOf(run)).toBe('ABORTED');
      expect(kernels).toHaveLength(abortAt + 1);
      // The dense matvec shape (index 2) is cached only when it finished before the abort.
      expect((await cache.get(denseTuneKey(ctx, dense[0])))?.complete ?? false).toBe(abortAt > 2);
      const again = await autotuneLinear(ctx, layers, { ...quick, cache });
      const ds = again.report!.decisions;
      expect(ds.filter((d) => d.fromCache).length).toBe(abortAt);
      for (const d of ds) expect(d.complete, `${d.kernel} ${d.shape}`).toBe(true);
    }
  });

  it('an already aborted signal tunes nothing', async () => {
    const ac = new AbortController();
    ac.abort();
    const seen: TuneProgress[] = [];
    expect(await codeOf(autotuneLinear(ctx, layers, { ...quick, cache: memoryTuneCache(), watch: { signal: ac.signal }, onProgress: (p) => seen.push(p) }))).toBe('ABORTED');
    expect(seen).toHaveLength(0);
  });

  it.skipIf(SKIP_STORIES)('engine load: the tune phase is reported, and Cancel during it leaves no model; the next load works', async () => {
    const dir = await convertedStories();
    const engine = new LlamaEngine(undefined, ctx);
    const phases: Progress[] = [];
    const ac = new AbortController();
    const load = engine.load(nodeDirFiles(dir), { tuneCache: memoryTuneCache(), signal: ac.signal, onProgress: (p) => { phases.push(p); if (p.phase === 'tune') ac.abort(); } });
    expect(await codeOf(load)).toBe('ABORTED');
    const tune = phases.filter((p) => p.phase === 'tune');
    expect(tune.length).toBeGreaterThan(0);
    expect(tune[0].message).toMatch(/^Tuning kernels for this GPU: /);
    expect(tune[0].total).toBeGreaterThan(0);
    expect(phases.some((p) => p.message === 'Ready')).toBe(false);
    expect(engine.gpuModel).toBeNull();
    const info = await engine.load(nodeDirFiles(dir), { tuneCache: memoryTuneCache() });
    expect(info.tuning).toBe('untuned'); // stories260K's layers are below minLayerBytes: nothing worth timing
    expect(engine.gpuModel).not.toBeNull();
    await engine.unload();
  });
});
