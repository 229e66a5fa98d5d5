// Serialises an fp32 Llama-family model (optionally with 4-bit GPTQ linears, or any other format through the
// linearTensors hook) as a Hugging Face model directory: config.json (+ quantization_config) written the way the
// architecture's published configs are (llama, mistral, qwen2, qwen3), quantize_config.json, safetensors
// (optionally sharded with an index), generation_config.json, tokenizer.json, tokenizer_config.json.
// Pure: returns file name → bytes.
import { f32ArrayToF16Bits } from '../../shared/f16';
import type { Architecture, LlamaConfig, MoeArchitecture } from '../config';

/** The architectures this writer serialises (not the mixture-of-experts ones). */
export type DenseArchitecture = Exclude<Architecture, MoeArchitecture>;
import { packGptq } from '../gptq-pack';
import { LINEAR_NAMES, QK_NORM_NAMES, type LinearKey } from '../checkpoint';
import type { LlamaWeightsF32 } from '../reference';
import type { QuantizedLayer } from './quantize-model';
import { writeSafetensors, type TensorToWrite } from './../safetensors';
import type { QuantSettings } from './gptq';

export type FloatDtype = 'f32' | 'f16' | 'bf16';

/** The shape fields share LlamaConfig's names and types; rope scaling is given in config.json's snake_case. */
export interface HfModelSpec
  extends Pick<LlamaConfig, 'hiddenSize' | 'intermediateSize' | 'numLayers' | 'numHeads' | 'numKvHeads' | 'headDim' | 'vocabSize' | 'maxPositionEmbeddings' | 'rmsNormEps' | 'ropeTheta' | 'tieWordEmbeddings' | 'bosTokenId' | 'eosTokenIds'> {
  weights: LlamaWeightsF32;
  /** Present when the linears are GPTQ-quantized (one entry per layer). */
  quantized?: { layers: QuantizedLayer[]; settings: QuantSettings };
  /** config.json's rope_scaling, written as given. */
  ropeScaling?:
    | null
    | { rope_type: 'llama3'; factor: number; low_freq_factor: number; high_freq_factor: number; original_max_position_embeddings: number }
    | { rope_type: 'linear' | 'dynamic'; factor: number }
    | { rope_type: 'yarn'; factor: number; original_max_position_embeddings: number };
  dtype: FloatDtype;
  shards: number;
  tokenizerJson: unknown;
  tokenizerConfigJson: unknown;
  /** Where config.json's quantization settings go (default both config.json and quantize_config.json). */
  quantConfigIn?: 'config' | 'quantize_config' | 'both';
  /** Default 'llama'. Qwen3 layers need qNorm/kNorm in the weights. */
  architecture?: DenseArchitecture;
  /** Mistral's sliding_window (null = none); ignored for the other architectures. */
  slidingWindow?: number | null;
  /**
   * Writes a linear layer in another format (AWQ, GPTQ 8-bit: the random-model generator): the tensors under
   * `prefix` (e.g. model.layers.0.self_attn.q_proj), or null to write it as usual.
   */
  linearTensors?: (layer: number, key: LinearKey, prefix: string) => TensorToWrite[] | null;
  /** The quantization config to write when linearTensors is used (instead of quantized.settings'). */
  quantizationConfig?: Record<string, unknown>;
}

const ARCHITECTURE_CLASS: Record<DenseArchitecture, string> = {
  llama: 'LlamaForCausalLM',
  mistral: 'MistralForCausalLM',
  qwen2: 'Qwen2ForCausalLM',
  qwen3: 'Qwen3ForCausalLM',
};

/** The fields a published config of this architecture has beyond the common ones (and without those it lacks). */
function architectureFields(spec: HfModelSpec, arch: DenseArchitecture): Record<string, unknown> {
  const layers = spec.weights.layers;
  const anyBias = (keys: LinearKey[]) => layers.some((l) => keys.some((k) => !!l[k].bias));
  switch (arch) {
    case 'llama':
      return { head_dim: spec.headDim, attention_bias: anyBias(['q', 'k', 'v', 'o']), mlp_bias: anyBias(['gate', 'up', 'down']) };
    case 'mistral':
      return { head_dim: spec.headDim, sliding_window: spec.slidingWindow ?? null };
    case 'qwen2':
      // Qwen2 configs have no head_dim (hidden / heads) and no bias flags (q/k/v always have biases).
      return {
        ...(spec.headDim !== spec.hiddenSize / spec.numHeads ? { head_dim: spec.headDim } : {}),
        use_sliding_window: false,
        sliding_window: spec.maxPositionEmbeddings,
        max_window_layers: spec.numLayers,
      };
    case 'qwen3':
      return { head_dim: spec.headDim, attention_bias: false, use_sliding_window: false, sliding_window: null, max_window_layers: spec.numLayers };
  }
}

const TORCH_DTYPE: Record<FloatDtype, string> = { f32: 'float32', f16: 'float16', bf16: 'bfloat16' };

function bf16Bits(a: Float32Array): Uint16Array {
  const u = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const out = new Uint16Array(a.length);
  for (let i = 0; i < a.length; i++) {
    const b = u[i];
    out[i] = ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff; // round to nearest even
  }
  return out;
}

function floatTensor(name: string, shape: number[], data: Float32Array, dtype: FloatDtype): TensorToWrite {
  if (dtype === 'f32') return { name, dtype: 'F32', shape, data };
  if (dtype === 'f16') return { name, dtype: 'F16', shape, data: f32ArrayToF16Bits(data) };
  return { name, dtype: 'BF16', shape, data: bf16Bits(data) };
}

export function quantizationConfigJson(s: QuantSettings): Record<string, unknown> {
  return {
    quant_method: 'gptq',
    bits: 4,
    group_size: s.groupSize,
    desc_act: s.actOrder,
    sym: s.sym,
    checkpoint_format: s.format === 'v1' ? 'gptq' : 'gptq_v2',
    true_sequential: true,
    damp_percent: 0.01,
    static_groups: false,
  };
}

export function hfTensors(spec: HfModelSpec): TensorToWrite[] {
  const { weights: w, dtype } = spec;
  const D = spec.hiddenSize;
  const out: TensorToWrite[] = [floatTensor('model.embed_tokens.weight', [spec.vocabSize, D], w.embed, dtype)];
  w.layers.forEach((lw, l) => {
    const p = `model.layers.${l}`;
    out.push(floatTensor(`${p}.input_layernorm.weight`, [D], lw.attnNorm, dtype));
    if (lw.qNorm) out.push(floatTensor(`${p}.${QK_NORM_NAMES.q}`, [lw.qNorm.length], lw.qNorm, dtype));
    if (lw.kNorm) out.push(floatTensor(`${p}.${QK_NORM_NAMES.k}`, [lw.kNorm.length], lw.kNorm, dtype));
    for (const [key, name] of LINEAR_NAMES) {
      const lin = lw[key];
      const custom = spec.linearTensors?.(l, key, `${p}.${name}`);
      if (custom) out.push(...custom);
      else if (spec.quantized) {
        const t = packGptq(spec.quantized.layers[l][key]);
        const nG = t.scales.length / t.N;
        out.push({ name: `${p}.${name}.qweight`, dtype: 'I32', shape: [t.K / 8, t.N], data: t.qweight });
        out.push({ name: `${p}.${name}.qzeros`, dtype: 'I32', shape: [nG, t.N / 8], data: t.qzeros });
        out.push({ name: `${p}.${name}.scales`, dtype: 'F16', shape: [nG, t.N], data: t.scales });
        out.push({ name: `${p}.${name}.g_idx`, dtype: 'I32', shape: [t.K], data: t.gIdx });
        if (t.bias) out.push({ name: `${p}.${name}.bias`, dtype: 'F16', shape: [t.N], data: t.bias });
      } else {
        out.push(floatTensor(`${p}.${name}.weight`, [lin.N, lin.K], lin.w, dtype));
        if (lin.bias) out.push(floatTensor(`${p}.${name}.bias`, [lin.N], lin.bias, dtype));
      }
    }
    out.push(floatTensor(`${p}.post_attention_layernorm.weight`, [D], lw.mlpNorm, dtype));
  });
  out.push(floatTensor('model.norm.weight', [D], w.finalNorm, dtype));
  if (!spec.tieWordEmbeddings) out.push(floatTensor('lm_head.weight', [spec.vocabSize, D], w.lmHead, dtype));
  return out;
}

/** Splits tensors into `n` contiguous shards of roughly equal byte size (each shard gets at least one). */
function splitShards(tensors: TensorToWrite[], n: number): TensorToWrite[][] {
  const count = Math.max(1, Math.min(n, tensors.length));
  const total = tensors.reduce((a, t) => a + t.data.byteLength, 0);
  const shards: TensorToWrite[][] = [[]];
  let acc = 0;
  tensors.forEach((t, i) => {
    const cur = shards[shards.length - 1];
    const remainingTensors = tensors.length - i;
    const remainingShards = count - shards.length;
    if (cur.length > 0 && remainingShards > 0 && (acc >= (total * shards.length) / count || remainingTensors <= remainingShards)) shards.push([]);
    shards[shards.length - 1].push(t);
    acc += t.data.byteLength;
  });
  return shards;
}

export function shardName(i: number, n: number): string {
  return `model-${String(i + 1).padStart(5, '0')}-of-${String(n).padStart(5, '0')}.safetensors`;
}

export function buildHfModelFiles(spec: HfModelSpec): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  const json = (name: string, v: unknown) => files.set(name, new TextEncoder().encode(JSON.stringify(v, null, 2) + '\n'));
  const where = spec.quantConfigIn ?? 'both';
  const arch = spec.architecture ?? 'llama';
  const config: Record<string, unknown> = {
    architectures: [ARCHITECTURE_CLASS[arch]],
    model_type: arch,
    hidden_size: spec.hiddenSize,
    intermediate_size: spec.intermediateSize,
    num_hidden_layers: spec.numLayers,
    num_attention_heads: spec.numHeads,
    num_key_value_heads: spec.numKvHeads,
    hidden_act: 'silu',
    rms_norm_eps: spec.rmsNormEps,
    rope_theta: spec.ropeTheta,
    rope_scaling: spec.ropeScaling ?? null,
    max_position_embeddings: spec.maxPositionEmbeddings,
    vocab_size: spec.vocabSize,
    tie_word_embeddings: spec.tieWordEmbeddings,
    ...architectureFields(spec, arch),
    bos_token_id: spec.bosTokenId,
    eos_token_id: spec.eosTokenIds.length === 1 ? spec.eosTokenIds[0] : spec.eosTokenIds,
    torch_dtype: spec.quantized || spec.quantizationConfig ? 'float16' : TORCH_DTYPE[spec.dtype],
  };
  const quantJson = spec.quantizationConfig ?? (spec.quantized ? quantizationConfigJson(spec.quantized.settings) : null);
  if (quantJson && where !== 'quantize_config') config.quantization_config = quantJson;
  json('config.json', config);
  if (quantJson && where !== 'config') json('quantize_config.json', quantJson);
  json('generation_config.json', { bos_token_id: spec.bosTokenId, eos_token_id: spec.eosTokenIds.length === 1 ? spec.eosTokenIds[0] : spec.eosTokenIds });
  json('tokenizer.json', spec.tokenizerJson);
  json('tokenizer_config.json', spec.tokenizerConfigJson);

  const tensors = hfTensors(spec);
  const metadata = { format: 'pt' };
  if (spec.shards <= 1) {
    files.set('model.safetensors', writeSafetensors(tensors, metadata));
  } else {
    const shards = splitShards(tensors, spec.shards);
    const weightMap: Record<string, string> = {};
    let totalSize = 0;
    shards.forEach((group, i) => {
      const name = shardName(i, shards.length);
      for (const t of group) {
        weightMap[t.name] = name;
        totalSize += t.data.byteLength;
      }
      files.set(name, writeSafetensors(group, metadata));
    });
    json('model.safetensors.index.json', { metadata: { total_size: totalSize }, weight_map: weightMap });
  }
  return files;
}
