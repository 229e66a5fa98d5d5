// Node side (CLI, eval script): embedding models are used only when they are already on disk in the
// cache folder — nothing is ever downloaded here. Layout, as on the hub:
//   <cacheDir>/Xenova/all-MiniLM-L6-v2/{config.json, tokenizer.json, tokenizer_config.json, onnx/model_quantized.onnx}
// The folder is $PDFCHAT_MODEL_CACHE, else ~/.cache/pdfchat/models.

import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Embedder, EmbedderProvider } from './embedder';
import { loadTransformersEmbedder, type TransformersEmbedder } from './transformers-embedder';
import { AppError } from '../shared/errors';

export const REQUIRED_MODEL_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model_quantized.onnx'];

export function defaultModelCacheDir(): string {
  return process.env.PDFCHAT_MODEL_CACHE || join(homedir(), '.cache', 'pdfchat', 'models');
}

/** Files of the model missing from the cache folder (empty when it can be loaded offline). */
export function missingModelFiles(cacheDir: string, modelId: string): string[] {
  return REQUIRED_MODEL_FILES.filter((f) => !existsSync(join(cacheDir, modelId, f)));
}

export class NodeCachedEmbedderProvider implements EmbedderProvider {
  private readonly loaded = new Map<string, Promise<TransformersEmbedder>>();
  constructor(readonly cacheDir = defaultModelCacheDir()) {}

  async get(modelId: string): Promise<{ embedder: Embedder } | { embedder: null; reason: string }> {
    const missing = missingModelFiles(this.cacheDir, modelId);
    if (missing.length > 0) {
      return { embedder: null, reason: `embedding model ${modelId} is not in the local cache ${this.cacheDir} (nothing is downloaded from the command line)` };
    }
    let p = this.loaded.get(modelId);
    if (!p) {
      p = loadTransformersEmbedder(modelId, { allowRemote: false, localModelPath: this.cacheDir });
      this.loaded.set(modelId, p);
    }
    try {
      return { embedder: await p };
    } catch (e) {
      this.loaded.delete(modelId);
      return { embedder: null, reason: AppError.from(e).message };
    }
  }
}
