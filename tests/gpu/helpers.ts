// Shared by the GPU tests: one device per test file (Dawn in Node; see scripts/with-gpu-env.sh).
import { acquireGpu, type GpuContext } from '../../src/gpu/context';
import { nodeGpu } from '../../src/gpu/node-gpu';
import { uploadDense, type DenseWeight } from '../../src/gpu/dense-weight';
import { f16BitsArrayToF32, f32ArrayToF16Bits } from '../../src/shared/f16';

export async function testGpu(opts: { preferF16?: boolean } = {}): Promise<GpuContext> {
  return acquireGpu(nodeGpu(), opts);
}

/** Deterministic uniform random floats in [-scale, scale). */
export function randomFloats(n: number, seed: number, scale = 1): Float32Array<ArrayBuffer> {
  const out = new Float32Array(n);
  let s = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    out[i] = ((s / 2 ** 32) * 2 - 1) * scale;
  }
  return out;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

// ---- kernel test helpers ----
import { readBuffer, uploadBuffer } from '../../src/gpu/context';
import { createStepBuffer, writeStep, type StepValues } from '../../src/gpu/step';

/** Encodes one compute pass with `fn`, submits it and waits for the queue. */
export async function runPass(ctx: GpuContext, fn: (pass: GPUComputePassEncoder) => void): Promise<void> {
  const enc = ctx.device.createCommandEncoder();
  const pass = enc.beginComputePass();
  fn(pass);
  pass.end();
  ctx.device.queue.submit([enc.finish()]);
  await ctx.device.queue.onSubmittedWorkDone();
}

export async function readF32(ctx: GpuContext, buf: GPUBuffer, n: number): Promise<Float32Array> {
  return new Float32Array(await readBuffer(ctx, buf, n * 4));
}

export async function readU32(ctx: GpuContext, buf: GPUBuffer, n: number): Promise<Uint32Array> {
  return new Uint32Array(await readBuffer(ctx, buf, n * 4));
}

export function upload(ctx: GpuContext, data: ArrayBufferView): GPUBuffer {
  return uploadBuffer(ctx, data);
}

export function stepBuffer(ctx: GpuContext, v: StepValues): GPUBuffer {
  const b = createStepBuffer(ctx);
  writeStep(ctx, b, v);
  return b;
}

/** max |a - b| / (scale + max |b|): a relative error that stays meaningful near zero. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let mx = 0;
  for (let i = 0; i < b.length; i++) mx = Math.max(mx, Math.abs(b[i]));
  return maxAbsDiff(a, b) / (mx || 1);
}

/** The two precision paths: f16 (when the adapter has shader-f16) and f32 (preferF16: false). */
export const PATHS = [
  { name: 'f16 path', preferF16: true },
  { name: 'f32 path', preferF16: false },
] as const;

/**
 * A random dense weight [N, K] uploaded as f16 or f32 (in chunks of `chunkRows` rows when given), and its values as
 * the GPU sees them (f16-rounded for f16): the CPU twin's input.
 */
export function randomDenseWeight(ctx: GpuContext, K: number, N: number, dtype: 'f16' | 'f32', seed: number, chunkRows?: number): { w: DenseWeight; W: Float32Array } {
  let W: Float32Array = randomFloats(N * K, seed);
  const data = dtype === 'f16' ? { f16: f32ArrayToF16Bits(W) } : W;
  if (dtype === 'f16') W = f16BitsArrayToF32((data as { f16: Uint16Array }).f16);
  const elem = dtype === 'f16' ? 2 : 4;
  const w = uploadDense(ctx, data, N, K, chunkRows ? { maxChunkBytes: chunkRows * K * elem } : {});
  return { w, W };
}
