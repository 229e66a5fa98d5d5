// Writes a complete Hugging Face model directory with random weights, for engine tests: any architecture we load
// (llama, mistral with sliding_window, qwen2 with q/k/v biases, qwen3 with q_norm/k_norm and its own head_dim),
// any shape (GQA, tied or untied, llama3 / linear / dynamic rope scaling), sharding, f32/f16/bf16, and the
// quantisation formats as published: GPTQ 4-bit v1/v2 with act-order (RTN of the random weights), GPTQ 8-bit and
// AutoAWQ gemm 4-bit (random integers, zeros and scales, packed here straight from the formats' formulas).
// Usage as a script:
//   node --import tsx scripts/make-random-llama.ts OUT_DIR '{"arch":"qwen3","hidden":64,"intermediate":176,"layers":2,
//     "heads":4,"kvHeads":2,"headDim":32,"vocab":512,"tied":true,"seed":1,"quant":{"method":"awq","groupSize":32}}'
//   MoE (mixtral / qwen2_moe / qwen3_moe, makeRandomMoeFiles): add "arch":"qwen2_moe","experts":8,"topK":2,
//     "expertIntermediate":32,"sharedIntermediate":48,"mlpOnlyLayers":[0]
import { fileURLToPath } from 'node:url';
import { packGptq } from '../src/model/gptq-pack';
import { quantizeRtn, type QuantSettings } from '../src/model/convert/gptq';
import { buildHfModelFiles, type FloatDtype } from '../src/model/convert/hf-writer';
import type { QuantizedLayer } from '../src/model/convert/quantize-model';
import { seededRandom } from '../src/shared/random';
import { buildSpmTokenizer, SPACE, SpmTokenType, type SpmVocab } from '../src/model/convert/spm-vocab';
import { writeModelDir } from '../src/model/convert/write-dir';
import { FALLBACK_CHAT_TEMPLATES } from '../src/model/tokenizer';
import { QWEN3_TEMPLATE } from './qwen-chat-templates';
import { LINEAR_NAMES, type LinearKey } from '../src/model/checkpoint';
import { quantizationConfigJson, type DenseArchitecture } from '../src/model/convert/hf-writer';
import { packGptq8 } from '../src/model/gptq8-pack';
import { parseSafetensorsHeader, writeSafetensors, type TensorToWrite } from '../src/model/safetensors';
import { f32ToF16Bits, f16BitsToF32 } from '../src/shared/f16';
import type { LayerWeightsF32, LinearF32, LlamaWeightsF32 } from '../src/model/reference';

/**
 * GPTQ 4-bit (default: RTN of the random weights), GPTQ 8-bit or AWQ gemm 4-bit (random integers). AWQ ignores
 * actOrder, format and sym (it has no act-order and stores zeros as they are).
 */
export interface RandomQuantOptions {
  method?: 'gptq' | 'awq';
  bits?: 4 | 8;
  groupSize: number;
  actOrder?: boolean;
  format?: 'v1' | 'v2';
  sym?: boolean;
}

export interface RandomLlamaOptions {
  /** Default 'llama'. qwen2: q/k/v biases, rope_theta 1e6; qwen3: q_norm/k_norm, rope_theta 1e6. */
  arch?: DenseArchitecture;
  /** Mistral's sliding_window (default null). */
  slidingWindow?: number | null;
  hidden: number;
  intermediate: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim?: number;
  vocab: number;
  tied: boolean;
  ropeScaling?: 'llama3' | 'linear' | 'dynamic' | 'yarn';
  shards?: number;
  quant?: RandomQuantOptions;
  seed: number;
  dtype?: FloatDtype;
  /** Where the GPTQ settings are written (default: both config.json and quantize_config.json). */
  quantConfigIn?: 'config' | 'quantize_config' | 'both';
  maxPositionEmbeddings?: number;
  /** Give every linear a bias (HF attention_bias / mlp_bias; GPTQ layers store it as F16 .bias). Qwen2 always has q/k/v biases. */
  bias?: boolean;
}

/**
 * A mixture-of-experts model (makeRandomMoeFiles): the dense model of the base architecture (mixtral → mistral,
 * qwen2_moe → qwen2, qwen3_moe → qwen3) with the MLP of each sparse layer replaced by a router and experts
 * (GPTQ 4-bit RTN when `quant` is GPTQ; the router and Qwen2-MoE's shared_expert_gate stay dense, as published).
 */
export interface RandomMoeOptions extends Omit<RandomLlamaOptions, 'arch'> {
  /** olmoe: a llama base with q_norm / k_norm over the whole q and k projections (clip_qkv null). */
  arch: 'mixtral' | 'qwen2_moe' | 'qwen3_moe' | 'olmoe';
  experts: number;
  topK: number;
  /** Qwen-MoE moe_intermediate_size (Mixtral's experts are intermediate_size wide). */
  expertIntermediate?: number;
  /** Qwen-MoE norm_topk_prob (Mixtral always renormalises). */
  normTopK?: boolean;
  /** Qwen2-MoE shared_expert_intermediate_size (required by the loader: every Qwen2-MoE block has a shared expert). */
  sharedIntermediate?: number;
  /** Qwen-MoE mlp_only_layers (dense layers of width `intermediate`). */
  mlpOnlyLayers?: number[];
  /** Qwen-MoE decoder_sparse_step (default 1). */
  decoderSparseStep?: number;
}

/** A small SentencePiece-style vocabulary of exactly `size` pieces: specials, ▁ + printable ASCII, bytes, bigrams. */
export function syntheticVocab(size: number): SpmVocab {
  const pieces = ['<unk>', '<s>', '</s>'];
  const types: SpmTokenType[] = [SpmTokenType.Unknown, SpmTokenType.Control, SpmTokenType.Control];
  const seen = new Set(pieces);
  const add = (p: string, t: SpmTokenType) => {
    if (pieces.length < size && !seen.has(p)) pieces.push(p), types.push(t), seen.add(p);
  };
  add(SPACE, SpmTokenType.Normal);
  for (let c = 33; c < 127; c++) add(String.fromCharCode(c), SpmTokenType.Normal);
  for (let b = 0; b < 256; b++) add(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`, SpmTokenType.Byte);
  const letters = 'etaoinshrdlucmfwypvbgk';
  outer: for (const a of [SPACE, ...letters]) {
    for (const b of letters) {
      if (pieces.length >= size) break outer;
      add(a + b, SpmTokenType.Normal);
    }
  }
  for (let i = 0; pieces.length < size; i++) add(`${SPACE}w${i}`, SpmTokenType.Normal);
  let score = 0;
  const scores = types.map((t) => (t === SpmTokenType.Normal ? score-- : 0));
  return { pieces, scores, types, unkId: 0, bosId: 1, eosId: 2 };
}

/**
 * The vocabulary a random model gets: syntheticVocab, and for Qwen architectures its last pieces replaced by
 * Qwen's control tokens <|endoftext|>, <|im_start|>, <|im_end|> (and Qwen3's <think>, </think>, ordinary
 * pieces as in Qwen3's tokenizer), so ChatML prompts tokenize to single control ids.
 */
export function randomModelVocab(o: Pick<RandomLlamaOptions, 'arch' | 'vocab'>): SpmVocab {
  const extra: [string, SpmTokenType][] =
    o.arch === 'qwen2' || o.arch === 'qwen3'
      ? [['<|endoftext|>', SpmTokenType.Control], ['<|im_start|>', SpmTokenType.Control], ['<|im_end|>', SpmTokenType.Control], ...(o.arch === 'qwen3' ? ([['<think>', SpmTokenType.Normal], ['</think>', SpmTokenType.Normal]] as [string, SpmTokenType][]) : [])]
      : [];
  const v = syntheticVocab(o.vocab - extra.length);
  for (const [p, t] of extra) v.pieces.push(p), v.scores.push(0), v.types.push(t);
  if (extra.length) v.eosId = v.pieces.indexOf('<|im_end|>'); // tokenizer_config.json eos_token, as Qwen's instruct repos
  return v;
}

export function makeRandomLlamaFiles(o: RandomLlamaOptions): Map<string, Uint8Array> {
  const rand = seededRandom(o.seed);
  const headDim = o.headDim ?? o.hidden / o.heads;
  const uniform = (n: number, a: number) => {
    const x = new Float32Array(n);
    for (let i = 0; i < n; i++) x[i] = (rand() * 2 - 1) * a;
    return x;
  };
  // Weights with std 1/sqrt(K) keep activations O(1) through the layers.
  // Biases come from their own stream so the weights are the same with and without them.
  const biasRand = seededRandom(o.seed ^ 0x5bd1e995);
  const bias = (n: number) => Float32Array.from({ length: n }, () => (biasRand() * 2 - 1) * 0.5);
  const arch = o.arch ?? 'llama';
  const lin = (N: number, K: number, withBias = !!o.bias): LinearF32 => ({ w: uniform(N * K, Math.sqrt(3 / K)), N, K, ...(withBias ? { bias: bias(N) } : {}) });
  const qkvBias = !!o.bias || arch === 'qwen2';
  const norm = (n: number) => {
    const x = uniform(n, 0.2);
    for (let i = 0; i < n; i++) x[i] += 1;
    return x;
  };
  const qDim = o.heads * headDim;
  const kvDim = o.kvHeads * headDim;
  const layers: LayerWeightsF32[] = [];
  for (let l = 0; l < o.layers; l++) {
    layers.push({
      attnNorm: norm(o.hidden),
      q: lin(qDim, o.hidden, qkvBias),
      k: lin(kvDim, o.hidden, qkvBias),
      v: lin(kvDim, o.hidden, qkvBias),
      ...(arch === 'qwen3' ? { qNorm: norm(headDim), kNorm: norm(headDim) } : {}),
      o: lin(o.hidden, qDim),
      mlpNorm: norm(o.hidden),
      gate: lin(o.intermediate, o.hidden),
      up: lin(o.intermediate, o.hidden),
      down: lin(o.hidden, o.intermediate),
    });
  }
  const embed = uniform(o.vocab * o.hidden, 1);
  const weights: LlamaWeightsF32 = { embed, layers, finalNorm: norm(o.hidden), lmHead: o.tied ? embed : uniform(o.vocab * o.hidden, Math.sqrt(3 / o.hidden)) };

  let quantized: { layers: QuantizedLayer[]; settings: QuantSettings } | undefined;
  let custom: { linearTensors: (layer: number, key: LinearKey, prefix: string) => TensorToWrite[]; config: Record<string, unknown> } | undefined;
  if (o.quant && (o.quant.method === 'awq' || o.quant.bits === 8)) {
    custom = randomIntQuant(layers, o.quant, seededRandom(o.seed ^ 0x2545f491));
  } else if (o.quant) {
    const settings: QuantSettings = { groupSize: o.quant.groupSize, sym: o.quant.sym ?? true, actOrder: o.quant.actOrder ?? false, format: o.quant.format ?? 'v1' };
    const qLayers = layers.map((lw) => {
      const res = {} as QuantizedLayer;
      for (const [key] of LINEAR_NAMES) {
        const l = lw[key];
        // act-order: groups follow a random column order, so g_idx is non-monotonic as in real act-order files.
        let order: number[] | undefined;
        if (settings.actOrder) {
          order = Array.from({ length: l.K }, (_, k) => k);
          for (let i = order.length - 1; i > 0; i--) {
            const j = Math.floor(rand() * (i + 1));
            [order[i], order[j]] = [order[j], order[i]];
          }
        }
        res[key] = { ...quantizeRtn(l.w, l.N, l.K, settings, order), ...(l.bias ? { bias: l.bias } : {}) };
        packGptq(res[key]); // fail early on shapes the format cannot hold
      }
      return res;
    });
    quantized = { layers: qLayers, settings };
  }
  const vocab = randomModelVocab(o);
  const maxPos = o.maxPositionEmbeddings ?? 2048;
  const qwen = arch === 'qwen2' || arch === 'qwen3';
  const idOf = (p: string) => vocab.pieces.indexOf(p);
  // Qwen: no BOS, ChatML (Qwen3: its thinking-mode template), eos = <|im_end|> and <|endoftext|> as published.
  const chatTemplate = arch === 'qwen3' ? QWEN3_TEMPLATE : arch === 'qwen2' ? FALLBACK_CHAT_TEMPLATES.chatml : undefined;
  const { tokenizerJson, tokenizerConfigJson } = buildSpmTokenizer(vocab, { addBos: !qwen, modelMaxLength: maxPos, ...(chatTemplate ? { chatTemplate } : {}) });
  const eosTokenIds = qwen ? [idOf('<|im_end|>'), idOf('<|endoftext|>')] : [vocab.eosId];
  return buildHfModelFiles({
    weights,
    quantized,
    hiddenSize: o.hidden,
    intermediateSize: o.intermediate,
    numLayers: o.layers,
    numHeads: o.heads,
    numKvHeads: o.kvHeads,
    headDim,
    vocabSize: o.vocab,
    maxPositionEmbeddings: maxPos,
    rmsNormEps: 1e-5,
    ropeTheta: o.ropeScaling === 'llama3' ? 500000 : arch === 'qwen2' || arch === 'qwen3' ? 1000000 : 10000,
    ropeScaling:
      o.ropeScaling === 'llama3'
        ? { rope_type: 'llama3', factor: 32, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 }
        : o.ropeScaling === 'yarn'
          ? // Qwen's published long-context setting, its original context shrunk so that the ramp of a small
            // head size falls inside the rotated dimensions (with 32768 every frequency of head size 16 is kept).
            { rope_type: 'yarn', factor: 4, original_max_position_embeddings: 64 }
          : o.ropeScaling
            ? { rope_type: o.ropeScaling, factor: 4 }
            : null,
    tieWordEmbeddings: o.tied,
    bosTokenId: vocab.bosId,
    eosTokenIds,
    dtype: o.dtype ?? 'f32',
    shards: o.shards ?? 1,
    tokenizerJson,
    tokenizerConfigJson,
    // AWQ and Qwen's own GPTQ repos keep the settings in config.json only.
    quantConfigIn: o.quantConfigIn ?? ((custom && o.quant?.method === 'awq') || qwen ? 'config' : undefined),
    architecture: arch,
    slidingWindow: o.slidingWindow ?? null,
    ...(custom ? { linearTensors: custom.linearTensors, quantizationConfig: custom.config } : {}),
  });
}

/** A random group map for act-order: groups of G over a shuffled column order (non-monotonic g_idx). */
function shuffledGroups(K: number, G: number, rand: () => number): Int32Array {
  const order = Array.from({ length: K }, (_, k) => k);
  for (let i = K - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const gIdx = new Int32Array(K);
  order.forEach((k, p) => (gIdx[k] = Math.floor(p / G)));
  return gIdx;
}

/** AutoAWQ gemm's nibble order: bits 4i..4i+3 of an output-packed word hold column 8·col + AWQ_PACK_ORDER[i]. */
const AWQ_PACK_ORDER = [0, 2, 4, 6, 1, 3, 5, 7];

/**
 * AutoAWQ's packing, written from WQLinear_GEMM.from_linear's formula (not from our reader):
 * packed[r, col] |= values[r, col·8 + order_map[i]] << 4i, for values [rows, cols] (rows = in features or groups).
 */
export function packAwqRows(values: ArrayLike<number>, rows: number, cols: number): Int32Array {
  const packed = new Int32Array(rows * (cols / 8));
  for (let r = 0; r < rows; r++) {
    for (let col = 0; col < cols / 8; col++) {
      for (let i = 0; i < 8; i++) packed[r * (cols / 8) + col] |= values[r * cols + col * 8 + AWQ_PACK_ORDER[i]] << (4 * i);
    }
  }
  return packed;
}

/**
 * Random integer weights for GPTQ 8-bit or AWQ 4-bit: per linear, q uniform in the bit range, zeros near the
 * middle, f16 scales sized so W has the same spread as the float layers (std ≈ 1/sqrt(K)).
 */
function randomIntQuant(layers: LayerWeightsF32[], quant: RandomQuantOptions, rand: () => number) {
  const bits = quant.method === 'awq' ? 4 : 8;
  const levels = 2 ** bits;
  const format = quant.method === 'awq' ? 'v2' : (quant.format ?? 'v1');
  const f16 = (x: number) => f16BitsToF32(f32ToF16Bits(x));
  const linearTensors = (layer: number, key: LinearKey, prefix: string): TensorToWrite[] => {
    const { N, K, bias } = layers[layer][key];
    const G = quant.groupSize === -1 ? K : quant.groupSize;
    const nG = Math.ceil(K / G);
    const q = Uint8Array.from({ length: N * K }, () => Math.floor(rand() * levels));
    const zeros = Uint16Array.from({ length: nG * N }, () => (format === 'v1' ? 1 : 0) + Math.floor(levels / 4 + rand() * (levels / 2)));
    const scales = Float32Array.from({ length: nG * N }, () => f16(((0.5 + rand()) * Math.sqrt(3 / K)) / (levels / 2)));
    const f16Bias = bias ? Uint16Array.from(bias, (b) => f32ToF16Bits(b)) : null;
    if (quant.method === 'awq') {
      // AWQ stores W transposed: intweight [K, N], zeros [nG, N], scales [nG, N].
      const intweight = new Uint8Array(K * N);
      for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) intweight[k * N + n] = q[n * K + k];
      return [
        { name: `${prefix}.qweight`, dtype: 'I32', shape: [K, N / 8], data: packAwqRows(intweight, K, N) },
        { name: `${prefix}.qzeros`, dtype: 'I32', shape: [nG, N / 8], data: packAwqRows(zeros, nG, N) },
        { name: `${prefix}.scales`, dtype: 'F16', shape: [nG, N], data: Uint16Array.from(scales, (x) => f32ToF16Bits(x)) },
        ...(f16Bias ? [{ name: `${prefix}.bias`, dtype: 'F16' as const, shape: [N], data: f16Bias }] : []),
      ];
    }
    const gIdx = quant.actOrder ? shuffledGroups(K, G, rand) : undefined;
    const t = packGptq8({ q, zeros, scales, ...(gIdx ? { gIdx } : {}), ...(bias ? { bias } : {}), K, N, groupSize: quant.groupSize, format });
    return [
      { name: `${prefix}.qweight`, dtype: 'I32', shape: [K / 4, N], data: t.qweight },
      { name: `${prefix}.qzeros`, dtype: 'I32', shape: [nG, N / 4], data: t.qzeros },
      { name: `${prefix}.scales`, dtype: 'F16', shape: [nG, N], data: t.scales },
      { name: `${prefix}.g_idx`, dtype: 'I32', shape: [K], data: t.gIdx },
      ...(t.bias ? [{ name: `${prefix}.bias`, dtype: 'F16' as const, shape: [N], data: t.bias }] : []),
    ];
  };
  const config =
    quant.method === 'awq'
      ? { quant_method: 'awq', bits: 4, group_size: quant.groupSize, version: 'gemm', zero_point: true, modules_to_not_convert: null }
      : { ...quantizationConfigJson({ groupSize: quant.groupSize, sym: quant.sym ?? false, actOrder: quant.actOrder ?? false, format }), bits: 8 };
  return { linearTensors, config };
}

/** Writes the random model into `dir` (created if needed). */
export async function makeRandomLlama(dir: string, o: RandomLlamaOptions): Promise<void> {
  await writeModelDir(dir, makeRandomLlamaFiles(o));
}


const MOE_BASE: Record<RandomMoeOptions['arch'], DenseArchitecture> = { mixtral: 'mistral', qwen2_moe: 'qwen2', qwen3_moe: 'qwen3', olmoe: 'llama' };
const MOE_CLASS: Record<RandomMoeOptions['arch'], string> = { mixtral: 'MixtralForCausalLM', qwen2_moe: 'Qwen2MoeForCausalLM', qwen3_moe: 'Qwen3MoeForCausalLM', olmoe: 'OlmoeForCausalLM' };

/** A random MoE model directory's files (one safetensors shard; GPTQ 4-bit or float experts). */
export function makeRandomMoeFiles(o: RandomMoeOptions): Map<string, Uint8Array> {
  if (o.quant && (o.quant.method === 'awq' || o.quant.bits === 8)) throw new Error('makeRandomMoeFiles: experts are GPTQ 4-bit or float');
  const files = makeRandomLlamaFiles({ ...o, arch: MOE_BASE[o.arch], shards: 1 });
  const qwen = o.arch !== 'mixtral';
  const cfg = JSON.parse(new TextDecoder().decode(files.get('config.json')!)) as Record<string, unknown>;
  const F = qwen ? (o.expertIntermediate ?? o.intermediate) : o.intermediate;
  const step = o.decoderSparseStep ?? 1;
  const mlpOnly = o.mlpOnlyLayers ?? [];
  Object.assign(cfg, { model_type: o.arch, architectures: [MOE_CLASS[o.arch]], num_experts_per_tok: o.topK, router_aux_loss_coef: 0.001, output_router_logits: false });
  if (qwen) {
    Object.assign(cfg, { num_experts: o.experts, moe_intermediate_size: F, norm_topk_prob: o.normTopK ?? false, decoder_sparse_step: step, mlp_only_layers: mlpOnly, use_sliding_window: false });
    if (o.arch === 'qwen2_moe') cfg.shared_expert_intermediate_size = o.sharedIntermediate ?? 0;
  } else if (o.arch === 'olmoe') Object.assign(cfg, { num_experts: o.experts, norm_topk_prob: o.normTopK ?? false, clip_qkv: null });
  else cfg.num_local_experts = o.experts;
  files.set('config.json', new TextEncoder().encode(JSON.stringify(cfg, null, 2)));

  // Read the dense tensors back, drop the sparse layers' dense MLPs, add routers and experts.
  const st = files.get('model.safetensors')!;
  const h = parseSafetensorsHeader(st);
  const tensors: TensorToWrite[] = [];
  const sparse = (l: number) => !mlpOnly.includes(l) && (l + 1) % step === 0;
  for (const [name, t] of h.tensors) {
    const m = /^model\.layers\.(\d+)\.mlp\./.exec(name);
    if (m && sparse(Number(m[1]))) continue;
    const bytes = st.slice(h.dataOffset + t.begin, h.dataOffset + t.end);
    const data = t.dtype === 'F32' ? new Float32Array(bytes.buffer) : t.dtype === 'I32' ? new Int32Array(bytes.buffer) : new Uint16Array(bytes.buffer);
    tensors.push({ name, dtype: t.dtype, shape: t.shape, data });
  }
  const rand = seededRandom(o.seed ^ 0x6a09e667);
  const uniform = (n: number, a: number) => Float32Array.from({ length: n }, () => (rand() * 2 - 1) * a);
  const dtype = o.dtype ?? 'f32';
  const float = (name: string, w: Float32Array, shape: number[]): TensorToWrite =>
    dtype === 'f32' ? { name, dtype: 'F32', shape, data: w } : { name, dtype: dtype === 'bf16' ? 'BF16' : 'F16', shape, data: dtype === 'bf16' ? Uint16Array.from(w, (x) => new Uint32Array(new Float32Array([x]).buffer)[0] >>> 16) : Uint16Array.from(w, (x) => f32ToF16Bits(x)) };
  const quant = o.quant;
  const linear = (prefix: string, N: number, K: number): TensorToWrite[] => {
    const w = uniform(N * K, Math.sqrt(3 / K));
    if (!quant) return [float(`${prefix}.weight`, w, [N, K])];
    const settings: QuantSettings = { groupSize: quant.groupSize, sym: quant.sym ?? true, actOrder: quant.actOrder ?? false, format: quant.format ?? 'v1' };
    let order: number[] | undefined;
    if (settings.actOrder) {
      order = Array.from({ length: K }, (_, k) => k);
      for (let i = K - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [order[i], order[j]] = [order[j], order[i]];
      }
    }
    const t = packGptq(quantizeRtn(w, N, K, settings, order));
    const nG = t.scales.length / N;
    return [
      { name: `${prefix}.qweight`, dtype: 'I32', shape: [K / 8, N], data: t.qweight },
      { name: `${prefix}.qzeros`, dtype: 'I32', shape: [nG, N / 8], data: t.qzeros },
      { name: `${prefix}.scales`, dtype: 'F16', shape: [nG, N], data: t.scales },
      { name: `${prefix}.g_idx`, dtype: 'I32', shape: [K], data: t.gIdx },
    ];
  };
  const D = o.hidden;
  if (o.arch === 'olmoe') {
    const hd = o.headDim ?? o.hidden / o.heads;
    for (let l = 0; l < o.layers; l++) {
      const norm = (n: number) => Float32Array.from(uniform(n, 0.2), (x) => 1 + x);
      tensors.push(float(`model.layers.${l}.self_attn.q_norm.weight`, norm(o.heads * hd), [o.heads * hd]), float(`model.layers.${l}.self_attn.k_norm.weight`, norm(o.kvHeads * hd), [o.kvHeads * hd]));
    }
  }
  for (let l = 0; l < o.layers; l++) {
    if (!sparse(l)) continue;
    const p = `model.layers.${l}`;
    if (o.arch === 'mixtral') {
      tensors.push(float(`${p}.block_sparse_moe.gate.weight`, uniform(o.experts * D, 1.5 * Math.sqrt(3 / D)), [o.experts, D]));
      for (let e = 0; e < o.experts; e++) {
        const x = `${p}.block_sparse_moe.experts.${e}`;
        tensors.push(...linear(`${x}.w1`, F, D), ...linear(`${x}.w3`, F, D), ...linear(`${x}.w2`, D, F));
      }
    } else {
      tensors.push(float(`${p}.mlp.gate.weight`, uniform(o.experts * D, 1.5 * Math.sqrt(3 / D)), [o.experts, D]));
      for (let e = 0; e < o.experts; e++) {
        const x = `${p}.mlp.experts.${e}`;
        tensors.push(...linear(`${x}.gate_proj`, F, D), ...linear(`${x}.up_proj`, F, D), ...linear(`${x}.down_proj`, D, F));
      }
      const S = o.sharedIntermediate ?? 0;
      if (o.arch === 'qwen2_moe' && S > 0) {
        const x = `${p}.mlp.shared_expert`;
        tensors.push(...linear(`${x}.gate_proj`, S, D), ...linear(`${x}.up_proj`, S, D), ...linear(`${x}.down_proj`, D, S));
        tensors.push(float(`${p}.mlp.shared_expert_gate.weight`, uniform(D, Math.sqrt(3 / D)), [1, D]));
      }
    }
  }
  files.set('model.safetensors', writeSafetensors(tensors, h.metadata));
  return files;
}

/** Writes a random MoE model into `dir`. */
export async function makeRandomMoe(dir: string, o: RandomMoeOptions): Promise<void> {
  await writeModelDir(dir, makeRandomMoeFiles(o));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [dir, json] = process.argv.slice(2);
  if (!dir) {
    process.stderr.write('usage: node --import tsx scripts/make-random-llama.ts OUT_DIR [JSON options]\n');
    process.exit(2);
  }
  const defaults: RandomLlamaOptions = { hidden: 64, intermediate: 176, layers: 2, heads: 4, kvHeads: 2, vocab: 512, tied: false, seed: 1 };
  const opts = { ...defaults, ...(json ? JSON.parse(json) : {}) };
  if ('experts' in opts) await makeRandomMoe(dir, opts as RandomMoeOptions);
  else await makeRandomLlama(dir, opts);
  process.stdout.write(JSON.stringify({ out: dir }) + '\n');
}
