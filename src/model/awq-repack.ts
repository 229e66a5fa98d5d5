// AutoAWQ "gemm" 4-bit tensors (quant_method "awq", version "gemm"), repacked at load into the AutoGPTQ layout
// (src/model/gptq-pack.ts) that the reference and the GPU repack already read: AWQ is GPTQ without act-order.
//   AWQ   qweight I32 [K, N/8]   packed along the OUTPUT dim: word (k, c) nibble i (bits 4i..4i+3) holds
//                                column 8c + AWQ_ORDER[i], AWQ_ORDER = [0, 2, 4, 6, 1, 3, 5, 7]
//         qzeros  I32 [K/G, N/8] the same packing, zero points stored as they are (no GPTQ v1 "−1")
//         scales  F16 [K/G, N]   W[n, k] = scales[g][n] · (q(k, n) − z(g, n)), g = floor(k / G)
//   GPTQ  qweight I32 [K/8, N]   word (w, n) nibble j holds q(8w + j, n);  qzeros [nG, N/8] nibble n & 7 in
//         natural order; written as format "v2" (zeros as they are) with the default g_idx.
// (AutoAWQ's WQLinear_GEMM.from_linear packs with order_map [0, 2, 4, 6, 1, 3, 5, 7]: column col·8 + order_map[i]
// goes to bits 4i; this file reads that layout, it does not copy AutoAWQ's code.)
import { AppError } from '../shared/errors';
import { defaultGroupIndex, gptqGroupCount, type GptqTensors } from './gptq-pack';

/** Nibble slot i of an AWQ word holds output column offset AWQ_ORDER[i]. */
export const AWQ_ORDER = [0, 2, 4, 6, 1, 3, 5, 7] as const;
/** The slot holding column offset c: AWQ_SLOT_OF[AWQ_ORDER[i]] = i. */
const AWQ_SLOT_OF = AWQ_ORDER.map((_, c) => AWQ_ORDER.indexOf(c as (typeof AWQ_ORDER)[number]));

export interface AwqTensors {
  qweight: Int32Array /* [K, N/8] */;
  qzeros: Int32Array /* [nG, N/8] */;
  scales: Uint16Array /* f16 bits [nG, N] */;
  bias?: Uint16Array /* f16 [N] */;
  K: number;
  N: number;
  /** As in the config: −1 = one group over K. */
  groupSize: number;
}

/** The expected tensor shapes of an AWQ gemm layer (for the checkpoint's named shape errors). */
export function awqShapes(K: number, N: number, groupSize: number): { qweight: number[]; qzeros: number[]; scales: number[] } {
  const nG = gptqGroupCount(K, groupSize);
  return { qweight: [K, N / 8], qzeros: [nG, N / 8], scales: [nG, N] };
}

/** 4-bit value of output column n in an AWQ-packed row of N/8 words starting at `base`. */
function awqNibble(words: Int32Array, base: number, n: number): number {
  return (words[base + (n >> 3)] >>> (4 * AWQ_SLOT_OF[n & 7])) & 15;
}

/** Repacks an AWQ gemm layer into AutoGPTQ v2 tensors with the same W (no rounding: the integers move). */
export function awqToGptq(t: AwqTensors): GptqTensors {
  const { K, N, groupSize } = t;
  if (!(K > 0 && N > 0 && K % 8 === 0 && N % 8 === 0)) {
    throw new AppError('UNSUPPORTED_QUANTIZATION', `AWQ 4-bit layers need in/out features that are multiples of 8 (got K=${K}, N=${N}).`);
  }
  const nG = gptqGroupCount(K, groupSize);
  const N8 = N / 8;
  const bad = (what: string, got: number, want: number) =>
    new AppError('MALFORMED_WEIGHTS', `AWQ tensor ${what} has ${got} values, expected ${want} (in_features K=${K}, out_features N=${N}, group_size=${groupSize}).`);
  if (t.qweight.length !== K * N8) throw bad('qweight', t.qweight.length, K * N8);
  if (t.qzeros.length !== nG * N8) throw bad('qzeros', t.qzeros.length, nG * N8);
  if (t.scales.length !== nG * N) throw bad('scales', t.scales.length, nG * N);
  if (t.bias && t.bias.length !== N) throw bad('bias', t.bias.length, N);

  const qweight = new Int32Array((K / 8) * N);
  for (let k = 0; k < K; k++) {
    const dst = (k >> 3) * N;
    const shift = 4 * (k & 7);
    for (let n = 0; n < N; n++) qweight[dst + n] |= awqNibble(t.qweight, k * N8, n) << shift;
  }
  const qzeros = new Int32Array(nG * N8);
  for (let g = 0; g < nG; g++) {
    for (let n = 0; n < N; n++) qzeros[g * N8 + (n >> 3)] |= awqNibble(t.qzeros, g * N8, n) << (4 * (n & 7));
  }
  return {
    qweight,
    qzeros,
    scales: t.scales,
    gIdx: defaultGroupIndex(K, groupSize),
    ...(t.bias ? { bias: t.bias } : {}),
    K,
    N,
    groupSize,
    format: 'v2',
  };
}
