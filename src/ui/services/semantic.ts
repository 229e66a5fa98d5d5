// Semantic (dense) search for the document library: an EmbedderProvider that hands out the browser
// embedder (src/retrieval/worker-embedder.ts: transformers.js in a Web Worker, ONNX wasm from the app's
// /ort/) only after the user chose to download the embedding models from the configured hub endpoint.
// Until then — or when that download fails — the library stays in keyword (BM25) mode and says why.
//
// Lifecycle: off (nothing fetched) → enable(): download both models (browser cache of transformers.js)
// → on; the choice is remembered with the model ids it downloaded, and after a reload the models come from
// the cache only (never fetched again without the user asking). When the app's default models change (the
// multilingual one became multilingual-e5-small), the stored choice no longer matches: search is keyword-only
// again until the user downloads the new model (files already cached are not fetched twice).
// cancel() stops the download at once (the embedder worker is stopped): back to off, nothing remembered as
// enabled, no error; a file cut off is not in the cache (transformers.js stores a file once it has all of it),
// so the next enable() takes what was complete from the cache and downloads the rest again.
// A worker that dies or gets stuck later (worker-embedder.ts) leaves search keyword-only with that reason, told
// through onFailure, until a reload or the next enable().
import { EMBEDDING_MODELS, type Embedder, type EmbedderProvider } from '../../retrieval/embedder';
import { embeddingProfile } from '../../retrieval/embedding-profile';
import { WorkerEmbedderProvider } from '../../retrieval/worker-embedder';
import { DownloadTally } from './download-tally';
import { AppError } from '../../shared/errors';
import type { Progress } from '../../shared/progress';
import { Observable } from '../state/observable';
import { hubSetting } from '../state/settings';

export type SemanticStatus = 'off' | 'downloading' | 'on' | 'failed';

export interface SemanticState {
  status: SemanticStatus;
  /** While downloading: bytes of all the models' files so far over the sizes known so far (download-tally.ts);
   *  `file` is the model/file that reported last. */
  progress: Progress | null;
  /** Why enabling failed (status 'failed'); keyword search keeps working. */
  error: { code: string; message: string } | null;
}

/** The reason the library records for documents indexed while semantic search is off. */
export const SEMANTIC_OFF_REASON = 'semantic model not downloaded';
const ENABLED_KEY = 'pdfchat.semanticSearch';
/** What ENABLED_KEY holds once the current models were downloaded. */
const ENABLED_VALUE = EMBEDDING_MODELS.join(' ');
/** The models the switch downloads, with their sizes (quantised ONNX + tokenizer; embedding-profile.ts). */
export const SEMANTIC_MODELS = EMBEDDING_MODELS.map((id) => ({ id, bytes: embeddingProfile(id).downloadBytes }));
/** Approximate download of both: all-MiniLM-L6-v2 ≈ 23.6 MB + multilingual-e5-small ≈ 135 MB. */
export const SEMANTIC_DOWNLOAD_BYTES = SEMANTIC_MODELS.reduce((n, m) => n + m.bytes, 0);

export class SemanticSearch implements EmbedderProvider {
  readonly state: Observable<SemanticState>;
  private readonly worker: WorkerEmbedderProvider;
  /** The enable() in progress, if any; cancel() aborts it. */
  private run: AbortController | null = null;

  constructor() {
    const enabled = localStorage.getItem(ENABLED_KEY) === ENABLED_VALUE;
    this.state = new Observable<SemanticState>({ status: enabled ? 'on' : 'off', progress: null, error: null });
    this.worker = new WorkerEmbedderProvider({ allowDownload: false, remoteHost: hubBase() });
    this.worker.onFailure = (e) => this.onFailure?.(e);
  }

  /**
   * Called when the embedder worker dies or stops responding while semantic search is on: searches and indexing go on
   * by keywords (the library's mode says why) until the page is reloaded or semantic search is turned on again.
   */
  onFailure: ((error: AppError) => void) | null = null;

  get enabled(): boolean {
    return this.state.get().status === 'on';
  }

  async get(modelId: string): Promise<{ embedder: Embedder } | { embedder: null; reason: string }> {
    if (!this.enabled) return { embedder: null, reason: SEMANTIC_OFF_REASON };
    return this.worker.get(modelId);
  }

  /**
   * Downloads the embedding models from the hub endpoint (the user asked for it) and turns semantic search
   * on. On failure the state says why, in words the user can act on, and search stays keyword-only.
   * cancel() meanwhile ends it (false, state off, no error).
   */
  async enable(): Promise<boolean> {
    if (this.state.get().status === 'downloading') return false;
    const run = new AbortController();
    this.run = run;
    const tally = new DownloadTally();
    this.state.set({ status: 'downloading', progress: null, error: null });
    this.worker.configure({
      allowDownload: true,
      remoteHost: hubBase(),
      onProgress: (progress, modelId) => {
        if (this.run !== run) return;
        tally.record(modelId, progress);
        this.state.update((s) => ({ ...s, progress: tally.overall() }));
      },
    });
    // The models load together, so the overall bar soon knows every file's size (each model reports its
    // files as they start) instead of starting again for the second model. A failure is reported for the
    // first model in order that failed.
    const loads = EMBEDDING_MODELS.map((modelId) => this.worker.load(modelId, run.signal));
    for (const l of loads) l.catch(() => undefined);
    try {
      for (const l of loads) await l;
    } catch (e) {
      if (this.run !== run) return false; // cancel() has already said so
      this.run = null;
      // Nothing half-loaded goes on downloading: the other model's load stops too.
      this.worker.terminate();
      this.worker.configure({ allowDownload: false, remoteHost: hubBase() });
      const err = AppError.from(e);
      if (err.code === 'ABORTED') this.state.set({ status: 'off', progress: null, error: null });
      else this.state.set({ status: 'failed', progress: null, error: { code: err.code, message: err.message } });
      return false;
    }
    if (this.run !== run) return false;
    this.run = null;
    // From now on only what the browser cache holds is used: nothing is fetched without the user asking.
    this.worker.configure({ allowDownload: false, remoteHost: hubBase() });
    localStorage.setItem(ENABLED_KEY, ENABLED_VALUE);
    this.state.set({ status: 'on', progress: null, error: null });
    return true;
  }

  /**
   * Stops a download that enable() started, at once: the embedder worker stops (its downloads with it), the
   * state is off again with no error, and nothing is remembered as enabled. Files that were complete stay
   * in the browser cache for the next enable(). No-op when not downloading.
   */
  cancel(): void {
    const run = this.run;
    if (!run) return;
    this.run = null;
    run.abort(); // WorkerEmbedderProvider.load stops the worker on abort
    this.worker.terminate(); // (also when the abort found no load waiting)
    this.worker.configure({ allowDownload: false, remoteHost: hubBase() });
    this.state.set({ status: 'off', progress: null, error: null });
  }

  /** Back to keyword search (the downloaded models stay in the browser cache). */
  disable(): void {
    localStorage.removeItem(ENABLED_KEY);
    this.state.set({ status: 'off', progress: null, error: null });
  }
}

function hubBase(): string {
  return hubSetting.get().endpoint.replace(/\/*$/, '/');
}
