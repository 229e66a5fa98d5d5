import type { PackedGptq } from '../gptq-repack';

/**
 * CPU twin of shaders/gptq-prepare-x.wgsl (and, after rmsNormCpu / siluMulCpu, of gptq-prepare-norm.wgsl and the
 * glu mode): x f32 [M, K] → xs [M, K] = x[perm[p]] · 16^-(p % 4) in packed order, gsum [M, nGroups] = the unscaled
 * sum of each group's x, in f32, positions in order.
 */
export function gptqPrepareCpu(x: Float32Array, w: Pick<PackedGptq, 'K' | 'groupSize' | 'nGroups' | 'perm'>): { xs: Float32Array; gsum: Float32Array } {
  const f = Math.fround;
  const { K, groupSize, nGroups, perm } = w;
  const M = x.length / K;
  const xs = new Float32Array(M * K), gsum = new Float32Array(M * nGroups);
  for (let i = 0; i < M; i++) {
    for (let g = 0; g < nGroups; g++) {
      let s = 0;
      for (let p = g * groupSize; p < Math.min((g + 1) * groupSize, K); p++) {
        const v = x[i * K + (perm ? perm[p] : p)];
        s = f(s + v);
        xs[i * K + p] = f(v * 16 ** -(p & 3));
      }
      gsum[i * nGroups + g] = s;
    }
  }
  return { xs, gsum };
}
