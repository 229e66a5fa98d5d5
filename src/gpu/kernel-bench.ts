// The linear-kernel benchmark behind `npm run bench:kernels` (scripts/bench-kernels.ts) and the roofline test
// (tests/gpu/roofline.test.ts): each case's weights are uploaded in enough distinct copies that one encode
// reads more bytes than the adapter's caches hold (like a decode step, where every layer has its own
// weights), and every case is timed in `rounds` rounds interleaved with the roofline probe (roofline, A, B, …,
// roofline, A, B, …), each keeping its best. Fractions are of the roofline measured in the same process.
import { createBuffer, STORAGE, uploadBuffer, type GpuContext } from './context';
import { uploadDense, type DenseWeight } from './dense-weight';
import { destroyGptq, uploadGptq, type GpuGptq, type PackedGptq } from './gptq-repack';
import { DenseMatvecKernel, ONE_ROW_PER_THREAD, type DenseMatvecVariant } from './kernels/dense-linear';
import { GptqMatmulKernel, GptqMatvecKernel, gptqMatvecVariants, type GptqMatvecVariant } from './kernels/gptq-linear';
import { DEFAULT_MATMUL_TILE, tileSupports, type GptqMatmulTile } from './kernels/gptq-matmul-tiles';
import { RooflineProbe, ROOFLINE_BYTES, type RooflineResult } from './roofline';
import { createStepBuffer, writeStep } from './step';
import { calibrateReps, GpuTimer, type EncodeFn } from './timing';
import { f32ToF16Bits } from '../shared/f16';

export interface KernelBenchShapes {
  /** [K, N] of the GPTQ matvec cases (group 128). */
  gptqMatvec: [number, number][];
  /** [K, N] of the f16 dense lm_head matvec, or null. */
  lmHead: [number, number] | null;
  /** The GPTQ prefill matmul, or null. */
  gptqMatmul: { K: number; N: number; M: number } | null;
}

/** Real Llama shapes: 7B attention, TinyLlama gate/up and down, TinyLlama's lm_head, TinyLlama prefill. */
export const LLAMA_SHAPES: KernelBenchShapes = {
  gptqMatvec: [[4096, 4096], [2048, 5632], [5632, 2048]],
  lmHead: [2048, 32000],
  gptqMatmul: { K: 2048, N: 5632, M: 64 },
};

export interface KernelBenchRow {
  kernel: string;
  variant: string;
  shape: string;
  /** Distinct weight copies read per encode, and the bytes (weights + x + y) of all of them. */
  copies: number;
  bytes: number;
  ms: number;
  gbps: number;
  gflops?: number;
  roofline_fraction: number;
}

export interface KernelBenchResult {
  roofline: RooflineResult;
  rows: KernelBenchRow[];
  /** Cases ("kernel variant shape") not timed because the deadline had passed before their calibration. */
  skipped: string[];
  /** Interleaved rounds run (fewer than asked when the deadline passed; at least one). */
  rounds: number;
}

export interface KernelBenchOptions {
  shapes?: KernelBenchShapes;
  /** Substring filter on "kernel variant shape". */
  only?: string | null;
  /** Bytes each case reads per measurement (weights in distinct copies) and the roofline buffer size. */
  minBytes?: number;
  rounds?: number;
  minMs?: number;
  /** The GPTQ matvec variants to time (default: every variant this adapter supports). */
  matvecVariants?: GptqMatvecVariant[];
  /** The dense (lm_head) matvec variants to time (default one-row-per-thread). */
  denseVariants?: DenseMatvecVariant[];
  /** The prefill matmul tiles to time (default the default tile). */
  matmulTiles?: GptqMatmulTile[];
  /**
   * performance.now() after which no further case is calibrated (the rest are listed as skipped; the first case
   * always runs) and no further round is started (the first always runs). Default: none.
   */
  deadline?: number;
}

interface Case {
  kernel: string;
  variant: string;
  shape: string;
  copies: number;
  /** Bytes and flops of one encode (all copies). */
  bytes: number;
  flops?: number;
  /** Binds the case (creates its pipeline: seconds of shader compilation on a CPU driver), only when it is timed. */
  bind: () => void;
  encode: EncodeFn;
  destroy: () => void;
}

function fillRandom(words: Uint32Array, seed: number): void {
  let s = seed >>> 0 || 1;
  for (let i = 0; i < words.length; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    words[i] = s;
  }
}

/** A random GPTQ layer in the repacked layout (random nibbles, f16 scale 0.01, zero 8). */
export function randomPackedGptq(K: number, N: number, groupSize = 128): PackedGptq {
  const nGroups = Math.ceil(K / groupSize);
  const words = new Uint32Array((N * K) / 8);
  fillRandom(words, K * 31 + N);
  const sz = new Uint32Array(N * nGroups).fill(f32ToF16Bits(0.01) | (8 << 16));
  return { K, N, groupSize, nGroups, words, sz, perm: null, bias: null };
}

export function randomX(n: number): Float32Array {
  const u = new Uint32Array(n);
  fillRandom(u, n);
  return Float32Array.from(u, (v) => v / 2 ** 32 - 0.5);
}

function copiesFor(bytesPerCopy: number, minBytes: number): number {
  return Math.max(1, Math.ceil(minBytes / bytesPerCopy));
}

function buildCases(ctx: GpuContext, o: Required<Omit<KernelBenchOptions, 'only' | 'rounds' | 'minMs' | 'deadline'>> & { only: string | null }): { cases: Case[]; cleanup: (() => void)[] } {
  const cases: Case[] = [];
  const cleanup: (() => void)[] = [];
  const want = (s: string) => !o.only || s.includes(o.only);
  const step = createStepBuffer(ctx, 'kernel-bench.step');
  for (const [K, N] of o.shapes.gptqMatvec) {
    const packed = randomPackedGptq(K, N);
    const perCopy = packed.words.byteLength + packed.sz.byteLength;
    const copies = copiesFor(perCopy, o.minBytes);
    let ws: GpuGptq[] | null = null;
    const x = uploadBuffer(ctx, randomX(K), 'kernel-bench.x'); // f32 [K]
    const y = createBuffer(ctx, N * 4, STORAGE, 'kernel-bench.y'); // f32 [N]
    for (const v of o.matvecVariants) {
      const shape = `K=${K} N=${N} g128`;
      if (!want(`gptq-matvec ${v.name} ${shape}`) || !v.supports(ctx, packed)) continue;
      ws ??= Array.from({ length: copies }, (_, i) => uploadGptq(ctx, packed, { label: `bench.gptq${i}` }));
      const k = new GptqMatvecKernel(ctx, { variant: v });
      const weights = ws;
      let bounds: ReturnType<typeof k.bind>[] = [];
      cases.push({
        kernel: 'gptq-matvec', variant: v.name, shape, copies,
        bytes: copies * (perCopy + K * 4 + N * 4),
        bind: () => { bounds = weights.map((w) => k.bind(x, w, y, step)); },
        encode: (p) => { for (const b of bounds) k.encode(p, b, 1); },
        destroy: () => {},
      });
    }
    const owned = ws;
    cleanup.push(() => { owned?.forEach(destroyGptq); x.destroy(); y.destroy(); });
  }
  if (o.shapes.lmHead && want('dense-matvec lm_head')) {
    const [K, N] = o.shapes.lmHead;
    const bits = new Uint16Array(N * K);
    fillRandom(new Uint32Array(bits.buffer), 7);
    for (let i = 0; i < bits.length; i++) bits[i] &= 0xbbff; // finite f16 values of modest size
    const copies = copiesFor(bits.byteLength, o.minBytes);
    const ws: DenseWeight[] = Array.from({ length: copies }, (_, i) => uploadDense(ctx, { f16: bits }, N, K, { label: `bench.lm_head${i}` }));
    const x = uploadBuffer(ctx, randomX(K), 'kernel-bench.x'); // f32 [K]
    const y = createBuffer(ctx, N * 4, STORAGE, 'kernel-bench.y'); // f32 [N]
    for (const v of o.denseVariants.filter((d) => d.supports(ctx, { cols: K, dtype: 'f16' }))) {
      const k = new DenseMatvecKernel(ctx, { variant: v });
      let bounds: ReturnType<typeof k.bind>[] = [];
      cases.push({
        kernel: 'dense-matvec (lm_head f16)', variant: v.name, shape: `K=${K} N=${N}`, copies,
        bytes: copies * (N * K * 2 + K * 4 + N * 4),
        bind: () => { bounds = ws.map((w) => k.bind(x, w, y, step)); },
        encode: (p) => { for (const b of bounds) k.encode(p, b, 1); },
        destroy: () => {},
      });
    }
    cleanup.push(() => { ws.forEach((w) => w.chunks.forEach((c) => c.buffer.destroy())); x.destroy(); y.destroy(); });
  }
  if (o.shapes.gptqMatmul && want('gptq-matmul')) {
    const { K, N, M } = o.shapes.gptqMatmul;
    const packed = randomPackedGptq(K, N);
    const perCopy = packed.words.byteLength + packed.sz.byteLength;
    const copies = copiesFor(perCopy, o.minBytes);
    const ws = Array.from({ length: copies }, (_, i) => uploadGptq(ctx, packed, { label: `bench.gptqmm${i}` }));
    const x = uploadBuffer(ctx, randomX(M * K), 'kernel-bench.x'); // f32 [M, K]
    const y = createBuffer(ctx, M * N * 4, STORAGE, 'kernel-bench.y'); // f32 [M, N]
    const mmStep = createStepBuffer(ctx, 'kernel-bench.step-m');
    writeStep(ctx, mmStep, { pos0: 0, m: M });
    for (const tile of o.matmulTiles.filter((t) => tileSupports(t, packed))) {
      const k = new GptqMatmulKernel(ctx, { tile });
      let bounds: ReturnType<typeof k.bind>[] = [];
      cases.push({
        kernel: `gptq-matmul (prefill M=${M})`, variant: tile.name, shape: `K=${K} N=${N} g128`, copies,
        bytes: copies * perCopy, flops: copies * 2 * M * N * K,
        bind: () => { bounds = ws.map((w) => k.bind(x, w, y, mmStep, { maxM: M })); },
        encode: (p) => { for (const b of bounds) k.encode(p, b, M); },
        destroy: () => {},
      });
    }
    cleanup.push(() => { ws.forEach(destroyGptq); x.destroy(); y.destroy(); mmStep.destroy(); });
  }
  writeStep(ctx, step, { pos0: 0, m: 1 });
  cleanup.push(() => step.destroy());
  return { cases, cleanup };
}

export async function runKernelBench(ctx: GpuContext, opts: KernelBenchOptions = {}): Promise<KernelBenchResult> {
  const minBytes = opts.minBytes ?? ROOFLINE_BYTES;
  const { cases, cleanup } = buildCases(ctx, {
    shapes: opts.shapes ?? LLAMA_SHAPES, only: opts.only ?? null, minBytes,
    matvecVariants: opts.matvecVariants ?? gptqMatvecVariants(ctx),
    denseVariants: opts.denseVariants ?? [ONE_ROW_PER_THREAD],
    matmulTiles: opts.matmulTiles ?? [DEFAULT_MATMUL_TILE],
  });
  const deadline = opts.deadline ?? Infinity;
  const probe = await RooflineProbe.create(ctx, { bytes: minBytes, minMs: opts.minMs });
  const timer = new GpuTimer(ctx);
  try {
    const timed: Case[] = [];
    const skipped: string[] = [];
    const reps: number[] = [];
    for (const c of cases) {
      if (timed.length > 0 && performance.now() > deadline) { skipped.push(`${c.kernel} ${c.variant} ${c.shape}`); continue; }
      c.bind();
      reps.push(await calibrateReps(timer, c.encode, opts.minMs ?? 30, 16));
      timed.push(c);
    }
    const best = timed.map(() => Infinity);
    let rounds = 0;
    for (let r = 0; r < (opts.rounds ?? 3) && (r === 0 || performance.now() <= deadline); r++, rounds++) {
      await probe.round();
      for (let i = 0; i < timed.length; i++) best[i] = Math.min(best[i], await timer.time(timed[i].encode, reps[i]));
    }
    if (ctx.firstError) throw new Error(`GPU error: ${ctx.firstError.message}`);
    const roofline = await probe.result();
    const rows = timed.map((c, i) => {
      const gbps = c.bytes / (best[i] / 1000) / 1e9;
      return {
        kernel: c.kernel, variant: c.variant, shape: c.shape, copies: c.copies, bytes: c.bytes, ms: best[i] / c.copies, gbps,
        ...(c.flops ? { gflops: c.flops / (best[i] / 1000) / 1e9 } : {}),
        roofline_fraction: gbps / roofline.gbps,
      };
    });
    return { roofline, rows, skipped, rounds };
  } finally {
    probe.destroy();
    timer.destroy();
    for (const c of cases) c.destroy();
    for (const f of cleanup) f();
  }
}
