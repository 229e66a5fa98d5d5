// Parses a Hugging Face Llama-family config (config.json + quantize_config.json / quantization_config +
// generation_config.json) into the one shape the engine, reference and converter use.
import { AppError } from '../shared/errors';

export interface Llama3RopeScaling {
  type: 'llama3';
  factor: number;
  lowFreqFactor: number;
  highFreqFactor: number;
  originalMaxPositionEmbeddings: number;
}

export interface GptqQuantConfig {
  bits: 4;
  /** −1 = one group over the whole input dimension. */
  groupSize: number;
  /** act-order: g_idx is a permutation-ordered group map (look groups up through g_idx). */
  descAct: boolean;
  sym: boolean;
  /** v1 stores zero − 1 in qzeros; v2 stores the zero as is. */
  format: 'v1' | 'v2';
}

export interface LlamaConfig {
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  rmsNormEps: number;
  ropeTheta: number;
  ropeScaling: null | Llama3RopeScaling;
  maxPositionEmbeddings: number;
  vocabSize: number;
  tieWordEmbeddings: boolean;
  bosTokenId: number;
  eosTokenIds: number[];
  quant: null | GptqQuantConfig;
}

const SUPPORTED_MODEL_TYPES = new Set(['llama', 'mistral']);

type Obj = Record<string, unknown>;

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

function parseRopeScaling(v: unknown, maxPos: number): LlamaConfig['ropeScaling'] {
  if (v === undefined || v === null) return null;
  if (!isObj(v)) throw malformed('rope_scaling', 'must be an object or null');
  const type = v.rope_type ?? v.type;
  if (type === 'default') return null;
  if (type !== 'llama3') {
    throw new AppError('UNSUPPORTED_MODEL', `rope_scaling type ${JSON.stringify(type)} is not supported; only "llama3" rope scaling (or none) is.`);
  }
  return {
    type: 'llama3',
    factor: posNum(v, 'factor', NaN),
    lowFreqFactor: posNum(v, 'low_freq_factor', 1),
    highFreqFactor: posNum(v, 'high_freq_factor', 4),
    originalMaxPositionEmbeddings: posInt(v, 'original_max_position_embeddings', Math.min(maxPos, 8192)),
  };
}

function parseQuant(q: Obj): GptqQuantConfig {
  const method = q.quant_method;
  if (method !== undefined && method !== 'gptq') {
    throw new AppError('UNSUPPORTED_QUANTIZATION', `Quantization method ${JSON.stringify(method)} is not supported; only 4-bit GPTQ is. Pick a GPTQ 4-bit export of this model.`);
  }
  if (q.bits !== 4) {
    throw new AppError('UNSUPPORTED_QUANTIZATION', `This model is quantized with bits=${JSON.stringify(q.bits)}; only 4-bit GPTQ is supported. Pick a 4-bit GPTQ export of this model.`);
  }
  const gs = q.group_size ?? -1;
  if (typeof gs !== 'number' || !Number.isInteger(gs) || (gs <= 0 && gs !== -1)) {
    throw new AppError('MALFORMED_CONFIG', `quantization config: group_size must be a positive integer or -1, got ${JSON.stringify(gs)}.`);
  }
  const fmtRaw = q.checkpoint_format ?? q.format;
  let format: 'v1' | 'v2';
  if (fmtRaw === undefined || fmtRaw === null || fmtRaw === 'gptq') format = 'v1';
  else if (fmtRaw === 'gptq_v2') format = 'v2';
  else {
    throw new AppError('UNSUPPORTED_QUANTIZATION', `GPTQ checkpoint format ${JSON.stringify(fmtRaw)} is not supported; only "gptq" (v1) and "gptq_v2" are.`);
  }
  return { bits: 4, groupSize: gs, descAct: q.desc_act === true, sym: q.sym !== false, format };
}

export function parseModelConfig(configJson: unknown, quantizeConfigJson?: unknown, generationConfigJson?: unknown): LlamaConfig {
  if (!isObj(configJson)) throw new AppError('MALFORMED_CONFIG', 'config.json is not a JSON object. Check the model files.');
  const c = configJson;
  const modelType = c.model_type;
  const archs = Array.isArray(c.architectures) ? (c.architectures as unknown[]) : [];
  const archOk = archs.some((a) => typeof a === 'string' && /^(Llama|Mistral)ForCausalLM$/.test(a));
  if (!(typeof modelType === 'string' && SUPPORTED_MODEL_TYPES.has(modelType)) && !archOk) {
    throw new AppError(
      'UNSUPPORTED_MODEL',
      `Model type ${JSON.stringify(modelType ?? null)} (architectures ${JSON.stringify(archs)}) is not supported; only Llama-family models (llama, mistral) are.`,
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

  return {
    hiddenSize,
    intermediateSize: posInt(c, 'intermediate_size'),
    numLayers: posInt(c, 'num_hidden_layers'),
    numHeads,
    numKvHeads,
    headDim,
    rmsNormEps: posNum(c, 'rms_norm_eps', 1e-6),
    ropeTheta: posNum(c, 'rope_theta', 10000),
    ropeScaling: parseRopeScaling(c.rope_scaling, maxPositionEmbeddings),
    maxPositionEmbeddings,
    vocabSize: posInt(c, 'vocab_size'),
    tieWordEmbeddings: c.tie_word_embeddings === true,
    bosTokenId: bosList[0] ?? 1,
    eosTokenIds: [...eos],
    quant: quantObj ? parseQuant(quantObj) : null,
  };
}
