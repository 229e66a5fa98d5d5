// Embedder on @huggingface/transformers' feature-extraction pipeline (mean pooling + normalisation).
// Used in-process by the Node CLI (onnxruntime-node) and inside the browser's embedder worker
// (onnxruntime-web, wasm served by the app itself: see scripts/vite-ort-assets.ts).

import type { Embedder } from './embedder';
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

type FeatureExtractor = ((texts: string[], opts: { pooling: 'mean'; normalize: boolean }) => Promise<{ data: Float32Array; dims: number[] }>) & {
  tokenizer: { encode(text: string, options?: { add_special_tokens?: boolean }): number[] };
};

export interface TransformersEmbedder extends Embedder {
  readonly tokenizer: FeatureExtractor['tokenizer'];
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

export async function loadTransformersEmbedder(modelId: string, setup: TransformersSetup): Promise<TransformersEmbedder> {
  const { pipeline, env } = await import('@huggingface/transformers');
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

  return {
    modelId,
    tokenizer: extractor.tokenizer,
    async embed(texts, signal) {
      throwIfAborted(signal);
      if (texts.length === 0) return [];
      const out = await extractor([...texts], { pooling: 'mean', normalize: true });
      throwIfAborted(signal);
      const dim = out.dims[out.dims.length - 1];
      return texts.map((_, i) => out.data.slice(i * dim, (i + 1) * dim));
    },
  };
}
