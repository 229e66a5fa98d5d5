// Load-time autotuner for the GPTQ matvec (decode): for each distinct layer shape (K, N, group size) it times
// every variant this adapter can run (src/gpu/kernels/gptq-linear.ts) on a random layer of that shape, in
// enough distinct copies to read past the caches, and picks the fastest whose output matches the CPU twin on a
// slice of rows. Timing: GpuTimer (timestamp queries when the adapter has them, else batched repeats on the
// wall clock), encodes calibrated to ~minMs, `rounds` interleaved rounds (A, B, …, A, B, …), best of each.
// Bounded: after budgetMs the remaining candidates are skipped (the choice is then cached as incomplete, with
// what was measured, and the next load measures only the remaining candidates plus rows-per-thread again). Choices are cached (src/gpu/autotune-cache.ts) under a key made of the
// adapter's vendor / architecture / device / description, its features, the shape and a hash of the kernel
// sources, so later loads on the same adapter and kernels tune nothing.
import prepareCode from '../../shaders/gptq-prepare-x.wgsl?raw';
import { AppError } from '../shared/errors';
import { f32ToF16Bits } from '../shared/f16';
import { createBuffer, readBuffer, STORAGE, uploadBuffer, type GpuContext } from './context';
import { gptqLinearCpu } from './cpu/gptq-linear';
import { gptqSplitKF16Cpu } from './cpu/gptq-splitk-f16';
import { destroyGptq, uploadGptq, type GpuGptq, type PackedGptq } from './gptq-repack';
import { GptqMatvecKernel, gptqMatvecVariants, matvecSources, ROWS_PER_THREAD, type GptqMatvecVariant } from './kernels/gptq-linear';
import { createStepBuffer, writeStep } from './step';
import { calibrateReps, GpuTimer } from './timing';
import type { TuneCache } from './autotune-cache';

export interface GptqShape { K: number; N: number; groupSize: number; nGroups: number }

export interface TuneCandidate { variant: string; ms: number | null; relErr: number | null; note?: string }

export interface TuneDecision {
  shape: string;
  variant: string;
  fromCache: boolean;
  complete: boolean;
  /** Measured this load (absent when the choice came from the cache or the layer is too small to tune). */
  candidates?: TuneCandidate[];
  /** Why the shape was not tuned. */
  skipped?: string;
}

export interface TuneReport {
  decisions: TuneDecision[];
  /** Wall time the tuning took (ms), cache lookups included. */
  ms: number;
  clock: 'timestamp' | 'wall';
  cache: TuneCache['kind'];
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
}

/** Max relative error (vs the CPU twin, relative to max |y|) a candidate may show on the check slice. */
const TOLERANCE = { f32: 1e-4, f16: 5e-3 };
const CHECK_ROWS = 64;
/** A candidate whose single-call time is over this many times the best so far is dropped untimed. */
const PRUNE_FACTOR = 4;

export function shapeKey(s: GptqShape): string {
  return `K=${s.K} N=${s.N} g=${s.groupSize}`;
}

/** FNV-1a over a string, 2 × 32 bits (seeded differently) as 16 hex digits. */
export function sourceHash(text: string): string {
  const h = (seed: number) => {
    let x = seed >>> 0;
    for (let i = 0; i < text.length; i++) { x ^= text.charCodeAt(i); x = Math.imul(x, 0x01000193) >>> 0; }
    return x.toString(16).padStart(8, '0');
  };
  return h(0x811c9dc5) + h(0x2166136a);
}

/** The cache key of one shape's choice on this adapter with these kernels. */
export function tuneKey(ctx: GpuContext, s: GptqShape): string {
  const a = ctx.adapterInfo;
  return JSON.stringify({
    kernel: 'gptq-matvec', vendor: a.vendor, architecture: a.architecture, device: a.device, description: a.description,
    features: { f16: ctx.f16, subgroups: ctx.subgroups }, shape: shapeKey(s), sources: sourceHash(matvecSources() + prepareCode),
  });
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

function xorshift(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s; };
}

/** A random layer of the shape: random nibbles, scales in [0.002, 0.022), zeros 1..15. */
function randomLayer(s: GptqShape): PackedGptq {
  const r = xorshift(s.K * 7919 + s.N);
  const words = new Uint32Array((s.N * s.K) / 8);
  for (let i = 0; i < words.length; i++) words[i] = r();
  const sz = new Uint32Array(s.N * s.nGroups);
  for (let i = 0; i < sz.length; i++) sz[i] = f32ToF16Bits(0.002 + (r() / 2 ** 32) * 0.02) | ((1 + (r() % 15)) << 16);
  return { K: s.K, N: s.N, groupSize: s.groupSize, nGroups: s.nGroups, words, sz, perm: null, bias: null };
}

/** The first `rows` rows of a packed layer (the check slice). */
function sliceRows(p: PackedGptq, rows: number): PackedGptq {
  return { ...p, N: rows, words: p.words.subarray(0, rows * (p.K / 8)), sz: p.sz.subarray(0, rows * p.nGroups) };
}

function relErr(a: Float32Array, b: Float32Array): number {
  let mx = 0, d = 0;
  for (let i = 0; i < b.length; i++) {
    mx = Math.max(mx, Math.abs(b[i]));
    const e = Math.abs(a[i] - b[i]);
    d = Number.isNaN(e) ? Infinity : Math.max(d, e);
  }
  return d / (mx || 1);
}

/** The choice per shape; layers of a shape nobody tuned get rows-per-thread. */
export class MatvecChoices {
  constructor(private readonly ctx: GpuContext, readonly report: TuneReport | null) {}

  variantFor(w: { K: number; N: number; groupSize: number; nGroups: number }): GptqMatvecVariant {
    const d = this.report?.decisions.find((x) => x.shape === shapeKey(w));
    const v = d ? gptqMatvecVariants(this.ctx, { f16Arithmetic: true }).find((x) => x.name === d.variant) : undefined;
    return v && v.supports(this.ctx, w) ? v : ROWS_PER_THREAD;
  }
}

async function tuneShape(ctx: GpuContext, s: GptqShape, variants: GptqMatvecVariant[], timer: GpuTimer, deadline: number, o: Required<Omit<TuneOptions, 'cache' | 'variants' | 'minLayerBytes'>>, earlier: { variant: string; ms: number }[]): Promise<{ candidates: TuneCandidate[]; complete: boolean }> {
  const packed = randomLayer(s);
  const layerBytes = packed.words.byteLength + packed.sz.byteLength;
  const copies = Math.max(1, Math.min(32, Math.ceil(o.readBytes / layerBytes)));
  const ws: GpuGptq[] = Array.from({ length: copies }, (_, i) => uploadGptq(ctx, packed, { label: `autotune.w${i}` }));
  const xr = xorshift(s.K + 17);
  const x = Float32Array.from({ length: s.K }, () => xr() / 2 ** 31 - 1);
  const xBuf = uploadBuffer(ctx, x, 'autotune.x'); // f32 [K]
  const yBuf = createBuffer(ctx, s.N * 4, STORAGE, 'autotune.y'); // f32 [N]
  const step = createStepBuffer(ctx, 'autotune.step');
  writeStep(ctx, step, { pos0: 0, m: 1 });
  const slice = sliceRows(packed, Math.min(CHECK_ROWS, s.N));
  const want32 = gptqLinearCpu(x, slice);
  const nanRows = new Float32Array(slice.N).fill(NaN);
  let want16: Float32Array | null = null;
  const live: { c: TuneCandidate; encode: (p: GPUComputePassEncoder) => void; reps: number; best: number }[] = [];
  const candidates: TuneCandidate[] = [];
  let complete = true;
  let bestProbe = Infinity;
  try {
    for (const v of variants) {
      if (!v.supports(ctx, s)) continue;
      const before = v !== ROWS_PER_THREAD ? earlier.find((e) => e.variant === v.name) : undefined;
      if (before) { candidates.push({ variant: v.name, ms: before.ms, relErr: null, note: 'measured on an earlier load' }); continue; }
      if (v !== ROWS_PER_THREAD && performance.now() > deadline) { complete = false; candidates.push({ variant: v.name, ms: null, relErr: null, note: 'time budget spent' }); continue; }
      const c: TuneCandidate = { variant: v.name, ms: null, relErr: null };
      candidates.push(c);
      const k = new GptqMatvecKernel(ctx, { variant: v });
      const bounds = ws.map((w) => k.bind(xBuf, w, yBuf, step));
      ctx.device.queue.writeBuffer(yBuf, 0, nanRows); // a candidate that writes nothing fails the check
      await timer.time((p) => k.encode(p, bounds[0], 1), 1);
      const got = new Float32Array(await readBuffer(ctx, yBuf, slice.N * 4));
      if (ctx.firstError) throw new AppError('INTERNAL', `GPU error while tuning ${v.name}: ${ctx.firstError.message.split('\n')[0]}`);
      const want = v.f16 ? (want16 ??= gptqSplitKF16Cpu(x, slice)) : want32;
      c.relErr = relErr(got, want);
      if (!(c.relErr <= (v.f16 ? TOLERANCE.f16 : TOLERANCE.f32))) { c.note = 'wrong output on this adapter'; continue; }
      // One timed call on one copy: a candidate far slower than the best so far is not worth the full timing.
      const probe = await timer.time((p) => k.encode(p, bounds[0], 1), 1);
      if (probe > PRUNE_FACTOR * bestProbe) { c.ms = probe; c.note = `over ${PRUNE_FACTOR}x slower than the best on one call; not timed further`; continue; }
      bestProbe = Math.min(bestProbe, probe);
      const encode = (p: GPUComputePassEncoder) => { for (const b of bounds) k.encode(p, b, 1); };
      live.push({ c, encode, reps: await calibrateReps(timer, encode, o.minMs, 32), best: Infinity });
    }
    for (let r = 0; r < o.rounds; r++) {
      for (const l of live) l.best = Math.min(l.best, await timer.time(l.encode, l.reps));
    }
    for (const l of live) l.c.ms = l.best / copies;
    return { candidates, complete };
  } finally {
    ws.forEach(destroyGptq);
    xBuf.destroy(); yBuf.destroy(); step.destroy();
  }
}

/**
 * Tunes the GPTQ matvec for every distinct shape among `layers` (cached choices are reused; shapes cached as
 * incomplete are tuned again). Returns the choices (MatvecChoices.variantFor) and what was done.
 */
export async function autotuneGptqMatvec(ctx: GpuContext, layers: GptqShape[], opts: TuneOptions): Promise<MatvecChoices> {
  const t0 = performance.now();
  const o = { budgetMs: opts.budgetMs ?? 4000, minMs: opts.minMs ?? 5, rounds: opts.rounds ?? 2, readBytes: opts.readBytes ?? 64 * 2 ** 20 };
  const variants = opts.variants ?? gptqMatvecVariants(ctx);
  const deadline = t0 + o.budgetMs;
  const timer = new GpuTimer(ctx);
  const decisions: TuneDecision[] = [];
  try {
    for (const s of distinctShapes(layers)) {
      if ((s.K * s.N) / 2 < (opts.minLayerBytes ?? 2 ** 20)) {
        decisions.push({ shape: shapeKey(s), variant: ROWS_PER_THREAD.name, fromCache: false, complete: true, skipped: 'layer smaller than minLayerBytes' });
        continue;
      }
      const key = tuneKey(ctx, s);
      const hit = await opts.cache.get(key);
      if (hit && hit.complete) { decisions.push({ shape: shapeKey(s), variant: hit.variant, fromCache: true, complete: true }); continue; }
      const { candidates, complete } = await tuneShape(ctx, s, variants, timer, deadline, o, hit?.measured ?? []);
      const ok = candidates.filter((c) => c.ms !== null).sort((a, b) => a.ms! - b.ms!);
      const best = ok.find((c) => !c.note?.startsWith('over ')) ?? { variant: ROWS_PER_THREAD.name, ms: 0 };
      decisions.push({ shape: shapeKey(s), variant: best.variant, fromCache: false, complete, candidates });
      const measured = ok.map((c) => ({ variant: c.variant, ms: c.ms! }));
      await opts.cache.set(key, { variant: best.variant, complete, ms: best.ms ?? 0, at: new Date().toISOString(), measured });
    }
  } finally {
    timer.destroy();
  }
  return new MatvecChoices(ctx, { decisions, ms: performance.now() - t0, clock: timer.clock, cache: opts.cache.kind });
}
