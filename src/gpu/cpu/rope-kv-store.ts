import { headRmsNormCpu } from './head-rmsnorm';
import { kvStoreCpu } from './kv-store';
import { ropeCpu } from './rope';

/**
 * CPU twin of shaders/rope-kv-store.wgsl, as the unfused kernels' twins one after another: per-head RMSNorm of
 * q and k (when `norms`), RoPE of both, then the K and V cache append. q f32 [M, nHeads, headDim], k / v f32
 * [M, nKv, headDim]; returns the rotated q and writes kCache / vCache [maxSeq, nKv * headDim] in place.
 */
export function ropeKvStoreCpu(
  q: Float32Array, k: Float32Array, v: Float32Array, invFreq: Float32Array,
  shape: { nHeads: number; nKv: number; headDim: number; maxSeq: number }, pos0: number,
  kCache: Float32Array, vCache: Float32Array, f16: boolean, norms?: { q: Float32Array; k: Float32Array; eps: number },
): Float32Array {
  const qr = norms ? headRmsNormCpu(q, norms.q, shape.headDim, norms.eps) : Float32Array.from(q);
  const kr = norms ? headRmsNormCpu(k, norms.k, shape.headDim, norms.eps) : Float32Array.from(k);
  ropeCpu(qr, invFreq, shape.nHeads, shape.headDim, pos0);
  ropeCpu(kr, invFreq, shape.nKv, shape.headDim, pos0);
  const kvDim = shape.nKv * shape.headDim;
  kvStoreCpu(kr, kCache, kvDim, shape.maxSeq, pos0, f16);
  kvStoreCpu(v, vCache, kvDim, shape.maxSeq, pos0, f16);
  return qr;
}
