// Synthetic models for benchmarks: the real shapes of known checkpoints with random GPTQ weights made on the
// spot (no download), so decode/prefill speed can be measured at full size. Random 4-bit words and f16
// scales, zero 8 (symmetric), group 128; the embedding and lm_head are random f16.
import type { GpuContext } from '../gpu/context';
import { uploadBuffer } from '../gpu/context';
import { destroyDense, uploadDense } from '../gpu/dense-weight';
import { concatPackedGptq, destroyGptq, uploadGptq, type PackedGptq } from '../gpu/gptq-repack';
import { AppError } from '../shared/errors';
import type { LlamaConfig } from './config';
import { f32ToF16Bits } from '../shared/f16';
import type { GpuLayerWeights, GpuLinear, GpuLlamaWeights } from './weights-gpu';

const base = {
  rmsNormEps: 1e-5,
  ropeScaling: null,
  bosTokenId: 1,
  eosTokenIds: [2],
  quant: { bits: 4 as const, groupSize: 128, descAct: false, sym: true, format: 'v1' as const },
};

export const SYNTHETIC_SHAPES: Record<string, LlamaConfig> = {
  'tinyllama-1.1b': { ...base, hiddenSize: 2048, intermediateSize: 5632, numLayers: 22, numHeads: 32, numKvHeads: 4, headDim: 64, ropeTheta: 10000, maxPositionEmbeddings: 2048, vocabSize: 32000, tieWordEmbeddings: false },
  'llama-3.2-1b': { ...base, hiddenSize: 2048, intermediateSize: 8192, numLayers: 16, numHeads: 32, numKvHeads: 8, headDim: 64, ropeTheta: 500000, maxPositionEmbeddings: 131072, vocabSize: 128256, tieWordEmbeddings: true, bosTokenId: 128000, eosTokenIds: [128001, 128009], ropeScaling: { type: 'llama3', factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 } },
  'llama-2-7b': { ...base, hiddenSize: 4096, intermediateSize: 11008, numLayers: 32, numHeads: 32, numKvHeads: 32, headDim: 128, ropeTheta: 10000, maxPositionEmbeddings: 4096, vocabSize: 32000, tieWordEmbeddings: false },
  // A small shape for quick checks of the bench command itself.
  'tiny-test': { ...base, hiddenSize: 256, intermediateSize: 688, numLayers: 2, numHeads: 8, numKvHeads: 2, headDim: 32, ropeTheta: 10000, maxPositionEmbeddings: 512, vocabSize: 1024, tieWordEmbeddings: false },
};

/** xorshift32 filler: fast enough for gigabytes. */
function fillRandom(words: Uint32Array, seed: number): void {
  let s = seed >>> 0 || 1;
  for (let i = 0; i < words.length; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    words[i] = s;
  }
}

function randomPacked(K: number, N: number, groupSize: number, seed: number): PackedGptq {
  const nGroups = Math.ceil(K / groupSize);
  const words = new Uint32Array((N * K) / 8);
  fillRandom(words, seed);
  const sz = new Uint32Array(N * nGroups);
  const scaleBits = f32ToF16Bits(0.02 / Math.sqrt(K / 256));
  sz.fill(scaleBits | (8 << 16));
  return { K, N, groupSize, nGroups, words, sz, perm: null, bias: null };
}

function randomF16(n: number, seed: number, scale: number): Uint16Array {
  const out = new Uint16Array(n);
  let s = seed >>> 0 || 1;
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) table[i] = f32ToF16Bits(((i / 255) * 2 - 1) * scale);
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    out[i] = table[s & 255];
  }
  return out;
}

export function syntheticConfig(name: string): LlamaConfig {
  const cfg = SYNTHETIC_SHAPES[name];
  if (!cfg) throw new AppError('BAD_ARGUMENT', `Unknown synthetic model ${JSON.stringify(name)}; known: ${Object.keys(SYNTHETIC_SHAPES).join(', ')}.`);
  return cfg;
}

/** What makeSyntheticWeights made, handed over (when asked) before upload, e.g. to write the same weights for another engine. */
export type SyntheticHostTensor = { name: string; gptq: PackedGptq } | { name: string; f16: Uint16Array /* [rows, cols] */; rows: number; cols: number };

/** `fuse` (default true): q/k/v and gate/up stacked into one linear each, as uploadLlamaWeights does (UploadOptions.fuse). */
export function makeSyntheticWeights(ctx: GpuContext, cfg: LlamaConfig, seed = 1, onHost?: (t: SyntheticHostTensor) => void, opts: { fuse?: boolean } = {}): GpuLlamaWeights {
  const D = cfg.hiddenSize, F = cfg.intermediateSize, qDim = cfg.numHeads * cfg.headDim, kvDim = cfg.numKvHeads * cfg.headDim;
  const G = cfg.quant!.groupSize;
  let bytes = 0;
  const buffers: GPUBuffer[] = [];
  const packed = (K: number, N: number, s: number, name: string): PackedGptq => {
    const p = randomPacked(K, N, G, s);
    onHost?.({ name, gptq: p });
    bytes += p.words.byteLength + p.sz.byteLength;
    return p;
  };
  const up = (p: PackedGptq): GpuLinear => ({ kind: 'gptq', w: uploadGptq(ctx, p), K: p.K, N: p.N });
  const lin = (K: number, N: number, s: number, name: string): GpuLinear => up(packed(K, N, s, name));
  const fuse = opts.fuse !== false;
  const ones = new Float32Array(D).fill(1);
  const norm = () => {
    const b = uploadBuffer(ctx, ones);
    buffers.push(b);
    bytes += ones.byteLength;
    return b;
  };
  const embedF16 = randomF16(cfg.vocabSize * D, seed, 0.05);
  onHost?.({ name: 'embedding', f16: embedF16, rows: cfg.vocabSize, cols: D });
  const embedding = uploadDense(ctx, { f16: embedF16 }, cfg.vocabSize, D);
  bytes += cfg.vocabSize * D * 2;
  const layers: GpuLayerWeights[] = [];
  for (let l = 0; l < cfg.numLayers; l++) {
    const s = seed * 1000 + l * 10;
    const q = packed(D, qDim, s + 1, `layers.${l}.q`), k = packed(D, kvDim, s + 2, `layers.${l}.k`), v = packed(D, kvDim, s + 3, `layers.${l}.v`);
    const attn = fuse ? { qkv: up(concatPackedGptq([q, k, v])!) } : { q: up(q), k: up(k), v: up(v) };
    const o = lin(qDim, D, s + 4, `layers.${l}.o`);
    const gate = packed(D, F, s + 5, `layers.${l}.gate`), upP = packed(D, F, s + 6, `layers.${l}.up`);
    const mlp = fuse ? { gateUp: up(concatPackedGptq([gate, upP])!) } : { gate: up(gate), up: up(upP) };
    layers.push({ attnNorm: norm(), ffnNorm: norm(), ...attn, o, ...mlp, down: lin(F, D, s + 7, `layers.${l}.down`) });
  }
  let lmHead: GpuLinear;
  if (cfg.tieWordEmbeddings) lmHead = { kind: 'dense', w: embedding, K: D, N: cfg.vocabSize };
  else {
    const headF16 = randomF16(cfg.vocabSize * D, seed + 7, 0.05);
    onHost?.({ name: 'lmHead', f16: headF16, rows: cfg.vocabSize, cols: D });
    lmHead = { kind: 'dense', w: uploadDense(ctx, { f16: headF16 }, cfg.vocabSize, D), K: D, N: cfg.vocabSize };
    bytes += cfg.vocabSize * D * 2;
  }
  const finalNorm = norm();
  return {
    embedding, layers, finalNorm, lmHead, bytes,
    destroy() {
      for (const b of buffers) b.destroy();
      destroyDense(embedding);
      if (lmHead.kind === 'dense' && lmHead.w !== embedding) destroyDense(lmHead.w);
      for (const L of layers) for (const l of [L.q, L.k, L.v, L.qkv, L.o, L.gate, L.up, L.gateUp, L.down]) if (l?.kind === 'gptq') destroyGptq(l.w);
    },
  };
}

/** Bytes a decode step reads: every linear's packed weights and scales, lm_head, norms (not the one embedding row). */
export function decodeBytesPerToken(w: GpuLlamaWeights): number {
  const linBytes = (l: GpuLinear) =>
    l.kind === 'gptq' ? l.N * (l.K / 2) + l.N * l.w.nGroups * 4 : l.N * l.K * (l.w.dtype === 'f16' ? 2 : 4);
  let b = linBytes(w.lmHead);
  for (const L of w.layers) {
    b += [L.q, L.k, L.v, L.qkv, L.o, L.gate, L.up, L.gateUp, L.down].reduce((s, l) => s + (l ? linBytes(l) : 0), 0);
    // An 8-bit GPTQ layer is read twice over: its high 4-bit half above, its low half here.
    b += Object.values(L.lowHalf ?? {}).reduce((s, l) => s + (l ? linBytes(l) : 0), 0);
  }
  return b;
}
