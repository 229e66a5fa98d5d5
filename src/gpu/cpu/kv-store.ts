import { f16BitsToF32, f32ToF16Bits } from '../../shared/f16';

/** CPU twin of shaders/kv-store.wgsl: cache[(pos0 + i) * kvDim + j] = src[i * kvDim + j] (rounded to f16 when f16). */
export function kvStoreCpu(src: Float32Array, cache: Float32Array, kvDim: number, maxSeq: number, pos0: number, f16: boolean): void {
  const M = src.length / kvDim;
  for (let i = 0; i < M; i++) {
    if (pos0 + i >= maxSeq) break;
    for (let j = 0; j < kvDim; j++) {
      const v = src[i * kvDim + j];
      cache[(pos0 + i) * kvDim + j] = f16 ? f16BitsToF32(f32ToF16Bits(v)) : v;
    }
  }
}
