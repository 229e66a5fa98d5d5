// A llama-architecture GGUF (v3) with the GPTQ linears as Q4_0 (src/model/convert/gguf-q4_0.ts), the embedding
// and lm_head as F16 or F32 (as given) and the norms as F32: the same quantised weights our engine runs, for llama.cpp. Streamed
// through `write` one tensor at a time (a 1B model is ~700 MB; nothing holds the whole file). q/k rows go to
// llama.cpp's interleaved RoPE order (whole rows move; Q4_0 blocks run along K, so they are unchanged).
import type { PackedGptq } from '../../gpu/gptq-repack';
import type { LlamaConfig } from '../config';
import { gptqToQ4_0, permuteQ4_0Rows, Q4_0_BLOCK, Q4_0_BLOCK_BYTES } from './gguf-q4_0';
import { ByteWriter, ropeScalingForGguf, type KvValue } from './gguf-writer';
import { SpmTokenType, type SpmVocab } from './spm-vocab';

const GGML_F32 = 0;
const GGML_F16 = 1;
const GGML_Q4_0 = 2;
const ALIGN = 32;

export interface Q4LlamaWeights {
  /** f16 bits (written F16) or f32 (written F32), as the checkpoint has it. */
  embedding: Uint16Array | Float32Array /* [vocab, D] */;
  /** null when tied to the embedding. */
  lmHead: Uint16Array | Float32Array /* [vocab, D] */ | null;
  attnNorm: Float32Array[] /* [layers][D] */;
  ffnNorm: Float32Array[] /* [layers][D] */;
  finalNorm: Float32Array /* [D] */;
  layers: { q: PackedGptq; k: PackedGptq; v: PackedGptq; o: PackedGptq; gate: PackedGptq; up: PackedGptq; down: PackedGptq }[];
}

export interface Q4WriteReport {
  bytes: number;
  exactLayers: number;
  requantisedLayers: number;
  /** Distinct reasons for requantisation (empty when every linear was copied exactly). */
  requantReasons: string[];
}

/** A vocabulary of `size` pieces llama.cpp accepts: <unk> <s> </s>, the 256 byte tokens, then "▁t<i>". */
export function placeholderVocab(size: number): SpmVocab {
  const pieces = ['<unk>', '<s>', '</s>'];
  const types: SpmTokenType[] = [SpmTokenType.Unknown, SpmTokenType.Control, SpmTokenType.Control];
  for (let b = 0; b < 256 && pieces.length < size; b++) pieces.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`), types.push(SpmTokenType.Byte);
  for (let i = 0; pieces.length < size; i++) pieces.push(`\u2581t${i}`), types.push(SpmTokenType.Normal);
  return { pieces, scores: types.map((_, i) => -i), types, unkId: 0, bosId: 1, eosId: 2 };
}

/** HF row order → llama.cpp interleaved: out row h*d + 2i + j comes from HF row h*d + j*(d/2) + i. */
function interleavedFrom(headDim: number): (r: number) => number {
  const half = headDim / 2;
  return (r) => {
    const h = Math.floor(r / headDim), w = r % headDim;
    return h * headDim + (w & 1) * half + (w >> 1);
  };
}

export function writeQ4LlamaGguf(cfg: LlamaConfig, w: Q4LlamaWeights, vocab: SpmVocab, write: (b: Uint8Array) => void): Q4WriteReport {
  if ((cfg.architecture && cfg.architecture !== 'llama' && cfg.architecture !== 'mistral') || cfg.slidingWindow || cfg.qkNorm || cfg.moe) {
    throw new Error(`writeQ4LlamaGguf: only dense llama-architecture models (no sliding window, q/k norm or experts) are written, not ${cfg.architecture}.`);
  }
  const arch = 'llama';
  const D = cfg.hiddenSize;
  const ropeScaling = ropeScalingForGguf(cfg, arch);
  const kv: [string, KvValue][] = [
    ['general.architecture', { type: 'string', value: arch }],
    ['general.name', { type: 'string', value: 'pdfchat-q4_0' }],
    ['general.alignment', { type: 'u32', value: ALIGN }],
    ['general.file_type', { type: 'u32', value: 2 /* MOSTLY_Q4_0 */ }],
    [`${arch}.context_length`, { type: 'u32', value: cfg.maxPositionEmbeddings }],
    [`${arch}.embedding_length`, { type: 'u32', value: D }],
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
    [`${arch}.vocab_size`, { type: 'u32', value: cfg.vocabSize }],
    ['tokenizer.ggml.model', { type: 'string', value: 'llama' }],
    ['tokenizer.ggml.tokens', { type: 'array', of: 'string', value: vocab.pieces }],
    ['tokenizer.ggml.scores', { type: 'array', of: 'f32', value: vocab.scores }],
    ['tokenizer.ggml.token_type', { type: 'array', of: 'i32', value: vocab.types }],
    ['tokenizer.ggml.bos_token_id', { type: 'u32', value: vocab.bosId }],
    ['tokenizer.ggml.eos_token_id', { type: 'u32', value: vocab.eosId }],
    ['tokenizer.ggml.unknown_token_id', { type: 'u32', value: vocab.unkId }],
  ];
  const report: Q4WriteReport = { bytes: 0, exactLayers: 0, requantisedLayers: 0, requantReasons: [] };
  type T = { name: string; dims: number[]; type: number; byteLength: number; data: () => Uint8Array };
  const bytesOf = (a: Float32Array | Uint16Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const tensors: T[] = [];
  const f32 = (name: string, a: Float32Array) => tensors.push({ name, dims: [a.length], type: GGML_F32, byteLength: a.byteLength, data: () => bytesOf(a) });
  const matrix = (name: string, a: Uint16Array | Float32Array) => tensors.push({ name, dims: [D, a.length / D], type: a instanceof Uint16Array ? GGML_F16 : GGML_F32, byteLength: a.byteLength, data: () => bytesOf(a) });
  const q4 = (name: string, p: PackedGptq, headsForRope?: number) =>
    tensors.push({
      name, dims: [p.K, p.N], type: GGML_Q4_0, byteLength: (p.N * p.K / Q4_0_BLOCK) * Q4_0_BLOCK_BYTES,
      data: () => {
        const t = gptqToQ4_0(p);
        if (t.exact) report.exactLayers++;
        else {
          report.requantisedLayers++;
          if (!report.requantReasons.includes(t.reason!)) report.requantReasons.push(t.reason!);
        }
        return headsForRope ? permuteQ4_0Rows(t.bytes, p.N, p.K, interleavedFrom(cfg.headDim)) : t.bytes;
      },
    });
  matrix('token_embd.weight', w.embedding);
  if (ropeScaling.freqFactors) f32('rope_freqs.weight', ropeScaling.freqFactors);
  w.layers.forEach((l, i) => {
    const p = `blk.${i}`;
    f32(`${p}.attn_norm.weight`, w.attnNorm[i]);
    q4(`${p}.attn_q.weight`, l.q, cfg.numHeads);
    q4(`${p}.attn_k.weight`, l.k, cfg.numKvHeads);
    q4(`${p}.attn_v.weight`, l.v);
    q4(`${p}.attn_output.weight`, l.o);
    f32(`${p}.ffn_norm.weight`, w.ffnNorm[i]);
    q4(`${p}.ffn_gate.weight`, l.gate);
    q4(`${p}.ffn_up.weight`, l.up);
    q4(`${p}.ffn_down.weight`, l.down);
  });
  f32('output_norm.weight', w.finalNorm);
  if (w.lmHead) matrix('output.weight', w.lmHead);

  const head = new ByteWriter();
  head.u32(0x46554747);
  head.u32(3);
  head.u64(tensors.length);
  head.u64(kv.length);
  for (const [key, v] of kv) {
    head.str(key);
    if (v.type === 'u32') head.u32(4), head.u32(v.value as number);
    else if (v.type === 'f32') head.u32(6), head.f32(v.value as number);
    else if (v.type === 'string') head.u32(8), head.str(v.value as string);
    else if (v.type === 'array') {
      head.u32(9);
      head.u32(v.of === 'string' ? 8 : v.of === 'f32' ? 6 : 5);
      head.u64(v.value.length);
      for (const x of v.value) v.of === 'string' ? head.str(x as string) : v.of === 'f32' ? head.f32(x as number) : head.i32(x as number);
    }
  }
  let offset = 0;
  for (const t of tensors) {
    head.str(t.name);
    head.u32(t.dims.length);
    for (const d of t.dims) head.u64(d);
    head.u32(t.type);
    head.u64(offset);
    offset += Math.ceil(t.byteLength / ALIGN) * ALIGN;
  }
  head.pad(ALIGN);
  const put = (b: Uint8Array) => {
    write(b);
    report.bytes += b.byteLength;
  };
  put(head.concat());
  for (const t of tensors) {
    const b = t.data();
    if (b.byteLength !== t.byteLength) throw new Error(`writeQ4LlamaGguf: ${t.name} has ${b.byteLength} bytes, expected ${t.byteLength}.`);
    put(b);
    const pad = (ALIGN - (b.byteLength % ALIGN)) % ALIGN;
    if (pad) put(new Uint8Array(pad));
  }
  return report;
}
