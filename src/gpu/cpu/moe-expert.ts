// CPU twins of shaders/moe-expert-gate-up.wgsl and shaders/moe-expert-down.wgsl on the packed expert layout of
// src/model/moe-expert-pack.ts (f32 accumulation in the kernels' order).
import type { PackedExperts } from '../../model/moe-expert-pack';
import { f16BitsToF32 as f16 } from '../../shared/f16';

function chunkOf(p: PackedExperts, e: number) {
  const c = p.chunks.find((c) => e >= c.e0 && e < c.e0 + c.n);
  if (!c) throw new Error(`expert ${e} is in no chunk`);
  return c;
}

/** Row `row` of expert e, dotted with x (the kernels' row_dot): Σ_g s·(Σ_p x[perm p]·q − z·Σ_p x[perm p]). */
function rowDot(p: PackedExperts, e: number, row: number, part: number, nParts: number, x: Float32Array, xb: number): number {
  const f = Math.fround;
  const c = chunkOf(p, e);
  const el = e - c.e0, W8 = p.K / 8, gw = p.groupSize / 8;
  const r = el * p.rows + row, pb = (el * nParts + part) * p.K;
  const sz = new Uint32Array(1);
  const scaleBits = new Uint16Array(sz.buffer, 0, 1);
  let acc = 0;
  for (let g = 0; g < p.nGroups; g++) {
    let dq = 0, xsum = 0;
    for (let wi = g * gw; wi < Math.min((g + 1) * gw, W8); wi++) {
      const word = c.words[r * W8 + wi];
      for (let j = 0; j < 8; j++) {
        const xv = x[xb + c.perm[pb + wi * 8 + j]];
        dq = f(dq + f(xv * ((word >>> (4 * j)) & 15)));
        xsum = f(xsum + xv);
      }
    }
    sz[0] = c.sz[r * p.nGroups + g];
    acc = f(acc + f(f16(scaleBits[0]) * f(dq - f(((sz[0] >>> 16) & 0xff) * xsum))));
  }
  return acc;
}

/** act[t, j, n] = w · silu(gate_e[n]·x[t]) · (up_e[n]·x[t]) for F = rows / 2. */
export function moeExpertGateUpCpu(p: PackedExperts, x: Float32Array /* [M, K] */, route: Uint32Array /* [M, k, 2] */, m: number, topK: number): Float32Array /* [M, k, F] */ {
  const F = p.rows / 2;
  const wf = new Float32Array(route.buffer, route.byteOffset, route.length);
  const out = new Float32Array(m * topK * F);
  for (let tj = 0; tj < m * topK; tj++) {
    const t = Math.floor(tj / topK), e = route[2 * tj], w = wf[2 * tj + 1];
    for (let n = 0; n < F; n++) {
      const g = rowDot(p, e, n, 0, 2, x, t * p.K);
      const u = rowDot(p, e, F + n, 1, 2, x, t * p.K);
      out[tj * F + n] = Math.fround(w * Math.fround(Math.fround(g / Math.fround(1 + Math.exp(-g))) * u));
    }
  }
  return out;
}

/** y[t, n] += Σ_j down_e[n] · act[t, j, :] (y is updated in place and returned). */
export function moeExpertDownCpu(p: PackedExperts, act: Float32Array /* [M, k, F] */, route: Uint32Array, m: number, topK: number, y: Float32Array /* [M, D] */): Float32Array {
  const D = p.rows;
  for (let t = 0; t < m; t++) {
    for (let n = 0; n < D; n++) {
      let total = 0;
      for (let j = 0; j < topK; j++) total = Math.fround(total + rowDot(p, route[2 * (t * topK + j)], n, 0, 1, act, (t * topK + j) * p.K));
      y[t * D + n] = Math.fround(y[t * D + n] + total);
    }
  }
  return y;
}
