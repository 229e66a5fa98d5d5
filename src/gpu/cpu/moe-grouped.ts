// CPU twins of the grouped prefill kernels (src/gpu/kernels/moe-grouped.ts): shaders/moe-group.wgsl,
// shaders/moe-expert-down-grouped.wgsl (per-slot down outputs) and shaders/moe-combine.wgsl. The grouped
// gate/up's twin is moeExpertGateUpCpu (src/gpu/cpu/moe-expert.ts): same result.
import type { PackedExperts } from '../../model/moe-expert-pack';
import { moeExpertDownCpu } from './moe-expert';

/** groups [E, 1 + maxM]: count, then the slots s = t·k + j that chose e, in slot order. */
export function moeGroupCpu(route: Uint32Array /* [M, k, 2] */, m: number, topK: number, nExperts: number, maxM: number): Uint32Array {
  const g = new Uint32Array(nExperts * (1 + maxM));
  for (let s = 0; s < m * topK; s++) {
    const e = route[2 * s], base = e * (1 + maxM);
    g[base + 1 + g[base]++] = s;
  }
  return g;
}

/** out[s, n] = down_e(s)[n] · act[s, :] for every slot s (D = p.rows). */
export function moeExpertDownSlotsCpu(p: PackedExperts, act: Float32Array /* [M, k, F] */, route: Uint32Array, m: number, topK: number): Float32Array /* [M, k, D] */ {
  const D = p.rows, F = p.K;
  const out = new Float32Array(m * topK * D);
  const one = new Uint32Array(2);
  for (let s = 0; s < m * topK; s++) {
    one[0] = route[2 * s];
    one[1] = route[2 * s + 1];
    out.set(moeExpertDownCpu(p, act.subarray(s * F, (s + 1) * F), one, 1, 1, new Float32Array(D)), s * D);
  }
  return out;
}

/** y[t, n] += Σ_j out[t, j, n]. */
export function moeCombineCpu(out: Float32Array, y: Float32Array, m: number, topK: number, D: number): Float32Array {
  for (let t = 0; t < m; t++) {
    for (let n = 0; n < D; n++) {
      let s = 0;
      for (let j = 0; j < topK; j++) s = Math.fround(s + out[(t * topK + j) * D + n]);
      y[t * D + n] = Math.fround(y[t * D + n] + s);
    }
  }
  return y;
}
