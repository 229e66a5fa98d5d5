// 4-bit weight quantization of one linear layer: round-to-nearest (RTN) and the real GPTQ algorithm
// (Frantar et al. 2022, as in AutoGPTQ's gptq.py): H = 2·XᵀX/n from calibration inputs, 1% mean-diagonal
// dampening, optional act-order (columns by diag(H) descending), the upper Cholesky factor of H⁻¹, and
// column-by-column quantization whose error is spread over the not-yet-quantized columns. A group's scale and
// zero are computed from the (already error-updated) weights when the group's first column comes up.
import { AppError } from '../../shared/errors';
import { f16BitsToF32, f32ToF16Bits } from '../../shared/f16';
import type { GptqPackInput } from '../gptq-pack';

export const MAXQ = 15;

export interface QuantSettings {
  /** −1 = one group over all K inputs. */
  groupSize: number;
  sym: boolean;
  actOrder: boolean;
  format: 'v1' | 'v2';
}

/** Output of a quantizer, ready for packGptq (true zero points; scales already f16-representable). */
export type QuantizedLinear = GptqPackInput;

const roundF16 = (x: number) => f16BitsToF32(f32ToF16Bits(x));

/**
 * Per-row scale and zero for a group of columns (AutoGPTQ Quantizer.find_params, weight mode). For v1
 * asymmetric quantization the zero point is kept ≥ 1 (v1 stores zero − 1, so 0 cannot be written): when the
 * natural zero would round to 0 the scale is widened so [−scale, 14·scale] still covers the group.
 */
export function groupParams(
  w: Float64Array | Float32Array /* [N, K] */,
  N: number,
  K: number,
  cols: number[],
  s: Pick<QuantSettings, 'sym' | 'format'>,
  scale: Float32Array /* out [N] */,
  zero: Uint8Array /* out [N] */,
): void {
  for (let n = 0; n < N; n++) {
    let lo = 0;
    let hi = 0;
    for (const k of cols) {
      const v = w[n * K + k];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    let sc: number;
    let z: number;
    if (s.sym) {
      const m = Math.max(-lo, hi);
      sc = m === 0 ? 1 : (2 * m) / MAXQ;
      z = (MAXQ + 1) / 2;
    } else {
      if (lo === 0 && hi === 0) {
        lo = -1;
        hi = 1;
      }
      sc = (hi - lo) / MAXQ;
      z = Math.round(-lo / sc);
      if (s.format === 'v1' && z < 1) {
        z = 1;
        sc = Math.max(hi / (MAXQ - 1), -lo);
      }
    }
    // Scales are stored as f16: quantize with the stored value so the error compensation sees the real weights.
    let r = roundF16(sc);
    if (!(r > 0)) r = 2 ** -24;
    scale[n] = r;
    zero[n] = z;
  }
}

function quantizeValue(v: number, scale: number, zero: number): number {
  const q = Math.round(v / scale) + zero;
  return q < 0 ? 0 : q > MAXQ ? MAXQ : q;
}

function groupCount(K: number, groupSize: number): number {
  return groupSize === -1 ? 1 : Math.ceil(K / groupSize);
}

/**
 * Round-to-nearest. Groups follow `order` (default natural order, g = floor(k / G)); a permuted order gives
 * act-order style, non-monotonic g_idx (used for synthetic test models).
 */
export function quantizeRtn(w: Float32Array /* [N, K] */, N: number, K: number, s: QuantSettings, order?: number[]): QuantizedLinear {
  const G = s.groupSize === -1 ? K : s.groupSize;
  const nG = groupCount(K, s.groupSize);
  const q = new Uint8Array(N * K);
  const zeros = new Uint8Array(nG * N);
  const scales = new Float32Array(nG * N);
  const gIdx = new Int32Array(K);
  const ord = order ?? Array.from({ length: K }, (_, k) => k);
  for (let g = 0; g < nG; g++) {
    const cols: number[] = [];
    for (let j = g * G; j < Math.min(K, (g + 1) * G); j++) cols.push(ord[j]), (gIdx[ord[j]] = g);
    const sc = scales.subarray(g * N, (g + 1) * N);
    const z = zeros.subarray(g * N, (g + 1) * N);
    groupParams(w, N, K, cols, s, sc, z);
    for (let n = 0; n < N; n++) for (const k of cols) q[n * K + k] = quantizeValue(w[n * K + k], sc[n], z[n]);
  }
  return { q, zeros, scales, gIdx, K, N, groupSize: s.groupSize, format: s.format };
}

/** Accumulates the GPTQ Hessian H = 2/n · Σ x xᵀ over calibration inputs x [K] (column-major-free, [K, K]). */
export class HessianAccumulator {
  readonly H: Float64Array;
  count = 0;
  constructor(readonly K: number) {
    this.H = new Float64Array(K * K);
  }
  /** rows: [T, K] input vectors of this layer. */
  add(rows: Float32Array, T: number): void {
    const K = this.K;
    const H = this.H;
    for (let t = 0; t < T; t++) {
      const o = t * K;
      for (let i = 0; i < K; i++) {
        const xi = rows[o + i];
        if (xi === 0) continue;
        const hi = i * K;
        for (let j = i; j < K; j++) H[hi + j] += xi * rows[o + j];
      }
    }
    this.count += T;
  }
  /** The symmetric H = 2·XᵀX / n. */
  finish(): Float64Array {
    const K = this.K;
    const out = new Float64Array(K * K);
    const f = this.count > 0 ? 2 / this.count : 0;
    for (let i = 0; i < K; i++) {
      for (let j = i; j < K; j++) {
        out[i * K + j] = out[j * K + i] = this.H[i * K + j] * f;
      }
    }
    return out;
  }
}

/** Lower Cholesky factor L (A = L Lᵀ) of a symmetric positive definite [n, n] matrix; null when not PD. */
function cholesky(A: Float64Array, n: number): Float64Array | null {
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * n + j];
      for (let k = 0; k < j; k++) s -= L[i * n + k] * L[j * n + k];
      if (i === j) {
        if (!(s > 0)) return null;
        L[i * n + i] = Math.sqrt(s);
      } else L[i * n + j] = s / L[j * n + j];
    }
  }
  return L;
}

/** A⁻¹ of an SPD matrix from its lower Cholesky factor. */
function inverseFromCholesky(L: Float64Array, n: number): Float64Array {
  // Linv = L⁻¹ (lower), then A⁻¹ = Linvᵀ Linv.
  const Li = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    Li[i * n + i] = 1 / L[i * n + i];
    for (let j = 0; j < i; j++) {
      let s = 0;
      for (let k = j; k < i; k++) s -= L[i * n + k] * Li[k * n + j];
      Li[i * n + j] = s / L[i * n + i];
    }
  }
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = i; k < n; k++) s += Li[k * n + i] * Li[k * n + j];
      inv[i * n + j] = inv[j * n + i] = s;
    }
  }
  return inv;
}

/** Upper Cholesky factor U of H⁻¹ (H⁻¹ = Uᵀ U), after dampening H's diagonal by percdamp · mean(diag). */
export function dampedInverseCholeskyUpper(H: Float64Array, K: number, percdamp = 0.01): Float64Array {
  let meanDiag = 0;
  for (let i = 0; i < K; i++) meanDiag += H[i * K + i];
  meanDiag /= K;
  for (let attempt = 0; attempt < 8; attempt++) {
    const damp = percdamp * 10 ** attempt * (meanDiag > 0 ? meanDiag : 1);
    const Hd = H.slice();
    for (let i = 0; i < K; i++) Hd[i * K + i] += damp;
    const L = cholesky(Hd, K);
    if (!L) continue;
    const inv = inverseFromCholesky(L, K);
    const M = cholesky(inv, K);
    if (!M) continue;
    const U = new Float64Array(K * K);
    for (let i = 0; i < K; i++) for (let j = i; j < K; j++) U[i * K + j] = M[j * K + i];
    return U;
  }
  throw new AppError('INTERNAL', 'GPTQ: the Hessian stayed singular even with strong dampening; use more calibration text.');
}

/**
 * GPTQ on one layer. w [N, K] (nn.Linear layout), H [K, K] from HessianAccumulator.finish().
 * Returns integer values in the original column order with g_idx mapping each input to its group
 * (with act-order the groups follow the permuted order, so g_idx is non-monotonic).
 */
export function quantizeGptq(w: Float32Array, N: number, K: number, Hin: Float64Array, s: QuantSettings, percdamp = 0.01): QuantizedLinear {
  const H = Hin.slice();
  const W = Float64Array.from(w);
  // Dead inputs (never active in calibration): their weights cannot matter; quantize them as 0.
  for (let k = 0; k < K; k++) {
    if (H[k * K + k] === 0) {
      H[k * K + k] = 1;
      for (let n = 0; n < N; n++) W[n * K + k] = 0;
    }
  }
  // perm[j] = original column processed j-th.
  const perm = Array.from({ length: K }, (_, k) => k);
  if (s.actOrder) perm.sort((a, b) => H[b * K + b] - H[a * K + a] || a - b);
  const Wp = new Float64Array(N * K);
  const Hp = new Float64Array(K * K);
  for (let n = 0; n < N; n++) for (let j = 0; j < K; j++) Wp[n * K + j] = W[n * K + perm[j]];
  for (let i = 0; i < K; i++) for (let j = 0; j < K; j++) Hp[i * K + j] = H[perm[i] * K + perm[j]];
  const U = dampedInverseCholeskyUpper(Hp, K, percdamp);

  const G = s.groupSize === -1 ? K : s.groupSize;
  const nG = groupCount(K, s.groupSize);
  const qPerm = new Uint8Array(N * K);
  const zeros = new Uint8Array(nG * N);
  const scales = new Float32Array(nG * N);
  const allCols = Array.from({ length: K }, (_, k) => k);
  let sc = scales.subarray(0, N);
  let z = zeros.subarray(0, N);
  if (s.groupSize === -1) groupParams(Wp, N, K, allCols, s, sc, z);
  const err = new Float64Array(N);
  for (let j = 0; j < K; j++) {
    if (s.groupSize !== -1 && j % G === 0) {
      const g = j / G;
      sc = scales.subarray(g * N, (g + 1) * N);
      z = zeros.subarray(g * N, (g + 1) * N);
      groupParams(Wp, N, K, allCols.slice(j, Math.min(K, j + G)), s, sc, z);
    }
    const d = U[j * K + j];
    for (let n = 0; n < N; n++) {
      const v = Wp[n * K + j];
      const qi = quantizeValue(v, sc[n], z[n]);
      qPerm[n * K + j] = qi;
      err[n] = (v - sc[n] * (qi - z[n])) / d;
    }
    // Spread the error over the columns not yet quantized: W[:, j+1:] -= err · U[j, j+1:].
    for (let n = 0; n < N; n++) {
      const e = err[n];
      if (e === 0) continue;
      const row = n * K;
      for (let c = j + 1; c < K; c++) Wp[row + c] -= e * U[j * K + c];
    }
  }
  const q = new Uint8Array(N * K);
  const gIdx = new Int32Array(K);
  for (let j = 0; j < K; j++) {
    const k = perm[j];
    gIdx[k] = Math.floor(j / G);
    for (let n = 0; n < N; n++) q[n * K + k] = qPerm[n * K + j];
  }
  return { q, zeros, scales, gIdx, K, N, groupSize: s.groupSize, format: s.format };
}

/** W [N, K] that the quantized values stand for (same formula as dequantGptq, before packing). */
export function dequantizeQuantized(t: QuantizedLinear): Float32Array {
  const { K, N } = t;
  const W = new Float32Array(N * K);
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      const g = t.gIdx![k];
      W[n * K + k] = t.scales[g * N + n] * (t.q[n * K + k] - t.zeros[g * N + n]);
    }
  }
  return W;
}
