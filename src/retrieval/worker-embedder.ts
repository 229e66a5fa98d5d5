// Browser EmbedderProvider: embeddings are computed in a Web Worker (embedder.worker.ts), so indexing
// never blocks the page. The hub endpoint is configurable (a mirror works); the onnxruntime wasm comes
// from the app itself (ort-assets.ts). With allowDownload false only models already in the browser's
// cache are used, and the library stays in lexical mode, saying why.
//
// Stopping: a model load cannot be interrupted inside the worker (transformers.js reads the files to the end),
// so a load whose AbortSignal fires — or terminate() — stops the worker: its downloads end at once, every call
// still waiting is rejected with ABORTED, and the next call starts a fresh worker. transformers.js writes a file
// to the browser cache only after reading all of it, so a stopped download leaves no partial file there.
//
// A worker that dies (its 'error' event: out of memory, a wasm abort) or is alive but stuck (no answer to the
// heartbeat's pings for 90 s while calls wait on it: src/shared/heartbeat.ts, EMBEDDER_HEARTBEAT) is stopped, every waiting call
// rejects with WORKER_FAILED, and until configure() is called again (the user turns semantic search on again) or
// the page is reloaded every model is unavailable with that reason — get() says so at once, so searches and
// indexing go on by keywords instead of waiting on a worker that failed (the library keeps documents whose
// embedding failed, keyword-only: library.ts).
import { profiledEmbedder, type Embedder, type EmbedderProvider } from './embedder';
import { embeddingProfile } from './embedding-profile';
import type { EmbedderRequest, EmbedderResponse, WorkerSetup } from './embedder-protocol';
import { ortWasmPaths } from './ort-assets';
import { AppError, throwIfAborted } from '../shared/errors';
import { Heartbeat, type HeartbeatOptions } from '../shared/heartbeat';
import type { Progress } from '../shared/progress';
import type { FailureEndpoint, MessageEndpoint } from '../worker/protocol';

/**
 * Pinged every 5 s while calls wait; silent for 90 s = stuck. Longer than the engine's and the PDF reader's 30 s: one
 * batch of passages (EMBED_BATCH, up to 512 tokens each) is one onnxruntime call that keeps the worker's thread from
 * its event loop until it ends — about 16 × 300 tokens × 42 MFLOP ≈ 200 GFLOP for multilingual-e5-small, tens of
 * seconds in single-threaded wasm on a slow machine, and a healthy worker must not be taken for stuck.
 */
export const EMBEDDER_HEARTBEAT: HeartbeatOptions = { intervalMs: 5_000, timeoutMs: 90_000 };

/** A started embedder worker as the provider uses it: a Worker, or (tests) a worker thread's port. */
export type EmbedderEndpoint = MessageEndpoint & FailureEndpoint & { terminate(): void };

/** Starts the embedder worker (browser; bundled by Vite as a module worker). */
export function createEmbedderWorker(): EmbedderEndpoint {
  return new Worker(new URL('./embedder.worker.ts', import.meta.url), { type: 'module', name: 'pdfchat-embedder' });
}

/** What waiting calls reject with, and later ones are told, after the worker died. */
function embedderCrashed(ev: Event): AppError {
  const reason = (ev as Partial<ErrorEvent>).message;
  return new AppError('WORKER_FAILED', `The embedding model stopped unexpectedly${reason ? ` (${reason})` : ''}. Search goes on by keywords; reload the page to try semantic search again.`, {
    event: ev.type,
    ...(reason ? { reason } : {}),
  });
}

/** … after it was silent for `silentMs` while calls waited on it (stuck). */
function embedderUnresponsive(silentMs: number): AppError {
  return new AppError('WORKER_FAILED', `The embedding model stopped responding (nothing from it for ${Math.round(silentMs / 1000)} s). Search goes on by keywords; reload the page to try semantic search again.`, {
    reason: 'unresponsive',
    silentMs,
  });
}

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
  private worker: { endpoint: EmbedderEndpoint; heartbeat: Heartbeat } | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (m: EmbedderResponse) => void; reject: (e: AppError) => void }>();
  private readonly ready = new Map<string, Promise<void>>();
  /** Model id of each 'load' request still waiting (its progress reports carry the request id). */
  private readonly loading = new Map<number, string>();

  /** Why the worker failed (died or stuck): every model is unavailable for that reason until configure(). */
  private failure: AppError | null = null;
  private readonly createWorker: () => EmbedderEndpoint;
  private readonly heartbeatOptions: HeartbeatOptions;

  /**
   * `createWorker`: starts a worker (default: the app's embedder.worker.ts); `heartbeat`: how often it is pinged
   * while calls wait, and how long it may stay silent.
   */
  constructor(
    private settings: WorkerEmbedderSettings,
    opts: { createWorker?: () => EmbedderEndpoint; heartbeat?: HeartbeatOptions } = {},
  ) {
    this.createWorker = opts.createWorker ?? createEmbedderWorker;
    this.heartbeatOptions = opts.heartbeat ?? EMBEDDER_HEARTBEAT;
  }

  /**
   * Changes hub/download settings; models that failed to load are tried again with the new ones, and so is a
   * worker that failed (a fresh one starts on the next call).
   */
  configure(settings: WorkerEmbedderSettings): void {
    this.settings = settings;
    this.failure = null;
  }

  /** Why the worker failed (died or stopped responding), until configure(); null while it works. */
  get failed(): AppError | null {
    return this.failure;
  }

  /** Called when the worker fails (dies or stops responding); not for terminate(). */
  onFailure: ((error: AppError) => void) | null = null;

  /**
   * Loads the model in the worker (downloading it if allowed); throws an AppError: ABORTED when `signal`
   * fired (which stops the worker, see above) or the worker was terminated, else why it could not load.
   */
  async load(modelId: string, signal?: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    if (this.failure) throw this.failure;
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

  /** Stops the worker (and any model it holds); waiting calls reject with ABORTED. */
  terminate(): void {
    this.stopWorker(new AppError('ABORTED', 'The embedder was stopped.'));
  }

  /** The worker died or is stuck: it is stopped, waiting calls reject with `error`, and so do later ones. */
  private fail(error: AppError): void {
    this.failure = error;
    this.stopWorker(error);
    this.onFailure?.(error);
  }

  private stopWorker(error: AppError): void {
    const w = this.worker;
    this.worker = null;
    w?.heartbeat.end();
    w?.endpoint.terminate();
    this.ready.clear();
    this.loading.clear();
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const p of waiting) p.reject(error);
  }

  private request(req: EmbedderRequest, signal?: AbortSignal): Promise<EmbedderResponse> {
    if (this.failure) return Promise.reject(this.failure);
    const worker = this.ensureWorker();
    const id = this.nextId++;
    return new Promise<EmbedderResponse>((resolve, reject) => {
      // A cancelled batch is left to finish in the worker; its reply is dropped.
      const onAbort = () => {
        this.settled(id);
        reject(new AppError('ABORTED', 'The operation was cancelled.'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      if (req.type === 'load') this.loading.set(id, req.modelId);
      this.pending.set(id, {
        resolve: (m) => (signal?.removeEventListener('abort', onAbort), resolve(m)),
        reject: (e) => (signal?.removeEventListener('abort', onAbort), reject(e)),
      });
      worker.endpoint.postMessage({ ...req, id });
      worker.heartbeat.watch();
    });
  }

  /** Forgets call `id`; the heartbeat rests while no call waits. */
  private settled(id: number): void {
    this.pending.delete(id);
    this.loading.delete(id);
    if (this.pending.size === 0) this.worker?.heartbeat.idle();
  }

  private ensureWorker(): { endpoint: EmbedderEndpoint; heartbeat: Heartbeat } {
    if (this.worker) return this.worker;
    const endpoint = this.createWorker();
    const heartbeat = new Heartbeat(
      () => endpoint.postMessage({ type: 'ping', id: this.nextId++ } satisfies EmbedderRequest),
      (silentMs) => this.worker?.endpoint === endpoint && this.fail(embedderUnresponsive(silentMs)),
      this.heartbeatOptions,
    );
    endpoint.addEventListener('message', (ev: MessageEvent<EmbedderResponse>) => {
      if (this.worker?.endpoint !== endpoint) return; // a stopped worker's late message
      heartbeat.heard();
      const m = ev.data;
      if (m.type === 'pong') return;
      if (m.type === 'progress') {
        const modelId = this.loading.get(m.id);
        if (modelId !== undefined) this.settings.onProgress?.(m.progress, modelId);
        return;
      }
      const p = this.pending.get(m.id);
      if (!p) return;
      this.settled(m.id);
      if (m.type === 'error') p.reject(AppError.fromJSON(m.error));
      else p.resolve(m);
    });
    const onFailed = (ev: Event) => this.worker?.endpoint === endpoint && this.fail(embedderCrashed(ev));
    endpoint.addEventListener('error', onFailed);
    endpoint.addEventListener('messageerror', onFailed);
    this.worker = { endpoint, heartbeat };
    return this.worker;
  }
}
