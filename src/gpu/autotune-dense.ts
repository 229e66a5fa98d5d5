// Load-time autotuner for the dense matvec (lm_head, tied embeddings; src/gpu/kernels/dense-linear.ts): for
// each distinct dense shape (K, N, dtype) it times every variant this adapter can run on random weights of that
// row length and dtype — at most readBytes of rows (default 64 MiB; a 32000-row lm_head is timed on its first
// rows: every row costs the same) — and picks the fastest whose output matches the CPU twin (denseLinearCpu)
// on the first rows. Same rules as the GPTQ matvec tuner (src/gpu/autotune.ts): one-row-per-thread is always
// measured, a shared deadline, single-call pruning, interleaved rounds, choices cached per adapter / features /
// shape / kernel-source hash.
import { f16BitsArrayToF32 } from '../shared/f16';
import { createBuffer, readBuffer, STORAGE, uploadBuffer, type GpuContext } from './context';
import { denseLinearCpu } from './cpu/dense-linear';
import { destroyDense, uploadDense, type DenseWeight } from './dense-weight';
import { DenseMatvecKernel, denseMatvecSources, denseMatvecVariantByName, denseMatvecVariants, ONE_ROW_PER_THREAD, type DenseMatvecVariant } from './kernels/dense-linear';
import { createStepBuffer, writeStep } from './step';
import type { GpuTimer } from './timing';
import { cacheKey, decideWithCache, measureCandidates, relErr, watchShape, xorshift, type EarlierTime, type MeasureCandidate, type TuneDecision, type TuneWatch } from './autotune-shared';
import type { TuneCache } from './autotune-cache';

export interface DenseShape { K: number; N: number; dtype: 'f32' | 'f16' }

const CHECK_ROWS = 64;
const TOLERANCE = 1e-4;

export function denseShapeKey(s: DenseShape): string {
  return `dense K=${s.K} N=${s.N} ${s.dtype}`;
}

export function denseTuneKey(ctx: GpuContext, s: DenseShape): string {
  return cacheKey(ctx, 'dense-matvec', denseShapeKey(s), denseMatvecSources());
}

export interface DenseTuneOptions {
  cache: TuneCache;
  /** performance.now() after which only one-row-per-thread is measured. */
  deadline: number;
  variants?: DenseMatvecVariant[];
  minMs?: number;
  rounds?: number;
  /** Bytes of weight rows a timed call reads (default 64 MiB). */
  readBytes?: number;
  minLayerBytes?: number;
  watch?: TuneWatch;
}

/**
 * A random dense weight of `rows` rows of the shape's row length and dtype, uploaded, with the f32 values of its
 * first `keepRows` rows (the check slice; the prefill matmul tuner keeps them all).
 */
export function randomDense(ctx: GpuContext, s: DenseShape, rows: number, keepRows = CHECK_ROWS): { w: DenseWeight; f32: Float32Array } {
  const r = xorshift(s.K * 131 + s.N);
  if (s.dtype === 'f32') {
    const f32 = Float32Array.from({ length: rows * s.K }, () => r() / 2 ** 32 - 0.5);
    return { w: uploadDense(ctx, f32, rows, s.K, { label: 'autotune-dense.w' }), f32: f32.subarray(0, keepRows * s.K) };
  }
  const bits = new Uint16Array(rows * s.K);
  const u = new Uint32Array(bits.buffer, 0, bits.length >> 1);
  for (let i = 0; i < u.length; i++) u[i] = r() & 0xbbffbbff; // finite f16 values of modest size
  if (bits.length & 1) bits[bits.length - 1] = 0x3c00;
  return { w: uploadDense(ctx, { f16: bits }, rows, s.K, { label: 'autotune-dense.w' }), f32: f16BitsArrayToF32(bits.subarray(0, Math.min(keepRows, rows) * s.K)) };
}

function tuneShape(ctx: GpuContext, s: DenseShape, timer: GpuTimer, o: Required<Omit<DenseTuneOptions, 'cache' | 'minLayerBytes' | 'watch'>>, earlier: EarlierTime[], signal?: AbortSignal, only?: string) {
  const rowBytes = s.K * (s.dtype === 'f16' ? 2 : 4);
  // A re-check (`only`) needs just the check slice's rows.
  const rows = Math.max(1, Math.min(s.N, only !== undefined ? CHECK_ROWS : Math.ceil(o.readBytes / rowBytes)));
  const check = Math.min(CHECK_ROWS, rows);
  const { w, f32 } = randomDense(ctx, s, rows);
  const xr = xorshift(s.K + 41);
  const x = Float32Array.from({ length: s.K }, () => xr() / 2 ** 31 - 1);
  const xBuf = uploadBuffer(ctx, x, 'autotune-dense.x'); // f32 [K]
  const yBuf = createBuffer(ctx, rows * 4, STORAGE, 'autotune-dense.y'); // f32 [rows]
  const step = createStepBuffer(ctx, 'autotune-dense.step');
  writeStep(ctx, step, { pos0: 0, m: 1 });
  const want = denseLinearCpu(x, f32, s.K, check);
  const nan = new Float32Array(check).fill(NaN);
  const variants = [ONE_ROW_PER_THREAD, ...o.variants.filter((v) => v.name !== ONE_ROW_PER_THREAD.name)].filter((v) => v.supports(ctx, { cols: s.K, dtype: s.dtype }) && (only === undefined || v.name === only));
  const list: MeasureCandidate[] = variants.map((v) => ({
    name: v.name,
    family: v.kind,
    tolerance: TOLERANCE,
    bind: () => {
      const k = new DenseMatvecKernel(ctx, { variant: v });
      const b = k.bind(xBuf, w, yBuf, step);
      const encode = (p: GPUComputePassEncoder) => k.encode(p, b, 1);
      return { once: encode, all: encode, error: async () => relErr(new Float32Array(await readBuffer(ctx, yBuf, check * 4)), want) };
    },
  }));
  return measureCandidates(ctx, timer, list, {
    deadline: o.deadline, minMs: o.minMs, rounds: o.rounds, copies: 1, earlier, signal, checkOnly: only !== undefined,
    msScale: s.N / rows, // per call of the whole shape (the timed weight has `rows` of its N rows)
    beforeCheck: () => ctx.device.queue.writeBuffer(yBuf, 0, nan),
  }).finally(() => {
    destroyDense(w);
    xBuf.destroy(); yBuf.destroy(); step.destroy();
  });
}

/** Tunes the dense matvec for each distinct shape among `shapes`; returns one decision each. */
export async function autotuneDenseMatvec(ctx: GpuContext, shapes: DenseShape[], timer: GpuTimer, opts: DenseTuneOptions): Promise<TuneDecision[]> {
  const o = { deadline: opts.deadline, variants: opts.variants ?? denseMatvecVariants(ctx), minMs: opts.minMs ?? 5, rounds: opts.rounds ?? 2, readBytes: opts.readBytes ?? 64 * 2 ** 20 };
  const out: TuneDecision[] = [];
  const seen = new Set<string>();
  for (const s of shapes) {
    const shape = denseShapeKey(s);
    if (seen.has(shape)) continue;
    seen.add(shape);
    watchShape(opts.watch, 'dense-matvec', shape);
    if (s.K * s.N * (s.dtype === 'f16' ? 2 : 4) < (opts.minLayerBytes ?? 2 ** 20)) {
      out.push({ kernel: 'dense-matvec', shape, variant: ONE_ROW_PER_THREAD.name, fromCache: false, complete: true, skipped: 'layer smaller than minLayerBytes' });
      continue;
    }
    out.push(await decideWithCache(opts.cache, denseTuneKey(ctx, s), { kernel: 'dense-matvec', shape, fallback: ONE_ROW_PER_THREAD.name },
      (earlier, only) => tuneShape(ctx, s, timer, o, earlier, opts.watch?.signal, only)));
  }
  return out;
}

/** The variant a decision names, if this adapter and weight support it; else one-row-per-thread. */
export function denseVariantOf(ctx: GpuContext, decision: TuneDecision | undefined, w: { cols: number; dtype: 'f32' | 'f16' }): DenseMatvecVariant {
  const v = decision ? denseMatvecVariantByName(ctx, decision.variant) : null;
  return v && v.supports(ctx, w) ? v : ONE_ROW_PER_THREAD;
}
