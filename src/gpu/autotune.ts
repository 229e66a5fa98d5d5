// Load-time autotuner for the GPTQ matvec (decode): for each distinct layer shape (K, N, group size) it times
// every variant this adapter can run (src/gpu/kernels/gptq-linear.ts) on a random layer of that shape, in
// enough distinct copies to read past the caches, and picks the fastest whose output matches the CPU twin on a
// slice of rows. Timing: GpuTimer (timestamp queries when the adapter has them, else batched repeats on the
// wall clock), encodes calibrated to ~minMs, `rounds` interleaved rounds (A, B, …, A, B, …), best of each.
// Bounded: after budgetMs the remaining candidates are skipped (the choice is then cached as incomplete, with
// what was measured, and the next load measures only the remaining candidates plus rows-per-thread again, the
// reference by which the earlier load's times are rescaled before they are compared: src/gpu/autotune-shared.ts). Choices are cached (src/gpu/autotune-cache.ts) under a key made of the
// adapter's vendor / architecture / device / description, its features, the shape and a hash of the kernel
// sources, so later loads on the same adapter and kernels tune nothing. autotuneLinear adds, in the same budget,
// the dense matvec variant (src/gpu/autotune-dense.ts), the prefill matmul tile (src/gpu/autotune-matmul.ts) and
// the dense layers' prefill matmul tile (src/gpu/autotune-dense-matmul.ts).
import prepareCode from '../../shaders/gptq-prepare-x.wgsl?raw';
import { createBuffer, readBuffer, STORAGE, uploadBuffer, type GpuContext } from './context';
import { gptqLinearCpu } from './cpu/gptq-linear';
import { gptqSplitKF16Cpu } from './cpu/gptq-splitk-f16';
import { destroyGptq, uploadGptq, type GpuGptq } from './gptq-repack';
import { GptqMatvecKernel, gptqMatvecVariants, matvecSources, ROWS_PER_THREAD, type GptqMatvecVariant } from './kernels/gptq-linear';
import { createStepBuffer, writeStep } from './step';
import { GpuTimer } from './timing';
import { cacheKey, decideWithCache, RECHECK_ROWS, measureCandidates, pickRows, randomLayer, relErr, shapeKey, watchShape, xorshift, type EarlierTime, type GptqShape, type MeasureCandidate, type TuneCandidate, type TuneDecision, type TuneWatch } from './autotune-shared';
import type { TuneCache } from './autotune-cache';
import { autotuneDenseMatvec, denseShapeKey, denseVariantOf, type DenseShape } from './autotune-dense';
import { autotuneGptqMatmul, matmulShapeKey, tileOf } from './autotune-matmul';
import { autotuneDenseMatmul, denseMatmulShapeKey, denseTileOf } from './autotune-dense-matmul';
import type { DenseMatvecVariant } from './kernels/dense-linear';
import type { GptqMatmulTile } from './kernels/gptq-matmul-tiles';
import type { DenseMatmulTile } from './kernels/dense-matmul-tiles';

export type { GptqShape, TuneCandidate, TuneDecision } from './autotune-shared';
export { shapeKey, sourceHash } from './autotune-shared';

export interface TuneReport {
  decisions: TuneDecision[];
  /** Wall time the tuning took (ms), cache lookups included. */
  ms: number;
  clock: 'timestamp' | 'wall';
  cache: TuneCache['kind'];
  /** The prefill batch the matmul tiles were timed at (absent: matmul not tuned). */
  maxM?: number;
}

export interface TuneOptions {
  cache: TuneCache;
  /** Total time for measuring (default 4000 ms); rows-per-thread is always measured. */
  budgetMs?: number;
  variants?: GptqMatvecVariant[];
  minMs?: number;
  rounds?: number;
  /** Bytes of distinct weight copies a timed call reads (default 64 MiB, at most 32 copies). */
  readBytes?: number;
  /**
   * Layers with fewer packed weight bytes (K * N / 2) are not tuned and keep rows-per-thread (default 1 MiB:
   * their time is launch overhead, and test-sized models then cost no tuning at all).
   */
  minLayerBytes?: number;
  /** Cancel (the load's AbortSignal: ABORTED within one timed call) and per-shape progress. */
  watch?: TuneWatch;
}

/** Max relative error (vs the CPU twin, relative to max |y|) a candidate may show on the check slice. */
const TOLERANCE = { f32: 1e-4, f16: 5e-3 };
const CHECK_ROWS = 64;

/** The cache key of one shape's choice on this adapter with these kernels. */
export function tuneKey(ctx: GpuContext, s: GptqShape): string {
  return cacheKey(ctx, 'gptq-matvec', shapeKey(s), matvecSources() + prepareCode);
}

/** Distinct shapes, the most weight bytes per token first (where the time budget pays most). */
export function distinctShapes(layers: GptqShape[]): GptqShape[] {
  const seen = new Map<string, { s: GptqShape; bytes: number }>();
  for (const l of layers) {
    const e = seen.get(shapeKey(l)) ?? { s: { K: l.K, N: l.N, groupSize: l.groupSize, nGroups: l.nGroups }, bytes: 0 };
    e.bytes += l.K * l.N;
    seen.set(shapeKey(l), e);
  }
  return [...seen.values()].sort((a, b) => b.bytes - a.bytes).map((e) => e.s);
}

/**
 * The choices per shape: the GPTQ matvec variant, the prefill matmul tile and the dense matvec variant (shapes
 * nobody tuned get the default kernels: rows-per-thread, the default tile, one-row-per-thread).
 */
export class MatvecChoices {
  constructor(private readonly ctx: GpuContext, readonly report: TuneReport | null) {}

  private decision(kernel: NonNullable<TuneDecision['kernel']>, shape: string): TuneDecision | undefined {
    return this.report?.decisions.find((x) => (x.kernel ?? 'gptq-matvec') === kernel && x.shape === shape);
  }

  variantFor(w: { K: number; N: number; groupSize: number; nGroups: number }): GptqMatvecVariant {
    const d = this.decision('gptq-matvec', shapeKey(w));
    const v = d ? gptqMatvecVariants(this.ctx, { f16Arithmetic: true }).find((x) => x.name === d.variant) : undefined;
    return v && v.supports(this.ctx, w) ? v : ROWS_PER_THREAD;
  }

  /** The prefill matmul tile for a GPTQ layer (tuned at M = report.maxM, the engine's prefill batch). */
  tileFor(w: { K: number; N: number; groupSize: number; nGroups: number }): GptqMatmulTile {
    const M = this.report?.maxM;
    return tileOf(M === undefined ? undefined : this.decision('gptq-matmul', matmulShapeKey(w, M)), w);
  }

  /**
   * The prefill matmul tile for a dense layer (tuned at M = report.maxM): a generated tile, null for
   * one-row-per-thread, undefined (the kernel's default) for a shape nobody tuned.
   */
  denseTileFor(w: { rows: number; cols: number; dtype: 'f32' | 'f16' }): DenseMatmulTile | null | undefined {
    const M = this.report?.maxM;
    return M === undefined ? undefined : denseTileOf(this.decision('dense-matmul', denseMatmulShapeKey({ K: w.cols, N: w.rows, dtype: w.dtype }, M)), w);
  }

  /** The four choices as LlamaGpuOptions take them (matvecVariant, matmulTile, denseVariant, denseMatmulTile). */
  kernelChoices(): {
    matvecVariant: (w: GpuGptq) => GptqMatvecVariant;
    matmulTile: (w: GpuGptq) => GptqMatmulTile;
    denseVariant: (w: { rows: number; cols: number; dtype: 'f32' | 'f16' }) => DenseMatvecVariant;
    denseMatmulTile: (w: { rows: number; cols: number; dtype: 'f32' | 'f16' }) => DenseMatmulTile | null | undefined;
  } {
    return { matvecVariant: (w) => this.variantFor(w), matmulTile: (w) => this.tileFor(w), denseVariant: (w) => this.denseVariantFor(w), denseMatmulTile: (w) => this.denseTileFor(w) };
  }

  /** The dense matvec variant for a dense weight (lm_head, tied embeddings). */
  denseVariantFor(w: { rows: number; cols: number; dtype: 'f32' | 'f16' }): DenseMatvecVariant {
    return denseVariantOf(this.ctx, this.decision('dense-matvec', denseShapeKey({ K: w.cols, N: w.rows, dtype: w.dtype })), w);
  }
}

function tuneShape(ctx: GpuContext, s: GptqShape, variants: GptqMatvecVariant[], timer: GpuTimer, deadline: number, o: Required<Omit<TuneOptions, 'cache' | 'variants' | 'minLayerBytes' | 'watch'>>, earlier: EarlierTime[], signal?: AbortSignal, only?: string): Promise<{ candidates: TuneCandidate[]; complete: boolean }> {
  if (only !== undefined) s = { ...s, N: Math.min(s.N, RECHECK_ROWS) };
  const packed = randomLayer(s);
  const layerBytes = packed.words.byteLength + packed.sz.byteLength;
  const copies = only !== undefined ? 1 : Math.max(1, Math.min(32, Math.ceil(o.readBytes / layerBytes)));
  const ws: GpuGptq[] = Array.from({ length: copies }, (_, i) => uploadGptq(ctx, packed, { label: `autotune.w${i}` }));
  const xr = xorshift(s.K + 17);
  const x = Float32Array.from({ length: s.K }, () => xr() / 2 ** 31 - 1);
  const xBuf = uploadBuffer(ctx, x, 'autotune.x'); // f32 [K]
  const yBuf = createBuffer(ctx, s.N * 4, STORAGE, 'autotune.y'); // f32 [N]
  const step = createStepBuffer(ctx, 'autotune.step');
  writeStep(ctx, step, { pos0: 0, m: 1 });
  const slice = pickRows(packed, Array.from({ length: Math.min(CHECK_ROWS, s.N) }, (_, i) => i));
  const want32 = gptqLinearCpu(x, slice);
  const nanRows = new Float32Array(slice.N).fill(NaN);
  let want16: Float32Array | null = null;
  // rows-per-thread first: it is always measured (the fallback) and sets the pruning bar.
  const list: MeasureCandidate[] = [ROWS_PER_THREAD, ...variants.filter((v) => v !== ROWS_PER_THREAD)].filter((v) => v.supports(ctx, s) && variants.includes(v) && (only === undefined || v.name === only)).map((v) => ({
    name: v.name,
    family: v.kind + (v.f16 ? ' f16' : ''),
    tolerance: v.f16 ? TOLERANCE.f16 : TOLERANCE.f32,
    bind: () => {
      const k = new GptqMatvecKernel(ctx, { variant: v });
      const bounds = ws.map((w) => k.bind(xBuf, w, yBuf, step));
      return {
        once: (p) => k.encode(p, bounds[0], 1),
        all: (p) => { for (const b of bounds) k.encode(p, b, 1); },
        error: async () => relErr(new Float32Array(await readBuffer(ctx, yBuf, slice.N * 4)), v.f16 ? (want16 ??= gptqSplitKF16Cpu(x, slice)) : want32),
      };
    },
  }));
  return measureCandidates(ctx, timer, list, {
    deadline, minMs: o.minMs, rounds: o.rounds, copies, earlier, signal, checkOnly: only !== undefined,
    beforeCheck: () => ctx.device.queue.writeBuffer(yBuf, 0, nanRows), // a candidate that writes nothing fails the check
  }).finally(() => {
    ws.forEach(destroyGptq);
    xBuf.destroy(); yBuf.destroy(); step.destroy();
  });
}

/** The matvec phase: one decision per distinct shape, measuring until `deadline`. */
async function tuneMatvecShapes(ctx: GpuContext, layers: GptqShape[], opts: TuneOptions, timer: GpuTimer, deadline: number): Promise<TuneDecision[]> {
  const o = { budgetMs: opts.budgetMs ?? 4000, minMs: opts.minMs ?? 5, rounds: opts.rounds ?? 2, readBytes: opts.readBytes ?? 64 * 2 ** 20 };
  const variants = opts.variants ?? gptqMatvecVariants(ctx);
  const decisions: TuneDecision[] = [];
  for (const s of distinctShapes(layers)) {
    watchShape(opts.watch, 'gptq-matvec', shapeKey(s));
    if ((s.K * s.N) / 2 < (opts.minLayerBytes ?? 2 ** 20)) {
      decisions.push({ kernel: 'gptq-matvec', shape: shapeKey(s), variant: ROWS_PER_THREAD.name, fromCache: false, complete: true, skipped: 'layer smaller than minLayerBytes' });
      continue;
    }
    decisions.push(await decideWithCache(opts.cache, tuneKey(ctx, s), { kernel: 'gptq-matvec', shape: shapeKey(s), fallback: ROWS_PER_THREAD.name },
      (earlier, only) => tuneShape(ctx, s, variants, timer, deadline, o, earlier, opts.watch?.signal, only)));
  }
  return decisions;
}

/**
 * Tunes the GPTQ matvec for every distinct shape among `layers` (cached choices are reused; shapes cached as
 * incomplete are tuned again). Returns the choices (MatvecChoices.variantFor) and what was done.
 */
export async function autotuneGptqMatvec(ctx: GpuContext, layers: GptqShape[], opts: TuneOptions): Promise<MatvecChoices> {
  const t0 = performance.now();
  const timer = new GpuTimer(ctx);
  try {
    const decisions = await tuneMatvecShapes(ctx, layers, opts, timer, t0 + (opts.budgetMs ?? 4000));
    return new MatvecChoices(ctx, { decisions, ms: performance.now() - t0, clock: timer.clock, cache: opts.cache.kind });
  } finally {
    timer.destroy();
  }
}

/**
 * Shares of the budget: the matvec (every token) until 55 %, the dense lm_head until 70 %, the GPTQ prefill matmul
 * the rest — until 90 % when the model has dense layers that run as a prefill matmul, which get the last 10 %.
 */
const PHASE_END = { matvec: 0.55, dense: 0.7, gptqMatmulBeforeDense: 0.9 };

export interface LinearTuneOptions extends TuneOptions {
  /** The engine's prefill batch (LlamaGpu maxBatch): the matmul tiles are timed at M = maxM (< 2: not tuned). */
  maxM: number;
  /** Dense weights read by the dense matvec (lm_head, tied embeddings, a checkpoint's unquantised linears). */
  dense: DenseShape[];
  /** Dense layers that also run as a prefill matmul (a checkpoint's unquantised linears; not the lm_head). */
  denseMatmul?: DenseShape[];
  denseTiles?: DenseMatmulTile[];
  tiles?: GptqMatmulTile[];
  denseVariants?: DenseMatvecVariant[];
  /** Called as each shape of each phase starts: `done` of `total` shapes (every phase's distinct shapes) before it. */
  onProgress?: (p: TuneProgress) => void;
}

export interface TuneProgress {
  done: number;
  total: number;
  kernel: NonNullable<TuneDecision['kernel']>;
  shape: string;
}

/**
 * Every linear kernel choice of a model within one budget (phases in order of what they pay: the GPTQ matvec,
 * then the dense lm_head matvec, then the prefill matmul tiles (GPTQ, then dense layers); each phase measures its default whatever the
 * clock says, so a phase whose share ran out still has a choice, cached as incomplete and finished on a later
 * load).
 */
export async function autotuneLinear(ctx: GpuContext, layers: GptqShape[], opts: LinearTuneOptions): Promise<MatvecChoices> {
  const t0 = performance.now();
  const budget = opts.budgetMs ?? 4000;
  const denseMatmul = opts.denseMatmul ?? [];
  const total = 2 * distinctShapes(layers).length + new Set(opts.dense.map(denseShapeKey)).size + new Set(denseMatmul.map(denseShapeKey)).size;
  let done = 0;
  const watch: TuneWatch = {
    signal: opts.watch?.signal,
    shape: (kernel, shape) => {
      opts.watch?.shape?.(kernel, shape);
      opts.onProgress?.({ done: done++, total, kernel, shape });
    },
  };
  const timer = new GpuTimer(ctx);
  try {
    const decisions = await tuneMatvecShapes(ctx, layers, { ...opts, watch }, timer, t0 + PHASE_END.matvec * budget);
    const common = { cache: opts.cache, minLayerBytes: opts.minLayerBytes, rounds: opts.rounds, watch };
    decisions.push(...await autotuneDenseMatvec(ctx, opts.dense, timer, { ...common, deadline: t0 + PHASE_END.dense * budget, variants: opts.denseVariants, minMs: opts.minMs }));
    const gptqMatmulEnd = denseMatmul.length > 0 ? PHASE_END.gptqMatmulBeforeDense : 1;
    decisions.push(...await autotuneGptqMatmul(ctx, distinctShapes(layers), timer, { ...common, deadline: t0 + gptqMatmulEnd * budget, maxM: opts.maxM, tiles: opts.tiles }));
    decisions.push(...await autotuneDenseMatmul(ctx, denseMatmul, timer, { ...common, deadline: t0 + budget, maxM: opts.maxM, tiles: opts.denseTiles }));
    return new MatvecChoices(ctx, { decisions, ms: performance.now() - t0, clock: timer.clock, cache: opts.cache.kind, maxM: opts.maxM });
  } finally {
    timer.destroy();
  }
}
