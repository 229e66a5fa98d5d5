// Random GPTQ layers as a checkpoint holds them (AutoGPTQ layout via packGptq) and the independent reference the
// GPTQ kernel tests compare with: gptqDequantCpu on the ORIGINAL tensors, then a plain matmul.
import { gptqDequantCpu, type GptqSource } from '../../src/gpu/gptq-repack';
import { packGptq } from '../../src/model/gptq-pack';
import { f16BitsArrayToF32 } from '../../src/shared/f16';
import { randomFloats } from './helpers';

/** xorshift32 in [0, 1), seeded. */
export function rng(seed: number): () => number {
  let s = (seed * 2654435761) >>> 0 || 1;
  return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 2 ** 32; };
}

/** A random GPTQ layer [N, K] (4-bit codes, zeros 1..15, small scales), act-order (a shuffled g_idx) optional. */
export function randomGptqLayer(K: number, N: number, groupSize: number, format: 'v1' | 'v2', actOrder: boolean, bias: boolean, seed: number): GptqSource {
  const r = rng(seed);
  const G = groupSize === -1 ? K : groupSize;
  const nG = Math.ceil(K / G);
  const q = new Uint8Array(N * K).map(() => Math.floor(r() * 16));
  const zeros = new Uint8Array(nG * N).map(() => 1 + Math.floor(r() * 15));
  const scales = new Float32Array(nG * N).map(() => 0.002 + r() * 0.02);
  let gIdx: Int32Array | undefined;
  if (actOrder) {
    const perm = Array.from({ length: K }, (_, i) => i);
    for (let i = K - 1; i > 0; i--) { const j = Math.floor(r() * (i + 1)); [perm[i], perm[j]] = [perm[j], perm[i]]; }
    gIdx = new Int32Array(K);
    for (let i = 0; i < K; i++) gIdx[perm[i]] = Math.floor(i / G);
  }
  return packGptq({ q, zeros, scales, gIdx, bias: bias ? randomFloats(N, seed + 1) : undefined, K, N, groupSize, format });
}

/** y [M, N] = x [M, K] Wᵀ + bias (+ y0), from the original-layout dequantisation. */
export function gptqReference(t: GptqSource, x: Float32Array, y0?: Float32Array): Float32Array {
  const W = gptqDequantCpu(t);
  const M = x.length / t.K;
  const bias = t.bias ? (t.bias instanceof Uint16Array ? f16BitsArrayToF32(t.bias) : t.bias) : null;
  const y = new Float32Array(M * t.N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < t.N; n++) {
      let s = 0;
      for (let k = 0; k < t.K; k++) s += x[m * t.K + k] * W[n * t.K + k];
      y[m * t.N + n] = s + (bias ? bias[n] : 0) + (y0 ? y0[m * t.N + n] : 0);
    }
  }
  return y;
}
