// Synthetic mixture-of-experts bench shapes (no download): the published shapes of real MoE checkpoints with
// random 4-bit experts made on the spot, so MoE decode/prefill speed can be measured at full size.
//   qwen3-30b-a3b: Qwen/Qwen3-30B-A3B (48 layers, 128 experts of 768, top-8, GQA 32/4 × 128, vocab 151936)
//   olmoe-like:    allenai/OLMoE-1B-7B-0924's shape (16 layers, 64 experts of 1024, top-8, MHA 16 × 128,
//                  vocab 50304; ~1B active / ~7B total). Its whole-projection q/k norm is left out (the GPU
//                  engine does not run it yet; it reads 2·2048 floats per layer, nothing next to the experts).
//   moe-tiny-test: a small shape for quick checks of the bench command itself.
// The dense skeleton (embedding, attention, lm_head) comes from makeSyntheticWeights; each sparse layer gets a
// random f16 router and random GPTQ experts in the chunked layout of src/model/moe-expert-pack.ts.
import type { GpuContext } from '../gpu/context';
import { destroyDense, uploadDense } from '../gpu/dense-weight';
import { destroyGptq } from '../gpu/gptq-repack';
import { maxExpertBindingBytes, uploadExperts, type GpuExperts } from '../gpu/kernels/moe-expert';
import { f32ToF16Bits } from '../shared/f16';
import type { LlamaConfig } from './config';
import type { PackedExperts } from './moe-expert-pack';
import type { GpuMoeLayer } from './moe-weights-gpu';
import { makeSyntheticWeights } from './synthetic';
import type { GpuLinear, GpuLlamaWeights } from './weights-gpu';

const base = {
  rmsNormEps: 1e-6,
  ropeScaling: null,
  bosTokenId: 1,
  eosTokenIds: [2],
  quant: { bits: 4 as const, groupSize: 128, descAct: false, sym: true, format: 'v1' as const },
};
const allSparse = (n: number) => Array.from({ length: n }, () => true);

export const SYNTHETIC_MOE_SHAPES: Record<string, LlamaConfig> = {
  'qwen3-30b-a3b': {
    ...base, architecture: 'qwen3_moe', hiddenSize: 2048, intermediateSize: 6144, numLayers: 48, numHeads: 32, numKvHeads: 4, headDim: 128, ropeTheta: 1e6, maxPositionEmbeddings: 40960, vocabSize: 151936, tieWordEmbeddings: false,
    moe: { numExperts: 128, topK: 8, normTopK: true, expertIntermediateSize: 768, sharedExpertIntermediateSize: 0, sparse: allSparse(48) },
  },
  'olmoe-like': {
    ...base, architecture: 'olmoe', hiddenSize: 2048, intermediateSize: 1024, numLayers: 16, numHeads: 16, numKvHeads: 16, headDim: 128, ropeTheta: 10000, maxPositionEmbeddings: 4096, vocabSize: 50304, tieWordEmbeddings: false,
    moe: { numExperts: 64, topK: 8, normTopK: false, expertIntermediateSize: 1024, sharedExpertIntermediateSize: 0, sparse: allSparse(16) },
  },
  'moe-tiny-test': {
    ...base, architecture: 'qwen3_moe', hiddenSize: 256, intermediateSize: 688, numLayers: 2, numHeads: 8, numKvHeads: 2, headDim: 32, ropeTheta: 10000, maxPositionEmbeddings: 512, vocabSize: 1024, tieWordEmbeddings: false,
    moe: { numExperts: 16, topK: 4, normTopK: true, expertIntermediateSize: 128, sharedExpertIntermediateSize: 0, sparse: allSparse(2) },
  },
};

function xorshift(words: Uint32Array, seed: number): void {
  let s = seed >>> 0 || 1;
  for (let i = 0; i < words.length; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    words[i] = s;
  }
}

/** Random experts in the chunked layout: words random, scale·(q − 8) with one f16 scale, identity permutation. */
function randomExperts(nExperts: number, rows: number, K: number, parts: number, G: number, maxBinding: number, seed: number): PackedExperts {
  const nG = Math.ceil(K / G);
  const perExpert = Math.max(rows * (K / 8) * 4, rows * nG * 4, parts * K * 4);
  const per = Math.max(1, Math.floor(maxBinding / perExpert));
  const scaleBits = f32ToF16Bits(0.02 / Math.sqrt(K / 256));
  const chunks = [];
  for (let e0 = 0; e0 < nExperts; e0 += per) {
    const n = Math.min(per, nExperts - e0);
    const words = new Uint32Array(n * rows * (K / 8));
    xorshift(words, seed + e0);
    const sz = new Uint32Array(n * rows * nG).fill(scaleBits | (8 << 16));
    const perm = new Uint32Array(n * parts * K);
    for (let i = 0; i < perm.length; i++) perm[i] = i % K;
    chunks.push({ e0, n, words, sz, perm, identity: true });
  }
  return { K, rows, groupSize: G, nGroups: nG, chunks };
}

/** The dense skeleton with every sparse layer's MLP replaced by a random router + experts. */
export function makeSyntheticMoeWeights(ctx: GpuContext, cfg: LlamaConfig, seed = 1, opts: { fuse?: boolean } = {}): GpuLlamaWeights {
  const moe = cfg.moe!;
  const D = cfg.hiddenSize, F = moe.expertIntermediateSize, E = moe.numExperts, G = cfg.quant!.groupSize;
  // A skeleton with an 8-wide dense MLP per layer (dropped again below) so no full-width dense MLP is allocated.
  const w = makeSyntheticWeights(ctx, { ...cfg, moe: null, intermediateSize: 128 }, seed, undefined, opts);
  const limit = maxExpertBindingBytes(ctx);
  const extra: GPUBuffer[] = [];
  const routers: GpuLinear[] = [];
  let bytes = w.bytes;
  w.layers.forEach((L, l) => {
    if (!moe.sparse[l]) return;
    for (const lin of [L.gate, L.up, L.gateUp, L.down]) if (lin?.kind === 'gptq') { destroyGptq(lin.w); bytes -= lin.N * (lin.K / 2) + lin.N * lin.w.nGroups * 4; }
    delete L.gate; delete L.up; delete L.gateUp; delete L.down;
    const r = new Uint16Array(E * D);
    const words = new Uint32Array(r.buffer);
    xorshift(words, seed * 7919 + l);
    for (let i = 0; i < r.length; i++) r[i] = f32ToF16Bits(((r[i] & 255) / 255 - 0.5) * 0.1);
    const router: GpuLinear = { kind: 'dense', w: uploadDense(ctx, { f16: r }, E, D), K: D, N: E };
    routers.push(router);
    const up = (p: PackedExperts, label: string): GpuExperts => {
      const u = uploadExperts(ctx, p, label);
      extra.push(...u.buffers);
      bytes += u.bytes;
      return u.w;
    };
    const layer: GpuMoeLayer = {
      router,
      gateUp: up(randomExperts(E, 2 * F, D, 2, G, limit, seed * 100 + l * 2), `layers.${l}.experts.gate_up`),
      down: up(randomExperts(E, D, F, 1, G, limit, seed * 100 + l * 2 + 1), `layers.${l}.experts.down`),
    };
    bytes += E * D * 2;
    L.moe = layer;
  });
  const destroy = w.destroy;
  return {
    ...w,
    bytes,
    destroy() {
      destroy();
      for (const b of extra) b.destroy();
      for (const r of routers) if (r.kind === 'dense') destroyDense(r.w);
    },
  };
}

/**
 * Bytes one decode step reads in an MoE model: attention (q/k/v/o) + lm_head of every layer, the dense MLP of
 * dense layers, and in sparse layers the router plus the top-k chosen experts (+ the shared expert), not the
 * other experts. `decodeBytesPerToken` (src/model/synthetic.ts) counts the dense part.
 */
export function moeExpertBytesPerToken(w: GpuLlamaWeights, cfg: LlamaConfig): number {
  const moe = cfg.moe;
  if (!moe) return 0;
  const linBytes = (l: GpuLinear) => (l.kind === 'gptq' ? l.N * (l.K / 2) + l.N * l.w.nGroups * 4 : l.N * l.K * (l.w.dtype === 'f16' ? 2 : 4));
  const expertBytes = (x: GpuExperts) => x.rows * (x.K / 2) + x.rows * x.nGroups * 4; // words + scales of one expert
  let b = 0;
  for (const L of w.layers) {
    if (!L.moe) continue;
    b += linBytes(L.moe.router) + moe.topK * (expertBytes(L.moe.gateUp) + expertBytes(L.moe.down));
    if (L.moe.shared) b += [L.moe.shared.gate, L.moe.shared.up, L.moe.shared.down, L.moe.shared.gateLogit].reduce((s, l) => s + linBytes(l), 0);
  }
  return b;
}

/** All experts' bytes (what must fit in GPU memory) next to what a decode step reads. */
export function moeTotalExpertBytes(cfg: LlamaConfig): number {
  const moe = cfg.moe;
  if (!moe) return 0;
  const G = cfg.quant?.groupSize && cfg.quant.groupSize > 0 ? cfg.quant.groupSize : cfg.hiddenSize;
  const D = cfg.hiddenSize, F = moe.expertIntermediateSize;
  const one = 3 * D * F / 2 + (2 * F * Math.ceil(D / G) + D * Math.ceil(F / G)) * 4;
  return moe.sparse.filter(Boolean).length * moe.numExperts * one;
}
