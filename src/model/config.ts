// Parses a Hugging Face decoder config (config.json + quantize_config.json / quantization_config +
// generation_config.json) of the Llama family — llama, mistral, qwen2, qwen3 — into the one shape the engine,
// reference and converter use. The architectures differ only in a few switches:
//   qwen2: q/k/v biases (read from the tensors that exist), rope_theta 1e6, use_sliding_window must be false;
//   qwen3: per-head RMSNorm of q and k (q_norm/k_norm, weight [head_dim]) before RoPE, explicit head_dim;
//   mistral: sliding_window (null = full causal attention).
import { AppError } from '../shared/errors';

export interface Llama3RopeScaling {
  type: 'llama3';
  factor: number;
  lowFreqFactor: number;
  highFreqFactor: number;
  originalMaxPositionEmbeddings: number;
}

/** HF "linear" rope scaling (position interpolation): every inverse frequency divided by factor. */
export interface LinearRopeScaling {
  type: 'linear';
  factor: number;
}

/**
 * YaRN (Qwen2.5/Qwen3/QwQ long context, DeepSeek): frequencies blended between interpolated (÷ factor) and
 * original over a ramp of dimensions fixed by beta_fast / beta_slow rotations within the original context;
 * cos and sin are multiplied by attentionFactor (so attention logits by its square).
 */
export interface YarnRopeScaling {
  type: 'yarn';
  factor: number;
  originalMaxPositionEmbeddings: number;
  betaFast: number;
  betaSlow: number;
  /** cos/sin multiplier: rope_scaling.attention_factor, else DeepSeek's mscale ratio, else 0.1·ln(factor) + 1. */
  attentionFactor: number;
  /** Round the ramp's ends outwards to whole dimensions (HF `truncate`, default true; gpt-oss sets false). */
  truncate: boolean;
}

export type RopeScaling = Llama3RopeScaling | LinearRopeScaling | YarnRopeScaling;

export interface GptqQuantConfig {
  /** 'awq' (AutoAWQ gemm) tensors are repacked into the GPTQ layout at load (src/model/awq-repack.ts);
   *  absent = 'gptq' (configs built in code). */
  method?: 'gptq' | 'awq';
  /** 8-bit: four values per int32 (GPTQ only). */
  bits: 4 | 8;
  /** −1 = one group over the whole input dimension. */
  groupSize: number;
  /** act-order: g_idx is a permutation-ordered group map (look groups up through g_idx). */
  descAct: boolean;
  sym: boolean;
  /** v1 stores zero − 1 in qzeros; v2 stores the zero as is. */
  format: 'v1' | 'v2';
}

export type Architecture = 'llama' | 'mistral' | 'qwen2' | 'qwen3' | MoeArchitecture;
/** Mixture-of-experts models: parsed for the CPU reference (src/model/moe.ts); the GPU engine refuses them. */
export type MoeArchitecture = 'mixtral' | 'qwen2_moe' | 'qwen3_moe' | 'olmoe';

export interface MoeConfig {
  numExperts: number;
  /** num_experts_per_tok. */
  topK: number;
  /** Renormalise the top-k weights (Mixtral: always; Qwen-MoE / OLMoE: norm_topk_prob). */
  normTopK: boolean;
  /** Each expert's MLP width (Mixtral / OLMoE: intermediate_size; Qwen-MoE: moe_intermediate_size). */
  expertIntermediateSize: number;
  /** Qwen2-MoE's shared expert width (shared_expert_intermediate_size); 0 = no shared expert. */
  sharedExpertIntermediateSize: number;
  /** Per layer: true = sparse MoE MLP, false = a dense MLP of intermediateSize (Qwen-MoE's mlp_only_layers / decoder_sparse_step). */
  sparse: boolean[];
}

export interface LlamaConfig {
  /** parseModelConfig always sets the three architecture switches; configs built in code (synthetic bench
   *  shapes, the llama2.c converter) may leave them out, meaning plain Llama. */
  architecture?: Architecture;
  /** Qwen3: RMSNorm over each head of q and k (weights self_attn.q_norm / k_norm [headDim]) before RoPE. */
  qkNorm?: boolean;
  /** Mistral: a query at position i attends to keys j with i − j < slidingWindow; null = full causal. */
  slidingWindow?: number | null;
  /** Mixture of experts (absent / null: dense). */
  moe?: MoeConfig | null;
  /** OLMoE: q_norm / k_norm over the whole q [heads·headDim] and k [kvHeads·headDim] projections (not per head). */
  qkNormWhole?: boolean;
  /** OLMoE clip_qkv: q, k, v clamped to ±clipQkv after the norms; null = no clipping. */
  clipQkv?: number | null;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  rmsNormEps: number;
  ropeTheta: number;
  ropeScaling: null | RopeScaling;
  maxPositionEmbeddings: number;
  vocabSize: number;
  tieWordEmbeddings: boolean;
  bosTokenId: number;
  eosTokenIds: number[];
  quant: null | GptqQuantConfig;
}

const MODEL_TYPES: Record<string, Architecture> = {
  llama: 'llama', mistral: 'mistral', qwen2: 'qwen2', qwen3: 'qwen3',
  mixtral: 'mixtral', qwen2_moe: 'qwen2_moe', qwen3_moe: 'qwen3_moe', olmoe: 'olmoe',
};
const ARCHITECTURES: Record<string, Architecture> = {
  LlamaForCausalLM: 'llama',
  MistralForCausalLM: 'mistral',
  Qwen2ForCausalLM: 'qwen2',
  Qwen3ForCausalLM: 'qwen3',
  MixtralForCausalLM: 'mixtral',
  Qwen2MoeForCausalLM: 'qwen2_moe',
  Qwen3MoeForCausalLM: 'qwen3_moe',
  OlmoeForCausalLM: 'olmoe',
};

function intList(o: Obj, field: string): number[] {
  const v = o[field];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => !Number.isInteger(x) || x < 0)) throw malformed(field, `must be a list of layer indices, got ${JSON.stringify(v)}`);
  return v as number[];
}

/** The MoE fields of a mixtral / qwen2_moe / qwen3_moe / olmoe config (HF names), checked. */
function parseMoe(c: Obj, arch: MoeArchitecture, numLayers: number, intermediateSize: number): MoeConfig {
  const numExperts = posInt(c, arch === 'mixtral' ? 'num_local_experts' : 'num_experts');
  const topK = posInt(c, 'num_experts_per_tok');
  if (topK > numExperts) throw malformed('num_experts_per_tok', `(${topK}) is larger than the number of experts (${numExperts})`);
  const qwen = arch === 'qwen2_moe' || arch === 'qwen3_moe';
  const step = qwen ? posInt(c, 'decoder_sparse_step', 1) : 1;
  const mlpOnly = qwen ? intList(c, 'mlp_only_layers') : [];
  return {
    numExperts,
    topK,
    normTopK: arch === 'mixtral' ? true : c.norm_topk_prob === true,
    expertIntermediateSize: qwen ? posInt(c, 'moe_intermediate_size') : intermediateSize,
    // Required: a qwen2_moe block always has its shared expert, and a default of 0 would silently drop it.
    sharedExpertIntermediateSize: arch === 'qwen2_moe' ? posInt(c, 'shared_expert_intermediate_size') : 0,
    sparse: Array.from({ length: numLayers }, (_, l) => !mlpOnly.includes(l) && (l + 1) % step === 0),
  };
}

type Obj = Record<string, unknown>;

/** table[key] only for the table's own keys ("constructor", "__proto__" and other inherited names are not entries). */
function own<T>(table: Record<string, T>, key: unknown): T | undefined {
  return typeof key === 'string' && Object.prototype.hasOwnProperty.call(table, key) ? table[key] : undefined;
}

function isObj(x: unknown): x is Obj {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function malformed(field: string, why: string): AppError {
  return new AppError('MALFORMED_CONFIG', `config.json: field "${field}" ${why}. Check that the model's config files are complete and valid JSON.`);
}

function posInt(o: Obj, field: string, fallback?: number): number {
  const v = o[field];
  if (v === undefined || v === null) {
    if (fallback !== undefined) return fallback;
    throw malformed(field, 'is missing');
  }
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw malformed(field, `must be a positive integer, got ${JSON.stringify(v)}`);
  return v;
}

function posNum(o: Obj, field: string, fallback: number): number {
  const v = o[field];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw malformed(field, `must be a positive number, got ${JSON.stringify(v)}`);
  return v;
}

function idList(v: unknown, field: string): number[] {
  if (v === undefined || v === null) return [];
  const list = Array.isArray(v) ? v : [v];
  for (const x of list) if (typeof x !== 'number' || !Number.isInteger(x) || x < 0) throw malformed(field, `must be a token id or a list of token ids, got ${JSON.stringify(v)}`);
  return list as number[];
}

/** YaRN's magnitude correction for a scale s (the paper's 0.1·ln(s) + 1, times DeepSeek's mscale). */
function yarnMscale(scale: number, mscale: number): number {
  return scale <= 1 ? 1 : 0.1 * mscale * Math.log(scale) + 1;
}

// As llama.cpp, vLLM and transformers since its YaRN fix read it: `factor` is the scale (not
// max_position_embeddings / original_max_position_embeddings), the ramp is placed within the original context.
function parseYarn(v: Record<string, unknown>, maxPos: number): YarnRopeScaling {
  if (v.factor === undefined || v.factor === null) throw malformed('rope_scaling.factor', 'is missing (yarn rope scaling needs it)');
  const factor = posNum(v, 'factor', 1);
  const optionalNum = (key: string): number | null => (v[key] === undefined || v[key] === null ? null : posNum(v, key, 1));
  const explicit = optionalNum('attention_factor');
  const mscale = optionalNum('mscale');
  const mscaleAllDim = optionalNum('mscale_all_dim');
  const attentionFactor = explicit ?? (mscale !== null && mscaleAllDim !== null ? yarnMscale(factor, mscale) / yarnMscale(factor, mscaleAllDim) : yarnMscale(factor, 1));
  // HF treats 0 / null betas as "use the default" (`or 32`).
  const betaFast = v.beta_fast ? posNum(v, 'beta_fast', 32) : 32;
  const betaSlow = v.beta_slow ? posNum(v, 'beta_slow', 1) : 1;
  if (!(betaFast > betaSlow)) throw malformed('rope_scaling.beta_fast', `(${betaFast}) must be larger than rope_scaling.beta_slow (${betaSlow})`);
  if (v.truncate !== undefined && v.truncate !== null && typeof v.truncate !== 'boolean') throw malformed('rope_scaling.truncate', `must be true or false, got ${JSON.stringify(v.truncate)}`);
  return {
    type: 'yarn',
    factor,
    originalMaxPositionEmbeddings: posInt(v, 'original_max_position_embeddings', maxPos),
    betaFast,
    betaSlow,
    attentionFactor,
    truncate: v.truncate !== false,
  };
}

function parseRopeScaling(v: unknown, maxPos: number): LlamaConfig['ropeScaling'] {
  if (v === undefined || v === null) return null;
  if (!isObj(v)) throw malformed('rope_scaling', 'must be an object or null');
  const type = v.rope_type ?? v.type;
  if (type === 'default') return null;
  if (type === 'linear' || type === 'dynamic') {
    if (v.factor === undefined || v.factor === null) throw malformed('rope_scaling.factor', `is missing (${type} rope scaling needs it)`);
    const factor = posNum(v, 'factor', 1);
    // HF's dynamic NTK scaling changes the frequencies only once a sequence is longer than
    // max_position_embeddings; the engine never runs past it (its context is capped there), so within that
    // context the frequencies are exactly the unscaled ones.
    return type === 'linear' ? { type: 'linear', factor } : null;
  }
  if (type === 'yarn') return parseYarn(v, maxPos);
  if (type !== 'llama3') {
    throw new AppError('UNSUPPORTED_MODEL', `rope_scaling type ${JSON.stringify(type)} is not supported; "llama3", "linear", "dynamic" and "yarn" rope scaling (or none) are.`);
  }
  if (v.factor === undefined || v.factor === null) throw malformed('rope_scaling.factor', 'is missing (llama3 rope scaling needs it)');
  const factor = posNum(v, 'factor', 1);
  const lowFreqFactor = posNum(v, 'low_freq_factor', 1);
  const highFreqFactor = posNum(v, 'high_freq_factor', 4);
  if (!(highFreqFactor > lowFreqFactor)) {
    throw malformed('rope_scaling.high_freq_factor', `(${highFreqFactor}) must be larger than rope_scaling.low_freq_factor (${lowFreqFactor})`);
  }
  return {
    type: 'llama3',
    factor,
    lowFreqFactor,
    highFreqFactor,
    originalMaxPositionEmbeddings: posInt(v, 'original_max_position_embeddings', Math.min(maxPos, 8192)),
  };
}

function unsupportedQuant(what: string, instead: string): AppError {
  return new AppError('UNSUPPORTED_QUANTIZATION', `${what} is not supported. ${instead}`);
}

const PICK_INSTEAD = 'Pick a GPTQ (4- or 8-bit) or AWQ 4-bit export of this model.';

/** Quantisation methods we refuse, with the name users know them by. */
const REFUSED_METHODS: Record<string, string> = {
  bitsandbytes: 'bitsandbytes (LLM.int8 / NF4) quantisation',
  eetq: 'EETQ 8-bit quantisation',
  exl2: 'ExLlamaV2 (exl2) quantisation',
  marlin: 'The Marlin-repacked GPTQ format',
  hqq: 'HQQ quantisation',
  aqlm: 'AQLM quantisation',
  quanto: 'Quanto quantisation',
  fp8: 'FP8 quantisation',
  'compressed-tensors': 'compressed-tensors quantisation',
  torchao: 'torchao quantisation',
  gguf: 'A GGUF file inside a safetensors folder',
};

function groupSizeOf(q: Obj): number {
  const gs = q.group_size ?? q.q_group_size ?? -1;
  if (typeof gs !== 'number' || !Number.isInteger(gs) || (gs <= 0 && gs !== -1)) {
    throw new AppError('MALFORMED_CONFIG', `quantization config: group_size must be a positive integer or -1, got ${JSON.stringify(gs)}.`);
  }
  return gs;
}

function parseAwq(q: Obj): GptqQuantConfig {
  const bits = q.bits ?? q.w_bit;
  if (bits !== 4) throw unsupportedQuant(`AWQ with bits=${JSON.stringify(bits)}`, 'Only 4-bit AWQ (AutoAWQ "gemm") is; pick a 4-bit AWQ or GPTQ export of this model.');
  const version = typeof q.version === 'string' ? q.version.toLowerCase() : 'gemm';
  if (version !== 'gemm') {
    throw unsupportedQuant(`The AWQ "${version}" packing`, 'Only AutoAWQ\'s "gemm" packing is; pick an AWQ gemm export (the usual one) or a GPTQ export of this model.');
  }
  if (q.zero_point === false) throw unsupportedQuant('AWQ without zero points (zero_point: false)', PICK_INSTEAD);
  const gs = groupSizeOf(q);
  // AWQ has no act-order and stores zero points as they are (GPTQ "v2" semantics once repacked).
  return { method: 'awq', bits: 4, groupSize: gs, descAct: false, sym: false, format: 'v2' };
}

function parseQuant(q: Obj): GptqQuantConfig {
  const method = typeof q.quant_method === 'string' ? q.quant_method.toLowerCase() : q.quant_method;
  if (method === 'awq') return parseAwq(q);
  const refused = own(REFUSED_METHODS, method);
  if (refused) throw unsupportedQuant(refused, PICK_INSTEAD);
  if (method !== undefined && method !== 'gptq') throw unsupportedQuant(`Quantization method ${JSON.stringify(method)}`, `Only GPTQ (4- or 8-bit) and AWQ 4-bit are; ${PICK_INSTEAD.slice(5)}`);
  if (q.bits !== 4 && q.bits !== 8) {
    throw unsupportedQuant(
      `This model is quantized with GPTQ bits=${JSON.stringify(q.bits)}, which`,
      'Only 4-bit and 8-bit GPTQ are supported; pick a GPTQ-Int4 / Int8 (or AWQ 4-bit) export of this model.',
    );
  }
  if (q.is_marlin_format === true) throw unsupportedQuant(REFUSED_METHODS.marlin, 'Pick the plain GPTQ export of this model (checkpoint_format "gptq").');
  // GPTQModel's per-module overrides (other bits or group size for some layers): the layers would not have the
  // shapes the config says, and fail later with a shape error that hides why.
  if (isObj(q.dynamic) && Object.keys(q.dynamic).length > 0) {
    throw unsupportedQuant('GPTQ with per-module settings (quantization config "dynamic")', 'Only one bits / group size for every layer is; pick a uniform GPTQ export of this model.');
  }
  const gs = groupSizeOf(q);
  const fmtRaw = q.checkpoint_format ?? q.format;
  let format: 'v1' | 'v2';
  if (fmtRaw === undefined || fmtRaw === null || fmtRaw === 'gptq') format = 'v1';
  else if (fmtRaw === 'gptq_v2') format = 'v2';
  else if (fmtRaw === 'marlin') throw unsupportedQuant(REFUSED_METHODS.marlin, 'Pick the plain GPTQ export of this model (checkpoint_format "gptq").');
  else {
    throw unsupportedQuant(`GPTQ checkpoint format ${JSON.stringify(fmtRaw)}`, 'Only "gptq" (v1) and "gptq_v2" are; pick a plain GPTQ export of this model.');
  }
  return { method: 'gptq', bits: q.bits, groupSize: gs, descAct: q.desc_act === true, sym: q.sym !== false, format };
}

export function parseModelConfig(configJson: unknown, quantizeConfigJson?: unknown, generationConfigJson?: unknown): LlamaConfig {
  if (!isObj(configJson)) throw new AppError('MALFORMED_CONFIG', 'config.json is not a JSON object. Check the model files.');
  const c = configJson;
  const modelType = c.model_type;
  const archs = Array.isArray(c.architectures) ? (c.architectures as unknown[]) : [];
  const fromArch = archs.map((a) => own(ARCHITECTURES, a)).find((a) => a !== undefined);
  const architecture = own(MODEL_TYPES, modelType) ?? fromArch;
  if (!architecture) {
    throw new AppError(
      'UNSUPPORTED_MODEL',
      `Model type ${JSON.stringify(modelType ?? null)} (architectures ${JSON.stringify(archs)}) is not supported; only llama, mistral, qwen2 and qwen3 models are (mixtral, qwen2_moe, qwen3_moe and olmoe on the CPU reference only). Pick one of those.`,
    );
  }
  let slidingWindow: number | null = null;
  if (architecture === 'mistral' || architecture === 'mixtral') {
    slidingWindow = c.sliding_window === undefined || c.sliding_window === null ? null : posInt(c, 'sliding_window');
  } else if (['qwen2', 'qwen3', 'qwen2_moe', 'qwen3_moe'].includes(architecture) && c.use_sliding_window === true) {
    throw new AppError(
      'UNSUPPORTED_MODEL',
      `This ${architecture} config sets use_sliding_window: true (sliding window ${JSON.stringify(c.sliding_window ?? null)} on the layers from max_window_layers ${JSON.stringify(c.max_window_layers ?? null)}), which is not supported; every published Qwen config sets it to false. Set it to false if the model was trained without it, or pick another model.`,
    );
  }
  const hiddenSize = posInt(c, 'hidden_size');
  const numHeads = posInt(c, 'num_attention_heads');
  const numKvHeads = posInt(c, 'num_key_value_heads', numHeads);
  if (numHeads % numKvHeads !== 0) throw malformed('num_key_value_heads', `(${numKvHeads}) must divide num_attention_heads (${numHeads})`);
  const headDim = posInt(c, 'head_dim', hiddenSize / numHeads);
  if (!Number.isInteger(headDim) || headDim % 2 !== 0) throw malformed('head_dim', `must be an even integer, got ${headDim}`);
  const maxPositionEmbeddings = posInt(c, 'max_position_embeddings', 2048);

  const gen = isObj(generationConfigJson) ? generationConfigJson : {};
  const eos = new Set<number>([...idList(c.eos_token_id, 'eos_token_id'), ...idList(gen.eos_token_id, 'generation_config.eos_token_id')]);
  const bosList = idList(c.bos_token_id ?? gen.bos_token_id, 'bos_token_id');

  let quantObj: Obj | null = null;
  if (isObj(quantizeConfigJson)) quantObj = quantizeConfigJson;
  else if (isObj(c.quantization_config)) quantObj = c.quantization_config;
  else if (c.quantization_config !== undefined && c.quantization_config !== null) throw malformed('quantization_config', 'must be an object');

  const numLayers = posInt(c, 'num_hidden_layers');
  const intermediateSize = posInt(c, 'intermediate_size');
  const isMoe = architecture === 'mixtral' || architecture === 'qwen2_moe' || architecture === 'qwen3_moe' || architecture === 'olmoe';
  // The MLP's activation: every supported family uses SiLU (SwiGLU); a config naming another would run wrong.
  const act = c.hidden_act ?? c.hidden_activation;
  if (act !== undefined && act !== null && !(typeof act === 'string' && ['silu', 'swish'].includes(act.toLowerCase()))) {
    throw new AppError('UNSUPPORTED_MODEL', `This model's MLP activation is ${JSON.stringify(act)} (config.json hidden_act); only SiLU (silu / swish) is supported. Pick another model.`);
  }
  const clip = c.clip_qkv;
  if (clip !== undefined && clip !== null && !(typeof clip === 'number' && clip > 0)) throw malformed('clip_qkv', `must be a positive number or null, got ${JSON.stringify(clip)}`);
  return {
    architecture,
    qkNorm: architecture === 'qwen3' || architecture === 'qwen3_moe' || architecture === 'olmoe',
    slidingWindow,
    moe: isMoe ? parseMoe(c, architecture, numLayers, intermediateSize) : null,
    qkNormWhole: architecture === 'olmoe',
    clipQkv: architecture === 'olmoe' && typeof clip === 'number' ? clip : null,
    hiddenSize,
    intermediateSize,
    numLayers,
    numHeads,
    numKvHeads,
    headDim,
    // Defaults for a config without the field, as transformers' config classes have them for Mixtral and OLMoE
    // (1e-5, and Mixtral's 1e6 base); Qwen's published configs all set rope_theta (see docs/MODEL-FAMILIES.md).
    rmsNormEps: posNum(c, 'rms_norm_eps', architecture === 'mixtral' || architecture === 'olmoe' ? 1e-5 : 1e-6),
    ropeTheta: posNum(c, 'rope_theta', architecture.startsWith('qwen') || architecture === 'mixtral' ? 1000000 : 10000),
    ropeScaling: parseRopeScaling(c.rope_scaling, maxPositionEmbeddings),
    maxPositionEmbeddings,
    vocabSize: posInt(c, 'vocab_size'),
    tieWordEmbeddings: c.tie_word_embeddings === true,
    bosTokenId: bosList[0] ?? 1,
    eosTokenIds: [...eos],
    quant: quantObj ? parseQuant(quantObj) : null,
  };
}
