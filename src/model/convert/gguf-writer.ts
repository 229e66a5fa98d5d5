// Writes an fp32 GGUF (v3) from fp32 weights in HF layout, so llama.cpp can serve as an independent reference
// for any model this project makes (random test models, dequantized GPTQ/AWQ models). Architectures: llama
// (also mistral without a sliding window): q/k rows go back to llama.cpp's interleaved RoPE order, llama3 rope
// scaling becomes rope_freqs.weight; qwen2 (q/k/v biases) and qwen3 (attn_q_norm / attn_k_norm): llama.cpp
// rotates these NEOX-style (rotate_half), the HF row order as it is. Mixture of experts (every layer sparse):
// mixtral (as llama), qwen2moe (+ shared expert and its sigmoid gate) and qwen3moe (norm_topk_prob true only).
import { AppError } from '../../shared/errors';
import type { Llama3RopeScaling, LlamaConfig } from '../config';
import type { LlamaWeightsF32 } from '../reference';
import type { SpmVocab } from './spm-vocab';

/** Inverse of permuteInterleavedToHalf: HF row h*(d/2)+i → interleaved row 2i+h. */
export function permuteHalfToInterleaved(w: Float32Array, heads: number, headDim: number, cols: number): Float32Array {
  const out = new Float32Array(w.length);
  const half = headDim / 2;
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < half; i++) {
      for (let j = 0; j < 2; j++) {
        const src = h * headDim + j * half + i;
        const dst = h * headDim + 2 * i + j;
        out.set(w.subarray(src * cols, (src + 1) * cols), dst * cols);
      }
    }
  }
  return out;
}

/** llama.cpp's rope_freqs factors for llama3 scaling: theta_i is divided by factor_i. [headDim/2] fp32. */
export function llama3RopeFactors(cfg: LlamaConfig, s: Llama3RopeScaling): Float32Array {
  const half = cfg.headDim / 2;
  const out = new Float32Array(half);
  const lowWl = s.originalMaxPositionEmbeddings / s.lowFreqFactor;
  const highWl = s.originalMaxPositionEmbeddings / s.highFreqFactor;
  for (let i = 0; i < half; i++) {
    const freq = 1 / Math.pow(cfg.ropeTheta, (2 * i) / cfg.headDim);
    const wl = (2 * Math.PI) / freq;
    if (wl < highWl) out[i] = 1;
    else if (wl > lowWl) out[i] = s.factor;
    else {
      const t = (s.originalMaxPositionEmbeddings / wl - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
      out[i] = 1 / ((1 - t) / s.factor + t);
    }
  }
  return out;
}

/**
 * How a model's rope scaling is said in GGUF: llama3 scaling as a rope_freqs.weight tensor of per-frequency
 * divisors; linear and YaRN scaling in llama.cpp's own keys (rope.scaling.type, rope.scaling.factor, and for YaRN
 * the original context and the two betas), so that llama.cpp applies its own reading of them.
 */
export function ropeScalingForGguf(cfg: LlamaConfig, arch: string): { kv: [string, KvValue][]; freqFactors: Float32Array | null } {
  const s = cfg.ropeScaling;
  if (!s) return { kv: [], freqFactors: null };
  if (s.type === 'linear') {
    return {
      kv: [
        [`${arch}.rope.scaling.type`, { type: 'string', value: 'linear' }],
        [`${arch}.rope.scaling.factor`, { type: 'f32', value: s.factor }],
      ],
      freqFactors: null,
    };
  }
  if (s.type === 'yarn') {
    // llama.cpp always rounds the ramp's ends to whole dimensions and derives the magnitude from the factor, as
    // 1 + 0.1·ln(factor) for any factor (config.ts yarnMscale, HF's, is 1 below a factor of 1: not the same here).
    if (!s.truncate) throw new AppError('UNSUPPORTED_MODEL', 'GGUF export: YaRN with rope_scaling.truncate false has no llama.cpp equivalent.');
    if (Math.abs(s.attentionFactor - (0.1 * Math.log(s.factor) + 1)) > 1e-6) {
      throw new AppError('UNSUPPORTED_MODEL', `GGUF export: a YaRN attention factor (${s.attentionFactor}) other than 0.1·ln(factor) + 1 is not written.`);
    }
    return {
      kv: [
        [`${arch}.rope.scaling.type`, { type: 'string', value: 'yarn' }],
        [`${arch}.rope.scaling.factor`, { type: 'f32', value: s.factor }],
        [`${arch}.rope.scaling.original_context_length`, { type: 'u32', value: s.originalMaxPositionEmbeddings }],
        [`${arch}.rope.scaling.yarn_beta_fast`, { type: 'f32', value: s.betaFast }],
        [`${arch}.rope.scaling.yarn_beta_slow`, { type: 'f32', value: s.betaSlow }],
      ],
      freqFactors: null,
    };
  }
  return { kv: [], freqFactors: llama3RopeFactors(cfg, s) };
}

export type KvValue = { type: 'u32' | 'f32' | 'string'; value: number | string } | { type: 'array'; of: 'string' | 'f32' | 'i32'; value: (string | number)[] };

export class ByteWriter {
  private chunks: Uint8Array[] = [];
  length = 0;
  private enc = new TextEncoder();
  bytes(b: Uint8Array) {
    this.chunks.push(b);
    this.length += b.byteLength;
  }
  private num(n: number, size: number, f: (dv: DataView) => void) {
    const b = new Uint8Array(size);
    f(new DataView(b.buffer));
    this.bytes(b);
    void n;
  }
  u32(n: number) {
    this.num(n, 4, (dv) => dv.setUint32(0, n, true));
  }
  i32(n: number) {
    this.num(n, 4, (dv) => dv.setInt32(0, n, true));
  }
  u64(n: number) {
    this.num(n, 8, (dv) => dv.setBigUint64(0, BigInt(n), true));
  }
  f32(n: number) {
    this.num(n, 4, (dv) => dv.setFloat32(0, n, true));
  }
  str(s: string) {
    const b = this.enc.encode(s);
    this.u64(b.byteLength);
    this.bytes(b);
  }
  pad(align: number) {
    const n = (align - (this.length % align)) % align;
    if (n) this.bytes(new Uint8Array(n));
  }
  concat(): Uint8Array {
    const out = new Uint8Array(this.length);
    let o = 0;
    for (const c of this.chunks) out.set(c, o), (o += c.byteLength);
    return out;
  }
}

const ALIGN = 32;

export function writeLlamaGguf(cfg: LlamaConfig, w: LlamaWeightsF32, vocab: SpmVocab): Uint8Array {
  const arch =
    cfg.architecture === 'qwen2' || cfg.architecture === 'qwen3'
      ? cfg.architecture
      : cfg.architecture === 'qwen2_moe'
        ? 'qwen2moe'
        : cfg.architecture === 'qwen3_moe'
          ? 'qwen3moe'
          : 'llama';
  const moe = cfg.moe ?? null;
  if (moe && ((cfg.architecture !== 'mixtral' && cfg.architecture !== 'qwen2_moe' && cfg.architecture !== 'qwen3_moe') || moe.sparse.some((x) => !x))) {
    throw new Error('writeLlamaGguf: of the mixture-of-experts models only Mixtral, Qwen2-MoE and Qwen3-MoE with every layer sparse are exported.');
  }
  // llama.cpp's qwen3moe graph always renormalises the top-k weights; a norm_topk_prob false model would be
  // silently run with another rule there, so it is refused.
  if (moe && arch === 'qwen3moe' && !moe.normTopK) throw new Error('writeLlamaGguf: llama.cpp runs Qwen3-MoE with norm_topk_prob true only; this model has it false.');
  if (cfg.slidingWindow) throw new Error('writeLlamaGguf: a sliding-window (Mistral v0.1) model has no llama.cpp llama-architecture equivalent.');
  const interleave = arch === 'llama';
  const ropeScaling = ropeScalingForGguf(cfg, arch);
  const kv: [string, KvValue][] = [
    ['general.architecture', { type: 'string', value: arch }],
    ['general.name', { type: 'string', value: 'pdfchat-export' }],
    ['general.alignment', { type: 'u32', value: ALIGN }],
    [`${arch}.context_length`, { type: 'u32', value: cfg.maxPositionEmbeddings }],
    [`${arch}.embedding_length`, { type: 'u32', value: cfg.hiddenSize }],
    [`${arch}.feed_forward_length`, { type: 'u32', value: cfg.intermediateSize }],
    [`${arch}.block_count`, { type: 'u32', value: cfg.numLayers }],
    [`${arch}.attention.head_count`, { type: 'u32', value: cfg.numHeads }],
    [`${arch}.attention.head_count_kv`, { type: 'u32', value: cfg.numKvHeads }],
    [`${arch}.attention.key_length`, { type: 'u32', value: cfg.headDim }],
    [`${arch}.attention.value_length`, { type: 'u32', value: cfg.headDim }],
    [`${arch}.rope.dimension_count`, { type: 'u32', value: cfg.headDim }],
    [`${arch}.rope.freq_base`, { type: 'f32', value: cfg.ropeTheta }],
    ...ropeScaling.kv,
    [`${arch}.attention.layer_norm_rms_epsilon`, { type: 'f32', value: cfg.rmsNormEps }],
    ...(moe
      ? ([
          [`${arch}.expert_count`, { type: 'u32', value: moe.numExperts }],
          [`${arch}.expert_used_count`, { type: 'u32', value: moe.topK }],
          ...(arch === 'qwen2moe' || arch === 'qwen3moe'
            ? ([[`${arch}.expert_feed_forward_length`, { type: 'u32', value: moe.expertIntermediateSize }]] as [string, KvValue][])
            : []),
          ...(arch === 'qwen2moe'
            ? ([[`${arch}.expert_shared_feed_forward_length`, { type: 'u32', value: moe.sharedExpertIntermediateSize }]] as [string, KvValue][])
            : []),
        ] as [string, KvValue][])
      : []),
    [`${arch}.vocab_size`, { type: 'u32', value: cfg.vocabSize }],
    ['tokenizer.ggml.model', { type: 'string', value: 'llama' }],
    ['tokenizer.ggml.tokens', { type: 'array', of: 'string', value: vocab.pieces }],
    ['tokenizer.ggml.scores', { type: 'array', of: 'f32', value: vocab.scores }],
    ['tokenizer.ggml.token_type', { type: 'array', of: 'i32', value: vocab.types }],
    ['tokenizer.ggml.bos_token_id', { type: 'u32', value: vocab.bosId }],
    ['tokenizer.ggml.eos_token_id', { type: 'u32', value: vocab.eosId }],
    ['tokenizer.ggml.unknown_token_id', { type: 'u32', value: vocab.unkId }],
  ];
  // GGUF dims are innermost first: an HF [out, in] matrix is written [in, out]; bytes are the same.
  const tensors: { name: string; dims: number[]; data: Float32Array }[] = [];
  const D = cfg.hiddenSize;
  tensors.push({ name: 'token_embd.weight', dims: [D, cfg.vocabSize], data: w.embed });
  if (ropeScaling.freqFactors) tensors.push({ name: 'rope_freqs.weight', dims: [cfg.headDim / 2], data: ropeScaling.freqFactors });
  w.layers.forEach((l, i) => {
    const p = `blk.${i}`;
    tensors.push({ name: `${p}.attn_norm.weight`, dims: [D], data: l.attnNorm });
    const rows = (m: Float32Array, heads: number, cols: number) => (interleave ? permuteHalfToInterleaved(m, heads, cfg.headDim, cols) : m);
    tensors.push({ name: `${p}.attn_q.weight`, dims: [l.q.K, l.q.N], data: rows(l.q.w, cfg.numHeads, l.q.K) });
    tensors.push({ name: `${p}.attn_k.weight`, dims: [l.k.K, l.k.N], data: rows(l.k.w, cfg.numKvHeads, l.k.K) });
    tensors.push({ name: `${p}.attn_v.weight`, dims: [l.v.K, l.v.N], data: l.v.w });
    if (l.q.bias) tensors.push({ name: `${p}.attn_q.bias`, dims: [l.q.N], data: rows(l.q.bias, cfg.numHeads, 1) });
    if (l.k.bias) tensors.push({ name: `${p}.attn_k.bias`, dims: [l.k.N], data: rows(l.k.bias, cfg.numKvHeads, 1) });
    if (l.v.bias) tensors.push({ name: `${p}.attn_v.bias`, dims: [l.v.N], data: l.v.bias });
    if (l.qNorm) tensors.push({ name: `${p}.attn_q_norm.weight`, dims: [cfg.headDim], data: l.qNorm });
    if (l.kNorm) tensors.push({ name: `${p}.attn_k_norm.weight`, dims: [cfg.headDim], data: l.kNorm });
    for (const other of [l.o, l.gate, l.up, l.down]) if (other.bias) throw new Error('writeLlamaGguf: o/MLP biases are not exported.');
    tensors.push({ name: `${p}.attn_output.weight`, dims: [l.o.K, l.o.N], data: l.o.w });
    tensors.push({ name: `${p}.ffn_norm.weight`, dims: [D], data: l.mlpNorm });
    if (l.moe) {
      // Mixtral / Qwen-MoE in llama.cpp: router ffn_gate_inp [D → E] and the experts stacked into 3-D tensors
      // (innermost first: [in, out, expert]; the bytes are each expert's HF [out, in] matrix in turn).
      const ex = l.moe.experts;
      const stack = (pick: (e: (typeof ex)[number]) => LlamaWeightsF32['layers'][number]['gate']) => {
        const first = pick(ex[0]);
        const data = new Float32Array(ex.length * first.w.length);
        ex.forEach((e, i) => data.set(pick(e).w, i * first.w.length));
        return { dims: [first.K, first.N, ex.length], data };
      };
      tensors.push({ name: `${p}.ffn_gate_inp.weight`, dims: [l.moe.router.K, l.moe.router.N], data: l.moe.router.w });
      tensors.push({ name: `${p}.ffn_gate_exps.weight`, ...stack((e) => e.gate) });
      tensors.push({ name: `${p}.ffn_up_exps.weight`, ...stack((e) => e.up) });
      tensors.push({ name: `${p}.ffn_down_exps.weight`, ...stack((e) => e.down) });
      const sh = l.moe.shared;
      if (sh) {
        // Qwen2-MoE's shared expert and its scalar sigmoid gate (ffn_gate_inp_shexp [D]).
        tensors.push({ name: `${p}.ffn_gate_inp_shexp.weight`, dims: [D], data: sh.gate });
        tensors.push({ name: `${p}.ffn_gate_shexp.weight`, dims: [sh.expert.gate.K, sh.expert.gate.N], data: sh.expert.gate.w });
        tensors.push({ name: `${p}.ffn_up_shexp.weight`, dims: [sh.expert.up.K, sh.expert.up.N], data: sh.expert.up.w });
        tensors.push({ name: `${p}.ffn_down_shexp.weight`, dims: [sh.expert.down.K, sh.expert.down.N], data: sh.expert.down.w });
      }
    } else {
      tensors.push({ name: `${p}.ffn_gate.weight`, dims: [l.gate.K, l.gate.N], data: l.gate.w });
      tensors.push({ name: `${p}.ffn_up.weight`, dims: [l.up.K, l.up.N], data: l.up.w });
      tensors.push({ name: `${p}.ffn_down.weight`, dims: [l.down.K, l.down.N], data: l.down.w });
    }
  });
  tensors.push({ name: 'output_norm.weight', dims: [D], data: w.finalNorm });
  // llama.cpp's qwen2moe requires output.weight (no fallback to token_embd): a tied model writes its copy.
  if (!cfg.tieWordEmbeddings || arch === 'qwen2moe') tensors.push({ name: 'output.weight', dims: [D, cfg.vocabSize], data: w.lmHead });

  const out = new ByteWriter();
  out.u32(0x46554747);
  out.u32(3);
  out.u64(tensors.length);
  out.u64(kv.length);
  for (const [key, v] of kv) {
    out.str(key);
    if (v.type === 'u32') out.u32(4), out.u32(v.value as number);
    else if (v.type === 'f32') out.u32(6), out.f32(v.value as number);
    else if (v.type === 'string') out.u32(8), out.str(v.value as string);
    else if (v.type === 'array') {
      out.u32(9);
      out.u32(v.of === 'string' ? 8 : v.of === 'f32' ? 6 : 5);
      out.u64(v.value.length);
      for (const x of v.value) v.of === 'string' ? out.str(x as string) : v.of === 'f32' ? out.f32(x as number) : out.i32(x as number);
    }
  }
  let offset = 0;
  for (const t of tensors) {
    out.str(t.name);
    out.u32(t.dims.length);
    for (const d of t.dims) out.u64(d);
    out.u32(0); // GGML_TYPE_F32
    out.u64(offset);
    offset += Math.ceil(t.data.byteLength / ALIGN) * ALIGN;
  }
  out.pad(ALIGN);
  for (const t of tensors) {
    out.bytes(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength).slice());
    out.pad(ALIGN);
  }
  return out.concat();
}
