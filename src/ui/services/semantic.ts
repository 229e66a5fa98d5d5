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
import { EMBEDDING_MODELS, type Embedder, type EmbedderProvider } from '../../retrieval/embedder';
import { embeddingProfile } from '../../retrieval/embedding-profile';
import { WorkerEmbedderProvider } from '../../retrieval/worker-embedder';
import { AppError } from '../../shared/errors';
import type { Progress } from '../../shared/progress';
import { Observable } from '../state/observable';
import { hubSetting } from '../state/settings';

export type SemanticStatus = 'off' | 'downloading' | 'on' | 'failed';

export interface SemanticState {
  status: SemanticStatus;
  /** Current file's download progress while downloading. */
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

  constructor() {
    const enabled = localStorage.getItem(ENABLED_KEY) === ENABLED_VALUE;
    this.state = new Observable<SemanticState>({ status: enabled ? 'on' : 'off', progress: null, error: null });
    this.worker = new WorkerEmbedderProvider({ allowDownload: false, remoteHost: hubBase() });
  }

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
   */
  async enable(): Promise<boolean> {
    if (this.state.get().status === 'downloading') return false;
    this.state.set({ status: 'downloading', progress: null, error: null });
    this.worker.configure({ allowDownload: true, remoteHost: hubBase(), onProgress: (progress) => this.state.update((s) => ({ ...s, progress })) });
    try {
      for (const modelId of EMBEDDING_MODELS) {
        const got = await this.worker.get(modelId);
        if (!got.embedder) throw new AppError('DOWNLOAD_FAILED', got.reason);
      }
    } catch (e) {
      const err = AppError.from(e);
      this.worker.configure({ allowDownload: false, remoteHost: hubBase() });
      this.state.set({ status: 'failed', progress: null, error: { code: err.code, message: err.message } });
      return false;
    }
    // From now on only what the browser cache holds is used: nothing is fetched without the user asking.
    this.worker.configure({ allowDownload: false, remoteHost: hubBase() });
    localStorage.setItem(ENABLED_KEY, ENABLED_VALUE);
    this.state.set({ status: 'on', progress: null, error: null });
    return true;
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
