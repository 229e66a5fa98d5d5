// All experts' GPTQ projections of one MoE layer concatenated, in expert chunks that each fit one binding, in
// the layout of shaders/moe-expert-gate-up.wgsl / moe-expert-down.wgsl (the expert id read on the GPU offsets
// into them):
//   gate+up chunk: words u32 [n, 2F, K/8] (per expert the F gate rows, then the F up rows), sz u32 [n, 2F, nG],
//                  perm u32 [n, 2, K] (gate's, up's);
//   down chunk:    words u32 [n, D, F/8], sz u32 [n, D, nG], perm u32 [n, F].
// Each part comes from repackGptq (src/gpu/gptq-repack.ts): rows [N, K/8] row-major, sz [N, nG] row-major,
// perm null = identity (stored as the identity here so the kernel has one code path).
import type { PackedGptq } from '../gpu/gptq-repack';
import { AppError } from '../shared/errors';

export interface ExpertChunk {
  /** First expert of the chunk and how many it holds. */
  e0: number;
  n: number;
  words: Uint32Array;
  sz: Uint32Array;
  perm: Uint32Array;
  /** Every permutation of the chunk is the identity (no act-order): the kernels skip it (vec4 fast path). */
  identity: boolean;
}

export interface PackedExperts {
  K: number;
  /** Rows per expert (2F for gate+up, D for down). */
  rows: number;
  groupSize: number;
  nGroups: number;
  chunks: ExpertChunk[];
}

/** Bytes one expert takes in the largest of its three buffers (words). */
function expertWordBytes(rows: number, K: number): number {
  return rows * (K / 8) * 4;
}

/**
 * Packs `experts[e]` = the parts of expert e (gate and up, or down alone), all with the same K and group size,
 * into chunks of at most `maxBindingBytes` per buffer.
 */
export function packExperts(experts: PackedGptq[][], maxBindingBytes: number): PackedExperts {
  const first = experts[0][0];
  const K = first.K, G = first.groupSize, nG = first.nGroups;
  for (const parts of experts) {
    for (const t of parts) {
      if (t.K !== K || t.groupSize !== G || t.N !== parts[0].N) throw new AppError('MALFORMED_WEIGHTS', `The experts of one MoE layer must share their shapes and group size (got ${t.K}→${t.N} g${t.groupSize} next to ${K}→${first.N} g${G}).`);
      if (t.bias) throw new AppError('UNSUPPORTED_MODEL', 'MoE expert projections with a bias are not supported.');
    }
  }
  const rows = experts[0].reduce((a, t) => a + t.N, 0);
  const perExpert = Math.max(expertWordBytes(rows, K), rows * nG * 4, experts[0].length * K * 4);
  const per = Math.floor(maxBindingBytes / perExpert);
  if (per < 1) throw new AppError('ADAPTER_TOO_SMALL', `One expert needs a ${(perExpert / 2 ** 20).toFixed(1)} MiB binding; this GPU allows ${(maxBindingBytes / 2 ** 20).toFixed(1)} MiB. Pick a smaller model.`);
  const chunks: ExpertChunk[] = [];
  const W8 = K / 8;
  for (let e0 = 0; e0 < experts.length; e0 += per) {
    const n = Math.min(per, experts.length - e0);
    const words = new Uint32Array(n * rows * W8);
    const sz = new Uint32Array(n * rows * nG);
    const perm = new Uint32Array(n * experts[0].length * K);
    let identity = true;
    for (let el = 0; el < n; el++) {
      let r0 = 0;
      experts[e0 + el].forEach((t, part) => {
        words.set(t.words, (el * rows + r0) * W8);
        sz.set(t.sz, (el * rows + r0) * nG);
        const pb = (el * experts[0].length + part) * K;
        if (t.perm) perm.set(t.perm, pb), (identity = false);
        else for (let k = 0; k < K; k++) perm[pb + k] = k;
        r0 += t.N;
      });
    }
    chunks.push({ e0, n, words, sz, perm, identity });
  }
  return { K, rows, groupSize: G, nGroups: nG, chunks };
}
