// GPTQ 8-bit tensors as AutoGPTQ / GPTQModel write them (bits 8: four values per int32), the writer used by
// the random-model generator, and the plain CPU dequantisation straight from the format's formulas (the
// independent reference for the 8-bit tests and the CPU reference forward).
//   qweight I32 [K/4, N]   q(k, n) = (qweight[k >> 2][n] >> 8(k & 3)) & 255
//   qzeros  I32 [nG, N/4]  stored zero of (g, n) in byte n & 3 of word [g][n >> 2]; true zero = stored + (v1 ? 1 : 0)
//   scales  F16 [nG, N]    W[n, k] = scales[g][n] · (q(k, n) − z(g, n)), g = g_idx[k]
import { AppError } from '../shared/errors';
import { f16BitsToF32, f32ToF16Bits } from '../shared/f16';
import { defaultGroupIndex, gptqGroupCount } from './gptq-pack';

export interface Gptq8Tensors {
  bits: 8;
  qweight: Int32Array /* [K/4, N] */;
  qzeros: Int32Array /* [nG, N/4] */;
  scales: Uint16Array /* f16 bits [nG, N] */;
  gIdx: Int32Array /* [K] */;
  bias?: Uint16Array /* f16 [N] */;
  K: number;
  N: number;
  groupSize: number /* as in the config: -1 = one group */;
  format: 'v1' | 'v2';
}

export interface Gptq8PackInput {
  q: Uint8Array /* [N, K] values 0..255, row n = output */;
  zeros: Uint16Array /* [nG, N] true zero points 0..255 (1..256 in v1) */;
  scales: Float32Array /* [nG, N] */;
  gIdx?: Int32Array /* [K] */;
  bias?: Float32Array /* [N] */;
  K: number;
  N: number;
  groupSize: number;
  format: 'v1' | 'v2';
}

/** The shapes an 8-bit GPTQ layer's tensors must have. */
export function gptq8Shapes(K: number, N: number, groupSize: number): { qweight: number[]; qzeros: number[]; scales: number[] } {
  const nG = gptqGroupCount(K, groupSize);
  return { qweight: [K / 4, N], qzeros: [nG, N / 4], scales: [nG, N] };
}

/** Packs 8-bit values into AutoGPTQ's tensors (v1 stores zero − 1; scales and bias rounded to f16). */
export function packGptq8(p: Gptq8PackInput): Gptq8Tensors {
  const { K, N, groupSize, format } = p;
  if (!(K > 0 && N > 0 && K % 8 === 0 && N % 8 === 0)) throw new AppError('BAD_ARGUMENT', `packGptq8: K=${K}, N=${N} must be positive multiples of 8.`);
  const nG = gptqGroupCount(K, groupSize);
  if (p.q.length !== N * K || p.zeros.length !== nG * N || p.scales.length !== nG * N) throw new AppError('BAD_ARGUMENT', 'packGptq8: q, zeros or scales has the wrong length.');
  const qweight = new Int32Array((K / 4) * N);
  for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) qweight[(k >> 2) * N + n] |= p.q[n * K + k] << (8 * (k & 3));
  const offset = format === 'v1' ? 1 : 0;
  const qzeros = new Int32Array(nG * (N / 4));
  for (let g = 0; g < nG; g++) {
    for (let n = 0; n < N; n++) {
      const stored = p.zeros[g * N + n] - offset;
      if (stored < 0 || stored > 255) throw new AppError('BAD_ARGUMENT', `packGptq8: zero point (${g}, ${n}) = ${p.zeros[g * N + n]} cannot be stored in format ${format}.`);
      qzeros[g * (N / 4) + (n >> 2)] |= stored << (8 * (n & 3));
    }
  }
  const scales = Uint16Array.from(p.scales, (s) => f32ToF16Bits(s));
  const bias = p.bias ? Uint16Array.from(p.bias, (b) => f32ToF16Bits(b)) : undefined;
  const gIdx = p.gIdx ? Int32Array.from(p.gIdx) : defaultGroupIndex(K, groupSize);
  return { bits: 8, qweight, qzeros, scales, gIdx, ...(bias ? { bias } : {}), K, N, groupSize, format };
}

/** W [N, K] row-major (nn.Linear layout) from the file tensors, straight from the formulas above. */
export function dequantGptq8(t: Gptq8Tensors): Float32Array {
  const { K, N } = t;
  const nG = gptqGroupCount(K, t.groupSize);
  const offset = t.format === 'v1' ? 1 : 0;
  const W = new Float32Array(N * K);
  for (let k = 0; k < K; k++) {
    const g = t.gIdx[k];
    if (!(g >= 0 && g < nG)) throw new AppError('MALFORMED_WEIGHTS', `GPTQ g_idx[${k}] = ${g} is outside 0..${nG - 1}.`);
    for (let n = 0; n < N; n++) {
      const q = (t.qweight[(k >> 2) * N + n] >>> (8 * (k & 3))) & 255;
      const z = ((t.qzeros[g * (N / 4) + (n >> 2)] >>> (8 * (n & 3))) & 255) + offset;
      W[n * K + k] = f16BitsToF32(t.scales[g * N + n]) * (q - z);
    }
  }
  return W;
}
