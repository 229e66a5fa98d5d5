// Load-time autotuner for the dense (unquantised f16 / f32) prefill matmul's tile (src/gpu/kernels/dense-matmul-tiles.ts):
// for each distinct dense layer shape that runs as a matmul in prefill (a checkpoint's unquantised linears; the
// lm_head only ever runs for the last token, as a matvec) it times every generated tile and the one-row-per-thread
// kernel (shaders/dense-matmul.wgsl) at M = the engine's prefill batch on a random weight of that row length and
// dtype — at most readBytes of rows (default 8 MiB: every row costs the same, and the matmul reuses each row M
// times) — and picks the fastest whose output matches the CPU twin (denseLinearCpu) on 16 rows spread over every
// row slot of a tile, for all M tokens. Same rules as the GPTQ prefill tile tuner (src/gpu/autotune-matmul.ts): the
// default tile is always measured, cost-aware (a shape reached after the deadline measures nothing; a later load
// goes on), choices cached per adapter / features / shape / M / kernel-source hash.
import { createBuffer, readBuffer, STORAGE, uploadBuffer, type GpuContext } from './context';
import { denseLinearCpu } from './cpu/dense-linear';
import { destroyDense } from './dense-weight';
import { DenseMatmulKernel, denseMatmulSources } from './kernels/dense-linear';
import { DEFAULT_DENSE_MATMUL_TILE, DENSE_MATMUL_TILES, denseTileSupports, ROW_PER_THREAD_DENSE_MATMUL, type DenseMatmulTile } from './kernels/dense-matmul-tiles';
import { createStepBuffer, writeStep } from './step';
import type { GpuTimer } from './timing';
import { randomDense, denseShapeKey, type DenseShape } from './autotune-dense';
import { cacheKey, decideUnlessPastDeadline, measureCandidates, relErr, watchShape, xorshift, type EarlierTime, type MeasureCandidate, type TuneDecision, type TuneWatch } from './autotune-shared';
import type { TuneCache } from './autotune-cache';

/** Rows of the check slice: 16 rows 67 apart (row slots 0..RT-1 of every tile see at least one). */
const CHECK_ROWS = 16;
const CHECK_STRIDE = 67;
const TOLERANCE = 1e-4;

export function denseMatmulShapeKey(s: DenseShape, M: number): string {
  return `${denseShapeKey(s)} M=${M}`;
}

export function denseMatmulTuneKey(ctx: GpuContext, s: DenseShape, M: number): string {
  return cacheKey(ctx, 'dense-matmul', denseMatmulShapeKey(s, M), denseMatmulSources());
}

export interface DenseMatmulTuneOptions {
  cache: TuneCache;
  /** Tokens per prefill forward (the engine's maxBatch). */
  maxM: number;
  /** performance.now() after which nothing more is started. */
  deadline: number;
  /** Candidate tiles (default every generated tile); one-row-per-thread is always a candidate too. */
  tiles?: DenseMatmulTile[];
  minMs?: number;
  rounds?: number;
  /** Bytes of weight rows a timed call reads (default 8 MiB). */
  readBytes?: number;
  /** Layers with fewer weight bytes keep the default tile (default 1 MiB, as the other tuners). */
  minLayerBytes?: number;
  watch?: TuneWatch;
}

/** The default where a weight supports tiles (cols % 4 == 0), else one-row-per-thread. */
function defaultName(s: DenseShape): string {
  return denseTileSupports({ cols: s.K }) ? DEFAULT_DENSE_MATMUL_TILE.name : ROW_PER_THREAD_DENSE_MATMUL;
}

function tuneShape(ctx: GpuContext, s: DenseShape, timer: GpuTimer, o: Required<Omit<DenseMatmulTuneOptions, 'cache' | 'minLayerBytes' | 'watch'>>, earlier: EarlierTime[], signal?: AbortSignal, only?: string) {
  const M = o.maxM;
  const rowBytes = s.K * (s.dtype === 'f16' ? 2 : 4);
  // A re-check (`only`) needs just the rows its check slice spreads over.
  const rows = Math.max(1, Math.min(s.N, only !== undefined ? CHECK_ROWS * CHECK_STRIDE : Math.ceil(o.readBytes / rowBytes)));
  const { w, f32 } = randomDense(ctx, s, rows, rows);
  const xr = xorshift(s.K + 53);
  const x = Float32Array.from({ length: M * s.K }, () => xr() / 2 ** 31 - 1);
  const xBuf = uploadBuffer(ctx, x, 'autotune-dense-mm.x'); // f32 [M, K]
  const yBuf = createBuffer(ctx, M * rows * 4, STORAGE, 'autotune-dense-mm.y'); // f32 [M, rows]
  const step = createStepBuffer(ctx, 'autotune-dense-mm.step');
  writeStep(ctx, step, { pos0: 0, m: M });
  const check = [...new Set(Array.from({ length: Math.min(CHECK_ROWS, rows) }, (_, i) => (i * CHECK_STRIDE) % rows))];
  const checkW = new Float32Array(check.length * s.K);
  check.forEach((r, i) => checkW.set(f32.subarray(r * s.K, (r + 1) * s.K), i * s.K));
  const want = denseLinearCpu(x, checkW, s.K, check.length); // [M, check.length]
  const nan = new Float32Array(M * rows).fill(NaN);
  const def = defaultName(s);
  const tiles: (DenseMatmulTile | null)[] = denseTileSupports({ cols: s.K }) ? [DEFAULT_DENSE_MATMUL_TILE, ...o.tiles.filter((t) => t.name !== def)] : [];
  const list: MeasureCandidate[] = [...tiles, null].filter((tile) => only === undefined || (tile?.name ?? ROW_PER_THREAD_DENSE_MATMUL) === only).map((tile) => ({
    name: tile?.name ?? ROW_PER_THREAD_DENSE_MATMUL,
    tolerance: TOLERANCE,
    bind: () => {
      const k = new DenseMatmulKernel(ctx, { tile });
      const b = k.bind(xBuf, w, yBuf, step, { maxM: M }, tile);
      const encode = (p: GPUComputePassEncoder) => k.encode(p, b, M);
      return {
        once: encode,
        all: encode,
        error: async () => {
          const y = new Float32Array(await readBuffer(ctx, yBuf, M * rows * 4));
          const got = new Float32Array(M * check.length);
          for (let m = 0; m < M; m++) check.forEach((r, i) => { got[m * check.length + i] = y[m * rows + r]; });
          return relErr(got, want);
        },
      };
    },
  }));
  return measureCandidates(ctx, timer, list, {
    deadline: o.deadline, minMs: o.minMs, rounds: o.rounds, copies: 1, earlier, maxReps: 8, costAware: true, signal, checkOnly: only !== undefined,
    msScale: s.N / rows, // per call of the whole shape (the timed weight has `rows` of its N rows)
    beforeCheck: () => ctx.device.queue.writeBuffer(yBuf, 0, nan),
  }).finally(() => {
    destroyDense(w);
    xBuf.destroy(); yBuf.destroy(); step.destroy();
  });
}

/** Tunes the dense prefill matmul for each distinct shape among `shapes`; returns one decision each. */
export async function autotuneDenseMatmul(ctx: GpuContext, shapes: DenseShape[], timer: GpuTimer, opts: DenseMatmulTuneOptions): Promise<TuneDecision[]> {
  const o = { maxM: opts.maxM, deadline: opts.deadline, tiles: opts.tiles ?? DENSE_MATMUL_TILES, minMs: opts.minMs ?? 20, rounds: opts.rounds ?? 2, readBytes: opts.readBytes ?? 8 * 2 ** 20 };
  const out: TuneDecision[] = [];
  const seen = new Set<string>();
  for (const s of shapes) {
    const shape = denseMatmulShapeKey(s, o.maxM);
    if (seen.has(shape)) continue;
    seen.add(shape);
    watchShape(opts.watch, 'dense-matmul', shape);
    if (s.K * s.N * (s.dtype === 'f16' ? 2 : 4) < (opts.minLayerBytes ?? 2 ** 20) || o.maxM < 2) {
      out.push({ kernel: 'dense-matmul', shape, variant: defaultName(s), fromCache: false, complete: true, skipped: o.maxM < 2 ? 'no prefill batch' : 'layer smaller than minLayerBytes' });
      continue;
    }
    out.push(await decideUnlessPastDeadline(opts.cache, denseMatmulTuneKey(ctx, s, o.maxM), { kernel: 'dense-matmul', shape, fallback: defaultName(s) }, o.deadline,
      (earlier, only) => tuneShape(ctx, s, timer, o, earlier, opts.watch?.signal, only)));
  }
  return out;
}

/**
 * The tile a decision names for a dense weight: a generated tile if the weight supports it, null for
 * one-row-per-thread (DenseMatmulKernel.bind's `tile`), undefined (the kernel's default) when nothing was decided.
 */
export function denseTileOf(decision: TuneDecision | undefined, w: { cols: number }): DenseMatmulTile | null | undefined {
  if (!decision) return undefined;
  if (decision.variant === ROW_PER_THREAD_DENSE_MATMUL) return null;
  // Only the tiles this version tunes: a name from a foreign or older cache is not compiled blindly.
  const t = DENSE_MATMUL_TILES.find((x) => x.name === decision.variant);
  return t && denseTileSupports(w) ? t : undefined;
}
