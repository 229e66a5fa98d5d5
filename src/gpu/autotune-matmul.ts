// Load-time autotuner for the GPTQ prefill matmul's tile shape (src/gpu/kernels/gptq-matmul-tiles.ts): for
// each distinct GPTQ layer shape it times every tile the layer supports at M = the engine's prefill batch
// (maxBatch tokens) on a random layer of that shape and picks the fastest whose output matches the CPU twin
// (gptqLinearCpu) on a slice of rows spread over every row slot of a tile, for all M tokens. Same rules as the
// matvec tuner (src/gpu/autotune.ts): the default tile is always measured, a shared deadline, single-call
// pruning, interleaved rounds, choices cached per adapter / features / shape / M / kernel-source hash. Cost-aware
// (a call can take seconds on a CPU driver): a shape reached after the deadline measures nothing (not even the
// default; a later load goes on), a resumed shape's default is only checked and probed with one call (2 calls,
// not 2 + rounds x copies) and the earlier load's times are rescaled by that probe now vs then before they are
// compared with this load's (autotune-shared.ts), and a tile is started only when its expected cost fits before
// the deadline, so the first load overruns the budget by at most one shape's default.
import prepareCode from '../../shaders/gptq-prepare-x.wgsl?raw';
import { createBuffer, readBuffer, STORAGE, uploadBuffer, type GpuContext } from './context';
import { gptqLinearCpu } from './cpu/gptq-linear';
import { destroyGptq, uploadGptq, type GpuGptq } from './gptq-repack';
import { GptqMatmulKernel, matmulSources } from './kernels/gptq-linear';
import { DEFAULT_MATMUL_TILE, GPTQ_MATMUL_TILES, gptqMatmulTileByName, tileSupports, type GptqMatmulTile } from './kernels/gptq-matmul-tiles';
import { createStepBuffer, writeStep } from './step';
import type { GpuTimer } from './timing';
import { cacheKey, decideUnlessPastDeadline, RECHECK_ROWS, measureCandidates, pickRows, randomLayer, relErr, shapeKey, watchShape, xorshift, type EarlierTime, type GptqShape, type MeasureCandidate, type TuneDecision, type TuneWatch } from './autotune-shared';
import type { TuneCache } from './autotune-cache';

/** Rows of the check slice: 16 rows 67 apart (row slots 0..RT-1 of every tile see at least one). */
const CHECK_ROWS = 16;
const CHECK_STRIDE = 67;
const TOLERANCE = 1e-4;

export function matmulShapeKey(s: GptqShape, M: number): string {
  return `${shapeKey(s)} M=${M}`;
}

export function matmulTuneKey(ctx: GpuContext, s: GptqShape, M: number): string {
  return cacheKey(ctx, 'gptq-matmul', matmulShapeKey(s, M), matmulSources() + prepareCode);
}

export interface MatmulTuneOptions {
  cache: TuneCache;
  /** Tokens per prefill forward (the engine's maxBatch). */
  maxM: number;
  /** performance.now() after which only the default tile is measured. */
  deadline: number;
  tiles?: GptqMatmulTile[];
  minMs?: number;
  rounds?: number;
  /** Bytes of distinct weight copies a timed call reads (default 8 MiB: the matmul reuses each weight M times). */
  readBytes?: number;
  /** Layers with fewer packed weight bytes (K * N / 2) keep the default tile (default 1 MiB, as the matvec). */
  minLayerBytes?: number;
  watch?: TuneWatch;
}

function tuneShape(ctx: GpuContext, s: GptqShape, timer: GpuTimer, o: Required<Omit<MatmulTuneOptions, 'cache' | 'minLayerBytes' | 'watch'>>, earlier: EarlierTime[], signal?: AbortSignal, only?: string) {
  if (only !== undefined) s = { ...s, N: Math.min(s.N, RECHECK_ROWS) };
  const M = o.maxM;
  const packed = randomLayer(s);
  const copies = only !== undefined ? 1 : Math.max(1, Math.min(8, Math.ceil(o.readBytes / (packed.words.byteLength + packed.sz.byteLength))));
  const ws: GpuGptq[] = Array.from({ length: copies }, (_, i) => uploadGptq(ctx, packed, { label: `autotune-mm.w${i}` }));
  const xr = xorshift(s.K + 29);
  const x = Float32Array.from({ length: M * s.K }, () => xr() / 2 ** 31 - 1);
  const xBuf = uploadBuffer(ctx, x, 'autotune-mm.x'); // f32 [M, K]
  const yBuf = createBuffer(ctx, M * s.N * 4, STORAGE, 'autotune-mm.y'); // f32 [M, N]
  const step = createStepBuffer(ctx, 'autotune-mm.step');
  writeStep(ctx, step, { pos0: 0, m: M });
  const rows = [...new Set(Array.from({ length: Math.min(CHECK_ROWS, s.N) }, (_, i) => (i * CHECK_STRIDE) % s.N))];
  const want = gptqLinearCpu(x, pickRows(packed, rows)); // [M, rows.length]
  const nan = new Float32Array(M * s.N).fill(NaN);
  const tiles = [DEFAULT_MATMUL_TILE, ...o.tiles.filter((t) => t.name !== DEFAULT_MATMUL_TILE.name)].filter((t) => tileSupports(t, s) && (only === undefined || t.name === only));
  const list: MeasureCandidate[] = tiles.map((tile) => ({
    name: tile.name,
    tolerance: TOLERANCE,
    bind: () => {
      const k = new GptqMatmulKernel(ctx, { tile });
      const bounds = ws.map((w) => k.bind(xBuf, w, yBuf, step, { maxM: M }));
      return {
        once: (p) => k.encode(p, bounds[0], M),
        all: (p) => { for (const b of bounds) k.encode(p, b, M); },
        error: async () => {
          const y = new Float32Array(await readBuffer(ctx, yBuf, M * s.N * 4));
          const got = new Float32Array(M * rows.length);
          for (let m = 0; m < M; m++) rows.forEach((r, i) => { got[m * rows.length + i] = y[m * s.N + r]; });
          return relErr(got, want);
        },
      };
    },
  }));
  return measureCandidates(ctx, timer, list, {
    deadline: o.deadline, minMs: o.minMs, rounds: o.rounds, copies, earlier, maxReps: 8, costAware: true, signal, checkOnly: only !== undefined,
    beforeCheck: () => ctx.device.queue.writeBuffer(yBuf, 0, nan),
  }).finally(() => {
    ws.forEach(destroyGptq);
    xBuf.destroy(); yBuf.destroy(); step.destroy();
  });
}

/** Tunes the prefill matmul tile for each of `shapes` (distinct, most bytes first); returns one decision each. */
export async function autotuneGptqMatmul(ctx: GpuContext, shapes: GptqShape[], timer: GpuTimer, opts: MatmulTuneOptions): Promise<TuneDecision[]> {
  const o = { maxM: opts.maxM, deadline: opts.deadline, tiles: opts.tiles ?? GPTQ_MATMUL_TILES, minMs: opts.minMs ?? 20, rounds: opts.rounds ?? 2, readBytes: opts.readBytes ?? 8 * 2 ** 20 };
  const out: TuneDecision[] = [];
  for (const s of shapes) {
    const shape = matmulShapeKey(s, o.maxM);
    watchShape(opts.watch, 'gptq-matmul', shape);
    // The matvec's threshold: test-sized models cost no tuning (a fused TinyLlama's smallest layer is 2.6 MiB).
    if ((s.K * s.N) / 2 < (opts.minLayerBytes ?? 2 ** 20) || o.maxM < 2) {
      out.push({ kernel: 'gptq-matmul', shape, variant: DEFAULT_MATMUL_TILE.name, fromCache: false, complete: true, skipped: o.maxM < 2 ? 'no prefill batch' : 'layer smaller than minLayerBytes' });
      continue;
    }
    out.push(await decideUnlessPastDeadline(opts.cache, matmulTuneKey(ctx, s, o.maxM), { kernel: 'gptq-matmul', shape, fallback: DEFAULT_MATMUL_TILE.name }, o.deadline,
      (earlier, only) => tuneShape(ctx, s, timer, o, earlier, opts.watch?.signal, only)));
  }
  return out;
}

/** The tile a decision names, if this layer supports it; else the default. */
export function tileOf(decision: TuneDecision | undefined, w: { K: number; groupSize: number; nGroups: number }): GptqMatmulTile {
  const t = decision ? gptqMatmulTileByName(decision.variant) : null;
  return t && tileSupports(t, w) ? t : DEFAULT_MATMUL_TILE;
}
