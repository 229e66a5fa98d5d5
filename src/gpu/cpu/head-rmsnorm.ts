import { rmsNormCpu } from './rmsnorm';

/**
 * CPU twin of shaders/head-rmsnorm.wgsl: RMSNorm over each head_dim slice of x [M, nHeads, headDim] with one
 * weight [headDim] shared by all heads (Qwen3 q_norm / k_norm), in f32. Returns a new array.
 */
export function headRmsNormCpu(x: Float32Array, w: Float32Array, headDim: number, eps: number): Float32Array {
  if (w.length !== headDim || x.length % headDim !== 0) throw new Error(`headRmsNormCpu: x has ${x.length} values, w ${w.length}, head_dim ${headDim}`);
  // Every (row, head) slice is a row of length headDim: the same math as the row RMSNorm.
  return rmsNormCpu(x, w, headDim, eps);
}
