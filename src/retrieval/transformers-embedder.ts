// Embedder on @huggingface/transformers' feature-extraction pipeline: its tokenizer (truncating at the
// profile's maxTokens) and model, pooled and normalised as the model's profile says (embedding-profile.ts).
// Used in-process by the Node CLI (onnxruntime-node) and inside the browser's embedder worker
// (onnxruntime-web, wasm served by the app itself: see scripts/vite-ort-assets.ts).

import { profiledEmbedder, type Embedder, type RawEmbed } from './embedder';
import { embeddingProfile, type EmbeddingProfile } from './embedding-profile';
import { AppError, throwIfAborted } from '../shared/errors';
import type { ProgressCallback } from '../shared/progress';

export interface TransformersSetup {
  /** Hub (or mirror) base URL for downloads, e.g. 'https://huggingface.co/'. */
  remoteHost?: string;
  /** Whether files may be downloaded; false = only the local cache/folder is used. */
  allowRemote: boolean;
  /** Node: folder holding <modelId>/{config.json, tokenizer.json, onnx/model_quantized.onnx}. */
  localModelPath?: string;
  /** Node: folder where downloaded files are cached (transformers.js' default is inside node_modules). */
  cacheDir?: string;
  /** Browser: where the app serves onnxruntime-web's files (absolute URLs). */
  wasmPaths?: { mjs: string; wasm: string };
  onProgress?: ProgressCallback;
}

/** transformers.js' Tensor, as far as it is used here. */
interface Tensor {
  data: Float32Array;
  dims: number[];
  slice(...ranges: (number | null)[]): Tensor;
  normalize(p: number, dim: number): Tensor;
}
interface Tokenizer {
  encode(text: string, options?: { add_special_tokens?: boolean }): number[];
  (texts: string[], options: { padding: boolean; truncation: boolean; max_length: number }): Record<string, Tensor> & { attention_mask: Tensor };
}
interface FeatureExtractor {
  tokenizer: Tokenizer;
  model(inputs: Record<string, Tensor>): Promise<{ last_hidden_state: Tensor }>;
}

/** A loaded model that embeds texts exactly as given (the worker's side; prefixes are added by profiledEmbedder). */
export interface TransformersModel {
  readonly modelId: string;
  readonly profile: EmbeddingProfile;
  readonly tokenizer: Tokenizer;
  readonly raw: RawEmbed;
}

export interface TransformersEmbedder extends Embedder {
  readonly tokenizer: Tokenizer;
}

type Fetch = (input: string | URL, init?: RequestInit) => Promise<Response>;
/** transformers.js' own fetch, kept before any load replaces env.fetch. */
let hubFetch: Fetch | undefined;

function refuseHubDownloads(remoteHost: string, fetchOthers: Fetch): Fetch {
  return async (input, init) => {
    const url = String(input);
    if (url.startsWith(remoteHost)) throw new Error(`${url} is not in the cache and downloading is off`);
    return fetchOthers(input, init);
  };
}

/** Loads the model and wraps it with its profile: the embedder the CLI, the eval and the tests use. */
export async function loadTransformersEmbedder(modelId: string, setup: TransformersSetup): Promise<TransformersEmbedder> {
  const model = await loadTransformersModel(modelId, setup);
  return { ...profiledEmbedder(modelId, model.profile, model.raw), tokenizer: model.tokenizer };
}

export async function loadTransformersModel(modelId: string, setup: TransformersSetup): Promise<TransformersModel> {
  const { pipeline, env, mean_pooling } = await import('@huggingface/transformers');
  const profile = embeddingProfile(modelId);
  if (setup.remoteHost) env.remoteHost = setup.remoteHost.endsWith('/') ? setup.remoteHost : setup.remoteHost + '/';
  hubFetch ??= env.fetch;
  if (setup.localModelPath) {
    env.allowLocalModels = true;
    env.localModelPath = setup.localModelPath.endsWith('/') ? setup.localModelPath : setup.localModelPath + '/';
    env.allowRemoteModels = setup.allowRemote;
    env.fetch = hubFetch;
  } else {
    // No local folder: files come from transformers.js' cache (browser Cache API / env.cacheDir), else the
    // hub. transformers.js refuses to run with both local and remote models switched off — even for a
    // model it has cached — so "no downloads" keeps remote models on and refuses hub fetches instead
    // (the cache is consulted before any fetch; onnxruntime's wasm, fetched from the app, still loads).
    env.allowLocalModels = false;
    env.allowRemoteModels = true;
    env.fetch = setup.allowRemote ? hubFetch : refuseHubDownloads(env.remoteHost, hubFetch);
  }
  if (setup.cacheDir) env.cacheDir = setup.cacheDir;
  const wasm = env.backends.onnx.wasm as { wasmPaths?: unknown } | undefined;
  if (setup.wasmPaths && wasm) wasm.wasmPaths = { ...setup.wasmPaths };

  let extractor: FeatureExtractor;
  try {
    extractor = (await pipeline('feature-extraction', modelId, {
      dtype: 'q8',
      progress_callback: (p: { status: string; file?: string; loaded?: number; total?: number }) => {
        if (p.status === 'progress') setup.onProgress?.({ phase: 'download', loaded: p.loaded ?? 0, total: p.total ?? 0, file: p.file });
      },
    })) as unknown as FeatureExtractor;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new AppError(
      setup.allowRemote ? 'DOWNLOAD_FAILED' : 'MISSING_FILE',
      setup.allowRemote
        ? `Could not load the embedding model ${modelId} (${msg}). Check the hub address in Settings and your connection; search keeps working in lexical mode.`
        : `The embedding model ${modelId} could not be loaded from the local cache (${msg}). Download it (again) to enable hybrid search; lexical search works meanwhile.`,
    );
  }

  const pool = (hidden: Tensor, mask: Tensor): Tensor =>
    profile.pooling === 'mean' ? (mean_pooling(hidden as never, mask as never) as unknown as Tensor) : hidden.slice(null, 0);
  return {
    modelId,
    profile,
    tokenizer: extractor.tokenizer,
    async raw(texts, signal) {
      throwIfAborted(signal);
      if (texts.length === 0) return [];
      // What the feature-extraction pipeline does, with the profile's truncation, pooling and normalisation.
      const inputs = extractor.tokenizer([...texts], { padding: true, truncation: true, max_length: profile.maxTokens });
      const { last_hidden_state } = await extractor.model(inputs);
      let out = pool(last_hidden_state, inputs.attention_mask);
      if (profile.normalize) out = out.normalize(2, -1);
      throwIfAborted(signal);
      const dim = out.dims[out.dims.length - 1];
      return texts.map((_, i) => out.data.slice(i * dim, (i + 1) * dim));
    },
  };
}
