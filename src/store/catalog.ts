// The curated model list, GPU memory estimates, and the "does it fit this adapter?" check.
//
// Exported API
//   CATALOG: CatalogEntry[]      curated checkpoints: GPTQ Llama, Qwen2.5 GPTQ-Int4, Qwen3 GPTQ-Int8 / AWQ, Mistral
//                                GPTQ (facts from /work/shared/docs/MODELS.md and the repos' published config.json
//                                files; sizes not confirmed from a listing are this file's estimate, noted so)
//   recommendedEntry(uiLanguage, limits?) → the default suggestion (a Qwen model for a Chinese UI)
//   findCatalogEntry(repo, revision?)
//   estimateGpuMemory(shape, quant, opts?) → GpuMemoryEstimate (formula below)
//   checkFits(entry, limits, deviceMemoryHint?) → { ok: true, estimate } | { ok: false, reason, estimate }
//   shapeFromConfig(config, quantizeConfig?) → { shape, quant, contextLength } (for any repo's config.json)
//   describeRepo(hub, repo, revision?, signal?) → CatalogEntry for a repo id the user typed (discovers its
//       files and reads config.json + quantize_config.json; a few KB of traffic)
//
// GPU memory formula (bytes; h = hidden_size, I = intermediate_size, L = layers, H = heads, Hkv = KV heads,
// d = head_dim, V = vocab, T = context tokens, P = prefill chunk tokens, G = group size, b = bits = 4,
// f = bytes of a float weight (2, f16), k = bytes of a KV element (2, f16; 4 on the f32 path)); AWQ has the
// same bytes as GPTQ (no g_idx), GPTQ 8-bit runs as two 4-bit halves of the same total size):
//   gptq(K, N)   = K·N·b/8 (qweight) + ⌈K/G⌉·N·2 (scales f16) + ⌈K/G⌉·N·b/8 (qzeros) + K·4 (g_idx)
//   per layer    = gptq(h, H·d) + 2·gptq(h, Hkv·d) + gptq(H·d, h) + 2·gptq(h, I) + gptq(I, h) + 2·h·4 (norms)
//   weights      = L·per layer + V·h·f (embedding) + (tied ? 0 : V·h·f) (lm_head) + h·4 (final norm)
//   kvCache      = 2 · L · T · Hkv · d · k
//   activations  = 4 · ( P·(3h + (H + 2·Hkv)·d + H·d + 2I) + H·P·T + V )   (f32 scratch of one prefill chunk:
//                  hidden/residual/normed, q/k/v, attention output, gate/up, attention scores, last logits)
//   total        = weights + kvCache + activations
// Buffers the engine cannot split must each fit maxStorageBufferBindingSize and maxBufferSize: the largest
// quantized matrix, one layer's K or V cache (T·Hkv·d·k) and the attention scores (H·P·T·4). The embedding
// and lm_head are split into row blocks by the engine (Llama-3's 128256×2048 f16 embedding is 525 MB), so
// they are not held to the binding limit.
import { parseModelConfig } from '../model/config';
import { AppError } from '../shared/errors';
import { discoverModelFiles } from './discover';
import { describeHttpFailure, hubFetch, resolveUrl, validateRepoId, withHubDeadline, type HubSettings } from './hub';
import { formatBytes } from './quota';

export interface LlamaShape {
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  /** Default hiddenSize / numHeads. */
  headDim?: number;
  vocabSize: number;
  tiedEmbeddings: boolean;
  /** Mixture of experts: the fit check counts ALL experts (every one lives in GPU memory). */
  moe?: MoeShape;
}

/** A sparse model's MLP: `sparseLayers` of the numLayers are MoE (default all), the others dense of intermediateSize. */
export interface MoeShape {
  numExperts: number;
  topK: number;
  expertIntermediateSize: number;
  /** Qwen2-MoE shared expert width (0 / absent: none). */
  sharedExpertIntermediateSize?: number;
  sparseLayers?: number;
}

export interface QuantInfo {
  /** Default 'gptq'; 'none' for unquantized repos. */
  method?: 'gptq' | 'awq' | 'none';
  bits: number;
  groupSize: number;
  descAct?: boolean;
  sym?: boolean;
}

export interface CatalogEntry {
  id: string;
  /** A chat model whose repo has no chat template: loaded with LoadOptions.builtInChatTemplate. */
  builtInChatTemplate?: boolean;
  label: string;
  repo: string;
  revision: string;
  /** File names, or 'discover' (tree API, else standard names) at download time. */
  files: string[] | 'discover';
  /** Approximate download size in bytes (weights + small files). */
  downloadBytes: number;
  contextLength: number;
  licence: string;
  shape: LlamaShape;
  quant: QuantInfo;
  /** Things the user should know (e.g. no chat template). */
  notes?: string;
  /** True for the curated list; false for a repo the user typed in. */
  curated: boolean;
  /** config.json model_type: llama, mistral, qwen2, qwen3 (absent: llama). */
  architecture?: string;
  /** False when downloadBytes is this file's estimate from the shape, not a size read from the repo's listing. */
  sizeConfirmed?: boolean;
}

const MB = 1_000_000;

export const CATALOG: CatalogEntry[] = [
  {
    id: 'tinyllama-1.1b-chat',
    label: 'TinyLlama 1.1B Chat (GPTQ 4-bit)',
    repo: 'TheBloke/TinyLlama-1.1B-Chat-v1.0-GPTQ',
    revision: 'main',
    files: 'discover',
    downloadBytes: 770 * MB,
    contextLength: 2048,
    licence: 'apache-2.0',
    shape: { hiddenSize: 2048, intermediateSize: 5632, numLayers: 22, numHeads: 32, numKvHeads: 4, vocabSize: 32000, tiedEmbeddings: false },
    quant: { bits: 4, groupSize: 128, descAct: true },
    notes: 'Smallest chat model; quick to download, modest answers.',
    curated: true,
  },
  {
    id: 'llama-3.2-1b-instruct',
    label: 'Llama 3.2 1B Instruct (GPTQ 4-bit, ModelCloud vortex)',
    repo: 'ModelCloud/Llama-3.2-1B-Instruct-gptqmodel-4bit-vortex-v1',
    revision: 'main',
    files: 'discover',
    downloadBytes: 1615 * MB,
    contextLength: 131072,
    licence: 'llama3.2',
    shape: { hiddenSize: 2048, intermediateSize: 8192, numLayers: 16, numHeads: 32, numKvHeads: 8, headDim: 64, vocabSize: 128256, tiedEmbeddings: true },
    quant: { bits: 4, groupSize: 32, descAct: true, sym: true },
    curated: true,
  },
  {
    id: 'llama-3.2-3b-instruct',
    label: 'Llama 3.2 3B Instruct (GPTQ 4-bit, ModelCloud vortex)',
    repo: 'ModelCloud/Llama-3.2-3B-Instruct-gptqmodel-4bit-vortex-v3',
    revision: 'main',
    files: 'discover',
    downloadBytes: 3215 * MB,
    contextLength: 131072,
    licence: 'llama3.2',
    shape: { hiddenSize: 3072, intermediateSize: 8192, numLayers: 28, numHeads: 24, numKvHeads: 8, headDim: 128, vocabSize: 128256, tiedEmbeddings: true },
    // Group size not confirmed (MODELS.md "?"); 32 like the 1B vortex gives the larger (safer) estimate.
    quant: { bits: 4, groupSize: 32 },
    curated: true,
  },
  {
    id: 'llama-2-7b-chat',
    label: 'Llama 2 7B Chat (GPTQ 4-bit)',
    repo: 'TheBloke/Llama-2-7B-Chat-GPTQ',
    revision: 'main',
    files: 'discover',
    downloadBytes: 3905 * MB,
    contextLength: 4096,
    licence: 'llama2',
    shape: { hiddenSize: 4096, intermediateSize: 11008, numLayers: 32, numHeads: 32, numKvHeads: 32, vocabSize: 32000, tiedEmbeddings: false },
    quant: { bits: 4, groupSize: 128, descAct: false, sym: true },
    notes: 'No chat template in the repo: the app uses the Llama-2 [INST] format.',
    builtInChatTemplate: true,
    curated: true,
  },
  {
    id: 'llama-3.1-8b-instruct',
    label: 'Llama 3.1 8B Instruct (GPTQ INT4, hugging-quants)',
    repo: 'hugging-quants/Meta-Llama-3.1-8B-Instruct-GPTQ-INT4',
    revision: 'main',
    files: 'discover',
    downloadBytes: 5735 * MB,
    contextLength: 131072,
    licence: 'llama3.1',
    shape: { hiddenSize: 4096, intermediateSize: 14336, numLayers: 32, numHeads: 32, numKvHeads: 8, vocabSize: 128256, tiedEmbeddings: false },
    quant: { bits: 4, groupSize: 128, descAct: true, sym: true },
    notes: 'Two weight shards; needs a GPU with about 7 GB free.',
    curated: true,
  },
  {
    id: 'smollm2-1.7b-instruct',
    label: 'SmolLM2 1.7B Instruct (GPTQ 4-bit)',
    repo: 'fbaldassarri/HuggingFaceTB_SmolLM2-1.7B-Instruct-auto_gptq-int4-gs128-sym',
    revision: 'main',
    files: 'discover',
    downloadBytes: 1245 * MB,
    contextLength: 8192,
    licence: 'apache-2.0',
    shape: { hiddenSize: 2048, intermediateSize: 8192, numLayers: 24, numHeads: 32, numKvHeads: 32, vocabSize: 49152, tiedEmbeddings: true },
    quant: { bits: 4, groupSize: 128, descAct: false, sym: true },
    curated: true,
  },
  // Qwen2.5 Instruct, Qwen's own GPTQ-Int4 (q/k/v biases, ChatML; the three small ones have tied embeddings).
  {
    id: 'qwen2.5-0.5b-instruct',
    label: 'Qwen2.5 0.5B Instruct (GPTQ 4-bit)',
    repo: 'Qwen/Qwen2.5-0.5B-Instruct-GPTQ-Int4',
    revision: 'main',
    files: 'discover',
    downloadBytes: 459 * MB,
    contextLength: 32768,
    licence: 'apache-2.0',
    architecture: 'qwen2',
    shape: { hiddenSize: 896, intermediateSize: 4864, numLayers: 24, numHeads: 14, numKvHeads: 2, vocabSize: 151936, tiedEmbeddings: true },
    // group 128, no act-order, symmetric: as Qwen's GPTQ-Int4 configs read (MODELS.md marks them "?").
    quant: { method: 'gptq', bits: 4, groupSize: 128, descAct: false, sym: true },
    notes: 'Smallest Qwen; Chinese and English. Quick to download, modest answers.',
    curated: true,
  },
  {
    id: 'qwen2.5-1.5b-instruct',
    label: 'Qwen2.5 1.5B Instruct (GPTQ 4-bit)',
    repo: 'Qwen/Qwen2.5-1.5B-Instruct-GPTQ-Int4',
    revision: 'main',
    files: 'discover',
    downloadBytes: 1150 * MB,
    contextLength: 32768,
    licence: 'apache-2.0',
    architecture: 'qwen2',
    shape: { hiddenSize: 1536, intermediateSize: 8960, numLayers: 28, numHeads: 12, numKvHeads: 2, vocabSize: 151936, tiedEmbeddings: true },
    quant: { method: 'gptq', bits: 4, groupSize: 128, descAct: false, sym: true },
    notes: 'Good Chinese and English answers for its size.',
    curated: true,
  },
  {
    id: 'qwen2.5-3b-instruct',
    label: 'Qwen2.5 3B Instruct (GPTQ 4-bit)',
    repo: 'Qwen/Qwen2.5-3B-Instruct-GPTQ-Int4',
    revision: 'main',
    files: 'discover',
    downloadBytes: 2070 * MB,
    contextLength: 32768,
    licence: 'qwen-research',
    architecture: 'qwen2',
    shape: { hiddenSize: 2048, intermediateSize: 11008, numLayers: 36, numHeads: 16, numKvHeads: 2, vocabSize: 151936, tiedEmbeddings: true },
    quant: { method: 'gptq', bits: 4, groupSize: 128, descAct: false, sym: true },
    notes: 'Qwen research licence (non-commercial terms): read it before use.',
    curated: true,
  },
  {
    id: 'qwen2.5-7b-instruct',
    label: 'Qwen2.5 7B Instruct (GPTQ 4-bit)',
    repo: 'Qwen/Qwen2.5-7B-Instruct-GPTQ-Int4',
    revision: 'main',
    files: 'discover',
    downloadBytes: 5600 * MB,
    contextLength: 32768,
    licence: 'apache-2.0',
    architecture: 'qwen2',
    shape: { hiddenSize: 3584, intermediateSize: 18944, numLayers: 28, numHeads: 28, numKvHeads: 4, vocabSize: 152064, tiedEmbeddings: false },
    quant: { method: 'gptq', bits: 4, groupSize: 128, descAct: false, sym: true },
    notes: 'Two weight shards; needs a GPU with about 7 GB free.',
    curated: true,
  },
  // Qwen3 (q/k norm per head, explicit head_dim 128; thinking mode off for document answers). Sizes estimated.
  {
    id: 'qwen3-0.6b-int8',
    label: 'Qwen3 0.6B (GPTQ 8-bit)',
    repo: 'Qwen/Qwen3-0.6B-GPTQ-Int8',
    revision: 'main',
    files: 'discover',
    downloadBytes: 763 * MB,
    sizeConfirmed: false,
    contextLength: 40960,
    licence: 'apache-2.0',
    architecture: 'qwen3',
    shape: { hiddenSize: 1024, intermediateSize: 3072, numLayers: 28, numHeads: 16, numKvHeads: 8, headDim: 128, vocabSize: 151936, tiedEmbeddings: true },
    // group size and act-order not confirmed: 128 / no act-order assumed.
    quant: { method: 'gptq', bits: 8, groupSize: 128, descAct: false, sym: true },
    notes: 'Download size is an estimate. Answers without the thinking mode.',
    curated: true,
  },
  {
    id: 'qwen3-1.7b-int8',
    label: 'Qwen3 1.7B (GPTQ 8-bit)',
    repo: 'Qwen/Qwen3-1.7B-GPTQ-Int8',
    revision: 'main',
    files: 'discover',
    downloadBytes: 2067 * MB,
    sizeConfirmed: false,
    contextLength: 40960,
    licence: 'apache-2.0',
    architecture: 'qwen3',
    shape: { hiddenSize: 2048, intermediateSize: 6144, numLayers: 28, numHeads: 16, numKvHeads: 8, headDim: 128, vocabSize: 151936, tiedEmbeddings: true },
    quant: { method: 'gptq', bits: 8, groupSize: 128, descAct: false, sym: true },
    notes: 'Download size is an estimate. Answers without the thinking mode.',
    curated: true,
  },
  {
    id: 'qwen3-4b-awq',
    label: 'Qwen3 4B (AWQ 4-bit)',
    repo: 'Qwen/Qwen3-4B-AWQ',
    revision: 'main',
    files: 'discover',
    downloadBytes: 2670 * MB,
    sizeConfirmed: false,
    contextLength: 40960,
    licence: 'apache-2.0',
    architecture: 'qwen3',
    shape: { hiddenSize: 2560, intermediateSize: 9728, numLayers: 36, numHeads: 32, numKvHeads: 8, headDim: 128, vocabSize: 151936, tiedEmbeddings: true },
    quant: { method: 'awq', bits: 4, groupSize: 128 },
    notes: 'Download size is an estimate. Answers without the thinking mode.',
    curated: true,
  },
  {
    id: 'qwen3-8b-awq',
    label: 'Qwen3 8B (AWQ 4-bit)',
    repo: 'Qwen/Qwen3-8B-AWQ',
    revision: 'main',
    files: 'discover',
    downloadBytes: 6104 * MB,
    sizeConfirmed: false,
    contextLength: 40960,
    licence: 'apache-2.0',
    architecture: 'qwen3',
    shape: { hiddenSize: 4096, intermediateSize: 12288, numLayers: 36, numHeads: 32, numKvHeads: 8, headDim: 128, vocabSize: 151936, tiedEmbeddings: false },
    quant: { method: 'awq', bits: 4, groupSize: 128 },
    notes: 'Download size is an estimate; needs a GPU with about 7 GB free. Answers without the thinking mode.',
    curated: true,
  },
  {
    id: 'mistral-7b-instruct-v0.2',
    label: 'Mistral 7B Instruct v0.2 (GPTQ 4-bit)',
    repo: 'TheBloke/Mistral-7B-Instruct-v0.2-GPTQ',
    revision: 'main',
    files: 'discover',
    downloadBytes: 4156 * MB,
    sizeConfirmed: false,
    contextLength: 32768,
    licence: 'apache-2.0',
    architecture: 'mistral',
    shape: { hiddenSize: 4096, intermediateSize: 14336, numLayers: 32, numHeads: 32, numKvHeads: 8, vocabSize: 32000, tiedEmbeddings: false },
    // TheBloke's main branch: 4-bit, group 128, act-order (not confirmed from the stored config).
    quant: { method: 'gptq', bits: 4, groupSize: 128, descAct: true, sym: true },
    notes: 'About 4.2 GB (not confirmed). English first; no sliding window in v0.2.',
    curated: true,
  },
  // Mixture of experts (GPU: router + top-k on the GPU, only the chosen experts read per token; all experts in
  // GPU memory, which the fit check counts). Sizes are the formula's estimates from the published shapes.
  {
    id: 'olmoe-1b-7b-gptq',
    label: 'OLMoE 1B-7B (GPTQ 4-bit, mixture of experts)',
    repo: 'shuyuej/OLMoE-1B-7B-0924-GPTQ',
    revision: 'main',
    files: 'discover',
    downloadBytes: 3925 * MB,
    sizeConfirmed: false,
    contextLength: 4096,
    licence: 'apache-2.0',
    architecture: 'olmoe',
    shape: { hiddenSize: 2048, intermediateSize: 1024, numLayers: 16, numHeads: 16, numKvHeads: 16, headDim: 128, vocabSize: 50304, tiedEmbeddings: false, moe: { numExperts: 64, topK: 8, expertIntermediateSize: 1024 } },
    quant: { method: 'gptq', bits: 4, groupSize: 128, descAct: false, sym: true },
    notes: 'Download size is an estimate (about 3.9 GB listed). 64 experts, 8 active per token (~1B of ~7B parameters read per token). Not loaded here: whether this repo is the base or the instruct model and its tokenizer are not confirmed.',
    curated: true,
  },
  {
    id: 'qwen1.5-moe-a2.7b-chat-int4',
    label: 'Qwen1.5 MoE A2.7B Chat (GPTQ 4-bit, mixture of experts)',
    repo: 'Qwen/Qwen1.5-MoE-A2.7B-Chat-GPTQ-Int4',
    revision: 'main',
    files: 'discover',
    downloadBytes: 8397 * MB,
    sizeConfirmed: false,
    contextLength: 8192,
    licence: 'tongyi-qianwen',
    architecture: 'qwen2_moe',
    shape: { hiddenSize: 2048, intermediateSize: 5632, numLayers: 24, numHeads: 16, numKvHeads: 16, headDim: 128, vocabSize: 151936, tiedEmbeddings: false, moe: { numExperts: 60, topK: 4, expertIntermediateSize: 1408, sharedExpertIntermediateSize: 5632 } },
    quant: { method: 'gptq', bits: 4, groupSize: 128, descAct: false, sym: true },
    notes: 'Download size is an estimate (about 8.4 GB). 60 experts, 4 active + a shared expert per token; needs a GPU with about 9.5 GB free.',
    curated: true,
  },
  {
    id: 'qwen3-30b-a3b-int4',
    label: 'Qwen3 30B-A3B (GPTQ 4-bit, mixture of experts)',
    repo: 'Qwen/Qwen3-30B-A3B-GPTQ-Int4',
    revision: 'main',
    files: 'discover',
    downloadBytes: 16925 * MB,
    sizeConfirmed: false,
    contextLength: 40960,
    licence: 'apache-2.0',
    architecture: 'qwen3_moe',
    shape: { hiddenSize: 2048, intermediateSize: 6144, numLayers: 48, numHeads: 32, numKvHeads: 4, headDim: 128, vocabSize: 151936, tiedEmbeddings: false, moe: { numExperts: 128, topK: 8, expertIntermediateSize: 768 } },
    quant: { method: 'gptq', bits: 4, groupSize: 128, descAct: false, sym: true },
    notes: 'Download size is an estimate (about 16 GB); for machines with a large GPU or unified memory (about 18 GB free). 128 experts, 8 active per token (~3B of 30B parameters read per token). Answers without the thinking mode.',
    curated: true,
  },
];

/** The catalog id suggested first: a Qwen model for a Chinese UI (best Chinese answers), else Llama 3.2 1B. */
export function recommendedEntry(uiLanguage: string, limits?: AdapterLimits): CatalogEntry {
  const order = uiLanguage.toLowerCase().startsWith('zh')
    ? ['qwen2.5-1.5b-instruct', 'qwen2.5-0.5b-instruct']
    : ['llama-3.2-1b-instruct', 'qwen2.5-1.5b-instruct', 'tinyllama-1.1b-chat'];
  const entries = order.map((id) => CATALOG.find((e) => e.id === id)!);
  return entries.find((e) => !limits || checkFits(e, limits).ok) ?? entries[entries.length - 1];
}

export function findCatalogEntry(repo: string, revision = 'main'): CatalogEntry | undefined {
  return CATALOG.find((e) => e.repo.toLowerCase() === repo.toLowerCase() && e.revision === revision);
}

export interface EstimateOptions {
  /** KV-cache length in tokens (default min(contextLength, 4096), like the engine's default maxContext). */
  contextTokens?: number;
  /** Bytes per KV element (default 2: f16). */
  kvBytes?: number;
  /** Bytes per unquantized weight element (default 2: f16 embedding/lm_head). */
  floatWeightBytes?: number;
  /** Tokens per prefill chunk (default 128). */
  prefillTokens?: number;
}

export interface GpuMemoryEstimate {
  weights: number;
  kvCache: number;
  activations: number;
  total: number;
  /** Largest buffer the engine cannot split (must fit maxStorageBufferBindingSize). */
  largestUnsplitBuffer: number;
  contextTokens: number;
}

export const DEFAULT_CONTEXT_TOKENS = 4096;

export function gptqLinearBytes(K: number, N: number, q: QuantInfo): number {
  const groups = Math.ceil(K / q.groupSize);
  return (K * N * q.bits) / 8 + groups * N * 2 + (groups * N * q.bits) / 8 + K * 4;
}

export function estimateGpuMemory(shape: LlamaShape, quant: QuantInfo, contextLength: number, opts: EstimateOptions = {}): GpuMemoryEstimate {
  const h = shape.hiddenSize;
  const I = shape.intermediateSize;
  const H = shape.numHeads;
  const Hkv = shape.numKvHeads;
  const d = shape.headDim ?? h / H;
  const V = shape.vocabSize;
  const L = shape.numLayers;
  const T = opts.contextTokens ?? Math.min(contextLength, DEFAULT_CONTEXT_TOKENS);
  const P = Math.min(opts.prefillTokens ?? 128, T);
  const k = opts.kvBytes ?? 2;
  const f = opts.floatWeightBytes ?? 2;

  const attention = gptqLinearBytes(h, H * d, quant) + 2 * gptqLinearBytes(h, Hkv * d, quant) + gptqLinearBytes(H * d, h, quant) + 2 * h * 4;
  const mlp = (width: number) => 2 * gptqLinearBytes(h, width, quant) + gptqLinearBytes(width, h, quant);
  // MoE: a sparse layer holds the router (f16 [E, h]), all E experts and the shared expert with its gate.
  const moe = shape.moe;
  const sparse = moe ? Math.min(L, moe.sparseLayers ?? L) : 0;
  const moeMlp = moe ? moe.numExperts * h * f + moe.numExperts * mlp(moe.expertIntermediateSize) + (moe.sharedExpertIntermediateSize ? mlp(moe.sharedExpertIntermediateSize) + h * f : 0) : 0;
  const embedding = V * h * f;
  const weights = L * attention + (L - sparse) * mlp(I) + sparse * moeMlp + embedding + (shape.tiedEmbeddings ? 0 : embedding) + h * 4;
  const kvCache = 2 * L * T * Hkv * d * k;
  const activations = 4 * (P * (3 * h + (H + 2 * Hkv) * d + H * d + 2 * I) + H * P * T + V) + (moe ? 4 * P * (moe.numExperts + 2 * moe.topK + moe.topK * moe.expertIntermediateSize + 2 * (moe.sharedExpertIntermediateSize ?? 0)) : 0);
  // Experts are uploaded in binding-sized chunks (src/model/moe-expert-pack.ts): one expert's gate+up is the unit.
  const largestQweight = Math.max(sparse < L ? h * I : 0, h * H * d, moe ? 2 * h * moe.expertIntermediateSize : 0, moe?.sharedExpertIntermediateSize ? h * moe.sharedExpertIntermediateSize : 0) * (quant.bits / 8);
  const largestUnsplitBuffer = Math.max(largestQweight, T * Hkv * d * k, H * P * T * 4);
  return { weights, kvCache, activations, total: weights + kvCache + activations, largestUnsplitBuffer, contextTokens: T };
}

export interface AdapterLimits {
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
}

export type FitResult = { ok: true; estimate: GpuMemoryEstimate } | { ok: false; reason: string; estimate: GpuMemoryEstimate };

/**
 * Whether `entry` can run on an adapter with `limits`. `deviceMemoryHint` is the GPU memory the app believes
 * is available in bytes (WebGPU does not report it; e.g. a user setting), checked when given.
 */
export function checkFits(entry: Pick<CatalogEntry, 'label' | 'shape' | 'quant' | 'contextLength'>, limits: AdapterLimits, deviceMemoryHint?: number, opts: EstimateOptions = {}): FitResult {
  const estimate = estimateGpuMemory(entry.shape, entry.quant, entry.contextLength, opts);
  const need = `${entry.label} needs about ${formatBytes(estimate.total)} of GPU memory (weights ${formatBytes(estimate.weights)} + KV cache ${formatBytes(estimate.kvCache)} for ${estimate.contextTokens} tokens + working memory ${formatBytes(estimate.activations)})`;
  const maxBuffer = Math.min(limits.maxBufferSize, limits.maxStorageBufferBindingSize);
  if (estimate.largestUnsplitBuffer > maxBuffer) {
    return {
      ok: false,
      estimate,
      reason: `${entry.label} needs GPU buffers of ${formatBytes(estimate.largestUnsplitBuffer)}, but this GPU allows at most ${formatBytes(maxBuffer)} per buffer. Pick a smaller model.`,
    };
  }
  if (deviceMemoryHint !== undefined && deviceMemoryHint > 0 && estimate.total > deviceMemoryHint) {
    return { ok: false, estimate, reason: `${need}, but this device has about ${formatBytes(deviceMemoryHint)}. Pick a smaller model.` };
  }
  return { ok: true, estimate };
}

/** Shape and quantization from a repo's config.json (+ quantize_config.json for older AutoGPTQ repos). */
export function shapeFromConfig(config: Record<string, unknown>, quantizeConfig?: Record<string, unknown> | null): { shape: LlamaShape; quant: QuantInfo; contextLength: number } {
  const num = (k: string, fallback?: number): number => {
    const v = config[k];
    if (typeof v === 'number' && Number.isFinite(v) && v > 0) return v;
    if (fallback !== undefined) return fallback;
    throw new AppError('MALFORMED_CONFIG', `config.json has no valid "${k}". This does not look like a Llama-family model.`);
  };
  const numHeads = num('num_attention_heads');
  const shape: LlamaShape = {
    hiddenSize: num('hidden_size'),
    intermediateSize: num('intermediate_size'),
    numLayers: num('num_hidden_layers'),
    numHeads,
    numKvHeads: num('num_key_value_heads', numHeads),
    ...(typeof config.head_dim === 'number' ? { headDim: config.head_dim } : {}),
    vocabSize: num('vocab_size'),
    tiedEmbeddings: config.tie_word_embeddings === true,
  };
  // MoE configs (mixtral: num_local_experts + intermediate_size; qwen2_moe / qwen3_moe: num_experts +
  // moe_intermediate_size, mlp_only_layers, decoder_sparse_step; olmoe: num_experts + intermediate_size).
  const experts = Number(config.num_local_experts ?? config.num_experts ?? 0);
  if (experts > 0) {
    const step = Number(config.decoder_sparse_step ?? 1) || 1;
    const mlpOnly = Array.isArray(config.mlp_only_layers) ? (config.mlp_only_layers as number[]) : [];
    const sparseLayers = Array.from({ length: shape.numLayers }, (_, l) => !mlpOnly.includes(l) && (l + 1) % step === 0).filter(Boolean).length;
    shape.moe = {
      numExperts: experts,
      topK: num('num_experts_per_tok', 2),
      expertIntermediateSize: typeof config.moe_intermediate_size === 'number' ? config.moe_intermediate_size : shape.intermediateSize,
      ...(typeof config.shared_expert_intermediate_size === 'number' ? { sharedExpertIntermediateSize: config.shared_expert_intermediate_size } : {}),
      sparseLayers,
    };
  }
  const q = (config.quantization_config ?? quantizeConfig ?? null) as Record<string, unknown> | null;
  const method = q && String(q.quant_method ?? 'gptq').toLowerCase() === 'awq' ? 'awq' : 'gptq';
  const quant: QuantInfo = q
    ? { method, bits: Number(q.bits ?? q.w_bit ?? 4), groupSize: Number(q.group_size ?? 128) > 0 ? Number(q.group_size ?? 128) : shape.hiddenSize, descAct: q.desc_act === true, sym: q.sym !== false }
    : { method: 'none', bits: 16, groupSize: shape.hiddenSize };
  return { shape, quant, contextLength: num('max_position_embeddings', 2048) };
}

async function fetchJson(hub: HubSettings, repo: string, revision: string, path: string, signal?: AbortSignal): Promise<Record<string, unknown>> {
  return withHubDeadline(hub, `${repo}/${path}`, signal, async (deadline) => {
    const res = await hubFetch(hub, resolveUrl(hub, repo, revision, path), { signal: deadline });
    if (!res.ok) throw new AppError('DOWNLOAD_FAILED', describeHttpFailure(res.status, `${repo}/${path}`, hub));
    try {
      return (await res.json()) as Record<string, unknown>;
    } catch {
      throw new AppError('MALFORMED_CONFIG', `${repo}/${path} is not valid JSON.`);
    }
  });
}

/** A catalog entry for any hub repo: its files (with sizes) and its shape from config.json. */
export async function describeRepo(hub: HubSettings, repoId: string, revision = 'main', signal?: AbortSignal): Promise<CatalogEntry & { fileList: { path: string; size?: number; sha256?: string }[] }> {
  const repo = validateRepoId(repoId);
  const { files } = await discoverModelFiles(hub, repo, revision, signal);
  const config = await fetchJson(hub, repo, revision, 'config.json', signal);
  const qc = files.some((f) => f.path === 'quantize_config.json') ? await fetchJson(hub, repo, revision, 'quantize_config.json', signal) : null;
  const gen = files.some((f) => f.path === 'generation_config.json') ? await fetchJson(hub, repo, revision, 'generation_config.json', signal).catch(() => null) : null;
  // The loader's own rules (architecture, activation, rope scaling, quantisation method and bits, …): a repo the
  // engine would refuse is refused here, with the same code and advice, before gigabytes are downloaded for it.
  const parsed = parseModelConfig(config, qc, gen);
  const { shape, contextLength } = shapeFromConfig(config, qc);
  // As the loader reads it (quantize_config.json before config.json's quantization_config).
  const quant: QuantInfo = parsed.quant
    ? { method: parsed.quant.method, bits: parsed.quant.bits, groupSize: parsed.quant.groupSize > 0 ? parsed.quant.groupSize : shape.hiddenSize, descAct: parsed.quant.descAct, sym: parsed.quant.sym }
    : { method: 'none', bits: 16, groupSize: shape.hiddenSize };
  const curated = findCatalogEntry(repo, revision);
  return {
    id: `${repo}@${revision}`,
    label: curated?.label ?? repo,
    repo,
    revision,
    files: files.map((f) => f.path),
    fileList: files,
    downloadBytes: files.reduce((n, f) => n + (f.size ?? 0), 0),
    contextLength,
    licence: curated?.licence ?? (typeof config.license === 'string' ? config.license : 'see the repo'),
    shape,
    quant,
    ...(curated?.notes ? { notes: curated.notes } : {}),
    ...(typeof config.model_type === 'string' ? { architecture: config.model_type } : {}),
    curated: false,
  };
}
