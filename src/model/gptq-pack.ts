// GPTQ 4-bit tensors exactly as AutoGPTQ / GPTQModel write them (SPEC-llama-gptq.md), and the plain CPU
// dequantisation straight from the spec formulas (the independent reference for every GPTQ test).
//   qweight I32 [K/8, N]   q(k, n) = (qweight[k >> 3][n] >> 4(k & 7)) & 15
//   qzeros  I32 [nG, N/8]  stored zero of (g, n) in nibble n & 7 of word [g][n >> 3]; true zero = stored + (v1 ? 1 : 0)
//   scales  F16 [nG, N]    W[n, k] = scales[g][n] * (q(k, n) - z(g, n)), g = g_idx[k]
import { AppError } from '../shared/errors';
import { f16BitsToF32, f32ToF16Bits } from '../shared/f16';

export interface GptqTensors {
  qweight: Int32Array /* [K/8, N] */;
  qzeros: Int32Array /* [nG, N/8] */;
  scales: Uint16Array /* f16 bits [nG, N] */;
  gIdx: Int32Array /* [K] */;
  bias?: Uint16Array /* f16 [N] */;
  K: number;
  N: number;
  groupSize: number /* as in the config: -1 = one group */;
  format: 'v1' | 'v2';
}

export interface GptqPackInput {
  q: Uint8Array /* [N, K] values 0..15, row n = output */;
  zeros: Uint8Array /* [nG, N] true zero points 0..15 */;
  scales: Float32Array /* [nG, N] */;
  gIdx?: Int32Array /* [K], default floor(k / G) */;
  bias?: Float32Array /* [N] */;
  K: number;
  N: number;
  groupSize: number;
  format: 'v1' | 'v2';
}

/** Number of groups for K inputs and a config group size (-1 = one group). */
export function gptqGroupCount(K: number, groupSize: number): number {
  return groupSize === -1 ? 1 : Math.ceil(K / groupSize);
}

/** Group of input k when the file has no g_idx. */
export function defaultGroupIndex(K: number, groupSize: number): Int32Array {
  const g = new Int32Array(K);
  if (groupSize !== -1) for (let k = 0; k < K; k++) g[k] = Math.floor(k / groupSize);
  return g;
}

function checkShape(K: number, N: number, groupSize: number): void {
  if (!Number.isInteger(K) || !Number.isInteger(N) || K <= 0 || N <= 0 || K % 8 !== 0 || N % 8 !== 0) {
    throw new AppError('UNSUPPORTED_QUANTIZATION', `GPTQ 4-bit layers need in/out features that are positive multiples of 8 (got K=${K}, N=${N}).`);
  }
  if (groupSize !== -1 && (!Number.isInteger(groupSize) || groupSize <= 0)) {
    throw new AppError('UNSUPPORTED_QUANTIZATION', `GPTQ group_size must be a positive integer or -1 (got ${groupSize}).`);
  }
}

/** Packs quantized values into AutoGPTQ's tensors (v1 stores zero − 1; scales and bias rounded to f16). */
export function packGptq(p: GptqPackInput): GptqTensors {
  const { K, N, groupSize, format } = p;
  checkShape(K, N, groupSize);
  const nG = gptqGroupCount(K, groupSize);
  if (p.q.length !== N * K) throw new AppError('BAD_ARGUMENT', `packGptq: q has ${p.q.length} values, expected N*K = ${N * K}.`);
  if (p.zeros.length !== nG * N) throw new AppError('BAD_ARGUMENT', `packGptq: zeros has ${p.zeros.length} values, expected nG*N = ${nG * N}.`);
  if (p.scales.length !== nG * N) throw new AppError('BAD_ARGUMENT', `packGptq: scales has ${p.scales.length} values, expected nG*N = ${nG * N}.`);
  const gIdx = p.gIdx ? Int32Array.from(p.gIdx) : defaultGroupIndex(K, groupSize);
  if (gIdx.length !== K) throw new AppError('BAD_ARGUMENT', `packGptq: g_idx has ${gIdx.length} entries, expected K = ${K}.`);
  for (let k = 0; k < K; k++) {
    if (gIdx[k] < 0 || gIdx[k] >= nG) throw new AppError('BAD_ARGUMENT', `packGptq: g_idx[${k}] = ${gIdx[k]} is outside 0..${nG - 1}.`);
  }

  const qweight = new Int32Array((K / 8) * N);
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      const v = p.q[n * K + k];
      if (v > 15) throw new AppError('BAD_ARGUMENT', `packGptq: q[${n}, ${k}] = ${v} does not fit in 4 bits.`);
      qweight[(k >> 3) * N + n] |= v << (4 * (k & 7));
    }
  }

  const qzeros = new Int32Array(nG * (N / 8));
  const offset = format === 'v1' ? 1 : 0;
  for (let g = 0; g < nG; g++) {
    for (let n = 0; n < N; n++) {
      const z = p.zeros[g * N + n];
      if (z > 15) throw new AppError('BAD_ARGUMENT', `packGptq: zero point (${g}, ${n}) = ${z} does not fit in 4 bits.`);
      if (z < offset) {
        throw new AppError('UNSUPPORTED_QUANTIZATION', `GPTQ v1 cannot store a zero point of 0 (group ${g}, output ${n}); write the checkpoint in format v2 instead.`);
      }
      qzeros[g * (N / 8) + (n >> 3)] |= (z - offset) << (4 * (n & 7));
    }
  }

  const scales = new Uint16Array(nG * N);
  for (let i = 0; i < scales.length; i++) scales[i] = f32ToF16Bits(p.scales[i]);
  let bias: Uint16Array | undefined;
  if (p.bias) {
    if (p.bias.length !== N) throw new AppError('BAD_ARGUMENT', `packGptq: bias has ${p.bias.length} values, expected N = ${N}.`);
    bias = new Uint16Array(N);
    for (let n = 0; n < N; n++) bias[n] = f32ToF16Bits(p.bias[n]);
  }
  return { qweight, qzeros, scales, gIdx, ...(bias ? { bias } : {}), K, N, groupSize, format };
}

/** W [N, K] row-major (nn.Linear layout) from the file tensors, straight from the spec formulas. */
export function dequantGptq(t: GptqTensors): Float32Array {
  const { K, N, format } = t;
  const nG = gptqGroupCount(K, t.groupSize);
  const offset = format === 'v1' ? 1 : 0;
  const gIdx = t.gIdx ?? defaultGroupIndex(K, t.groupSize);
  const W = new Float32Array(N * K);
  for (let k = 0; k < K; k++) {
    const g = gIdx[k];
    if (g < 0 || g >= nG) throw new AppError('MALFORMED_WEIGHTS', `GPTQ g_idx[${k}] = ${g} is outside 0..${nG - 1}.`);
    for (let n = 0; n < N; n++) {
      const q = (t.qweight[(k >> 3) * N + n] >>> (4 * (k & 7))) & 15;
      const z = ((t.qzeros[g * (N / 8) + (n >> 3)] >>> (4 * (n & 7))) & 15) + offset;
      W[n * K + k] = f16BitsToF32(t.scales[g * N + n]) * (q - z);
    }
  }
  return W;
}
