// Browser EmbedderProvider: embeddings are computed in a Web Worker (embedder.worker.ts), so indexing
// never blocks the page. The hub endpoint is configurable (a mirror works); the onnxruntime wasm comes
// from the app itself (ort-assets.ts). With allowDownload false only models already in the browser's
// cache are used, and the library stays in lexical mode, saying why.
//
// Stopping: a model load cannot be interrupted inside the worker (transformers.js reads the files to the end),
// so a load whose AbortSignal fires — or terminate() — stops the worker: its downloads end at once, every call
// still waiting is rejected with ABORTED, and the next call starts a fresh worker. transformers.js writes a file
// to the browser cache only after reading all of it, so a stopped download leaves no partial file there.
import { profiledEmbedder, type Embedder, type EmbedderProvider } from './embedder';
import { embeddingProfile } from './embedding-profile';
import type { EmbedderRequest, EmbedderResponse, WorkerSetup } from './embedder-protocol';
import { ortWasmPaths } from './ort-assets';
import { AppError, throwIfAborted } from '../shared/errors';
import type { Progress } from '../shared/progress';

export interface WorkerEmbedderSettings {
  /** Hub or mirror base URL, e.g. 'https://huggingface.co/'. */
  remoteHost?: string;
  /** Whether a missing model may be downloaded now (the UI asks the user first). */
  allowDownload: boolean;
  /** Download progress of a model's files, one file per report (`progress.file`), with the model loading it. */
  onProgress?: (progress: Progress, modelId: string) => void;
  /** App base URL for the ort wasm files; defaults to Vite's BASE_URL resolved against the page. */
  appBase?: string;
}

export class WorkerEmbedderProvider implements EmbedderProvider {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (m: EmbedderResponse) => void; reject: (e: AppError) => void }>();
  private readonly ready = new Map<string, Promise<void>>();
  /** Model id of each 'load' request still waiting (its progress reports carry the request id). */
  private readonly loading = new Map<number, string>();

  constructor(private settings: WorkerEmbedderSettings) {}

  /** Changes hub/download settings; models that failed to load are tried again with the new ones. */
  configure(settings: WorkerEmbedderSettings): void {
    this.settings = settings;
  }

  /**
   * Loads the model in the worker (downloading it if allowed); throws an AppError: ABORTED when `signal`
   * fired (which stops the worker, see above) or the worker was terminated, else why it could not load.
   */
  async load(modelId: string, signal?: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    let ready = this.ready.get(modelId);
    if (!ready) {
      const setup: WorkerSetup = {
        remoteHost: this.settings.remoteHost,
        allowRemote: this.settings.allowDownload,
        wasmPaths: ortWasmPaths(this.settings.appBase ?? new URL(import.meta.env.BASE_URL, self.location.href).href),
      };
      const mine = this.request({ type: 'load', id: 0, modelId, setup }).then(() => undefined);
      ready = mine;
      this.ready.set(modelId, mine);
      // Only this load's entry: a load started after a terminate() keeps its own.
      mine.catch(() => this.ready.get(modelId) === mine && this.ready.delete(modelId));
    }
    if (!signal) return ready;
    const stop = () => this.terminate();
    signal.addEventListener('abort', stop, { once: true });
    try {
      await ready;
    } finally {
      signal.removeEventListener('abort', stop);
    }
  }

  async get(modelId: string): Promise<{ embedder: Embedder } | { embedder: null; reason: string }> {
    try {
      await this.load(modelId);
    } catch (e) {
      return { embedder: null, reason: AppError.from(e).message };
    }
    // The prefixes of the model's profile are added here, on the page's side; the worker pools and normalises.
    return {
      embedder: profiledEmbedder(modelId, embeddingProfile(modelId), async (texts, signal) => {
        throwIfAborted(signal);
        const res = await this.request({ type: 'embed', id: 0, modelId, texts }, signal);
        if (res.type !== 'vectors') throw new AppError('INTERNAL', `Unexpected reply ${res.type} from the embedder worker.`);
        return texts.map((_, i) => res.data.slice(i * res.dim, (i + 1) * res.dim));
      }),
    };
  }

  /** Stops the worker (and any model it holds). */
  terminate(): void {
    this.worker?.terminate();
    this.worker = null;
    this.ready.clear();
    this.loading.clear();
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const p of waiting) p.reject(new AppError('ABORTED', 'The embedder was stopped.'));
  }

  private request(req: EmbedderRequest, signal?: AbortSignal): Promise<EmbedderResponse> {
    const worker = this.ensureWorker();
    const id = this.nextId++;
    return new Promise<EmbedderResponse>((resolve, reject) => {
      // A cancelled batch is left to finish in the worker; its reply is dropped.
      const onAbort = () => {
        this.pending.delete(id);
        this.loading.delete(id);
        reject(new AppError('ABORTED', 'The operation was cancelled.'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      if (req.type === 'load') this.loading.set(id, req.modelId);
      this.pending.set(id, {
        resolve: (m) => (signal?.removeEventListener('abort', onAbort), resolve(m)),
        reject: (e) => (signal?.removeEventListener('abort', onAbort), reject(e)),
      });
      worker.postMessage({ ...req, id });
    });
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(new URL('./embedder.worker.ts', import.meta.url), { type: 'module', name: 'pdfchat-embedder' });
    w.onmessage = (ev: MessageEvent<EmbedderResponse>) => {
      const m = ev.data;
      if (m.type === 'progress') {
        const modelId = this.loading.get(m.id);
        if (modelId !== undefined) this.settings.onProgress?.(m.progress, modelId);
        return;
      }
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      this.loading.delete(m.id);
      if (m.type === 'error') p.reject(AppError.fromJSON(m.error));
      else p.resolve(m);
    };
    w.onerror = (ev) => {
      const err = new AppError('INTERNAL', `The embedder worker failed: ${ev.message}. Reload the page; lexical search keeps working.`);
      const waiting = [...this.pending.values()];
      this.pending.clear();
      this.loading.clear();
      this.ready.clear();
      for (const p of waiting) p.reject(err);
      this.worker = null;
    };
    this.worker = w;
    return w;
  }
}
