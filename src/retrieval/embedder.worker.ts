/// <reference lib="webworker" />
// Web Worker that runs the transformers.js model off the main thread. One model per model id, loaded on
// the first 'load' request; 'embed' embeds the texts as given (prefixed by the page's profiledEmbedder,
// pooled and normalised here per the model's profile) and returns one row-major Float32Array.
import { loadTransformersModel, type TransformersModel } from './transformers-embedder';
import type { EmbedderRequest, EmbedderResponse } from './embedder-protocol';
import { AppError } from '../shared/errors';

declare const self: DedicatedWorkerGlobalScope;
const pipelines = new Map<string, Promise<TransformersModel>>();
const post = (m: EmbedderResponse, transfer: Transferable[] = []) => self.postMessage(m, transfer);

self.onmessage = async (ev: MessageEvent<EmbedderRequest>) => {
  const msg = ev.data;
  try {
    if (msg.type === 'load') {
      let p = pipelines.get(msg.modelId);
      if (!p) {
        p = loadTransformersModel(msg.modelId, {
          ...msg.setup,
          onProgress: (progress) => post({ type: 'progress', id: msg.id, progress }),
        });
        pipelines.set(msg.modelId, p);
        p.catch(() => pipelines.delete(msg.modelId));
      }
      await p;
      post({ type: 'loaded', id: msg.id });
    } else if (msg.type === 'embed') {
      const p = pipelines.get(msg.modelId);
      if (!p) throw new AppError('NOT_LOADED', `Embedding model ${msg.modelId} is not loaded.`);
      const rows = await (await p).raw(msg.texts);
      const dim = rows[0]?.length ?? 0;
      const data = new Float32Array(rows.length * dim);
      rows.forEach((r, i) => data.set(r, i * dim));
      post({ type: 'vectors', id: msg.id, dim, data }, [data.buffer]);
    }
  } catch (e) {
    post({ type: 'error', id: msg.id, error: AppError.from(e).toJSON() });
  }
};
