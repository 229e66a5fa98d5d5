// The embedder worker's side of embedder-protocol.ts, served on any message endpoint: the Web Worker's own scope in
// the app (embedder.worker.ts), a worker thread's port in tests. One model per model id, loaded on the first 'load'
// request; 'embed' embeds the texts as given (prefixed by the page's profiledEmbedder; pooled and normalised by the
// model's raw call per its profile) and returns one row-major Float32Array. A 'ping' is answered at once: a
// worker whose thread never comes back to its event loop answers none, and the page side stops it
// (worker-embedder.ts, src/shared/heartbeat.ts).
import type { EmbedderRequest, EmbedderResponse } from './embedder-protocol';
import type { RawEmbed } from './embedder';
import type { TransformersSetup } from './transformers-embedder';
import { AppError } from '../shared/errors';
import type { MessageEndpoint } from '../worker/protocol';

/** Loads one embedding model (the app: transformers-embedder.ts loadTransformersModel). */
export type LoadEmbeddingModel = (modelId: string, setup: TransformersSetup) => Promise<{ raw: RawEmbed }>;

export function serveEmbedder(endpoint: MessageEndpoint, loadModel: LoadEmbeddingModel): void {
  const models = new Map<string, Promise<{ raw: RawEmbed }>>();
  const post = (m: EmbedderResponse, transfer: Transferable[] = []) => endpoint.postMessage(m, transfer);

  endpoint.addEventListener('message', (ev: MessageEvent) => {
    void handle(ev.data as EmbedderRequest);
  });

  async function handle(msg: EmbedderRequest): Promise<void> {
    if (msg.type === 'ping') {
      post({ type: 'pong', id: msg.id });
      return;
    }
    try {
      if (msg.type === 'load') {
        let p = models.get(msg.modelId);
        if (!p) {
          p = loadModel(msg.modelId, { ...msg.setup, onProgress: (progress) => post({ type: 'progress', id: msg.id, progress }) });
          models.set(msg.modelId, p);
          p.catch(() => models.delete(msg.modelId));
        }
        await p;
        post({ type: 'loaded', id: msg.id });
      } else if (msg.type === 'embed') {
        const p = models.get(msg.modelId);
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
  }
}
