// The "step uniform": the values that change every forward, written ONCE per forward with queue.writeBuffer
// and read by every kernel (kernels never take pos0/m from their own uniforms).
//   WGSL: struct Step { pos0: u32, m: u32, kv_len: u32, seed: u32, sample_step: u32, _pad0: u32, _pad1: u32, _pad2: u32 }
//   pos0 = position of the first token of this batch, m = tokens in this batch, kv_len = pos0 + m,
//   seed / sample_step = the sampler's counter-based RNG inputs.
import { createBuffer, UNIFORM, type GpuContext } from './context';

export const STEP_UNIFORM_BYTES = 32;

export interface StepValues {
  pos0: number;
  m: number;
  seed?: number;
  sampleStep?: number;
}

/** Allocates the step uniform buffer (32 bytes, UNIFORM | COPY_DST). */
export function createStepBuffer(ctx: GpuContext, label = 'step'): GPUBuffer {
  return createBuffer(ctx, STEP_UNIFORM_BYTES, UNIFORM, label);
}

/** The 8 u32 words of the step uniform. */
export function stepWords(v: StepValues): Uint32Array<ArrayBuffer> {
  return new Uint32Array([v.pos0, v.m, v.pos0 + v.m, (v.seed ?? 0) >>> 0, (v.sampleStep ?? 0) >>> 0, 0, 0, 0]);
}

/** Writes the step uniform (one queue.writeBuffer per forward). */
export function writeStep(ctx: GpuContext, buf: GPUBuffer, v: StepValues): void {
  ctx.device.queue.writeBuffer(buf, 0, stepWords(v));
}
