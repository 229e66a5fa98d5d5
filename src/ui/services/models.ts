// The app's model side: WebGPU availability, cached models (download, delete, storage use), and the one
// engine (in a worker) with the loaded model. Components read `models.state` and call the methods.
import type { GenerationStats, ModelInfo } from '../../model/engine-types';
import type { ModelFiles } from '../../model/files';
import { AppError, throwIfAborted } from '../../shared/errors';
import type { Progress } from '../../shared/progress';
import { CacheStorageBackend } from '../../store/cache-backend';
import { downloadModel, type DownloadProgress } from '../../store/download';
import { CATALOG, checkFits, describeRepo, estimateGpuMemory } from '../../store/catalog';
import { cachedModelFiles, deleteCachedModel, storageSummary, type CachedModel } from '../../store/model-store';
import type { StorageEstimateInfo } from '../../store/backend';
import { WorkerEngine } from '../../worker/engine-client';
import { Observable } from '../state/observable';
import { hubSetting } from '../state/settings';

export interface GpuStatus {
  checked: boolean;
  available: boolean;
  adapterName?: string;
  limits?: { maxBufferSize: number; maxStorageBufferBindingSize: number };
  error?: { code: string; message: string };
}

export interface DownloadState {
  progress: DownloadProgress | null;
  running: boolean;
  error?: { code: string; message: string };
}

/** What the hub says about a repo id the user typed, checked against this adapter before any download. */
export type RepoCheck =
  | { status: 'checking' }
  | { status: 'failed'; error: { code: string; message: string } }
  | {
      status: 'ready';
      downloadBytes: number;
      fileCount: number;
      gpuBytes: number;
      contextLength: number;
      /** e.g. "22 layers · hidden 2048 · 32 heads (4 KV) · vocab 32000 · 4-bit, group 128". */
      shape: string;
      /** null = fits; else why not (the download is refused). */
      doesNotFit: string | null;
      /** Set when there is no adapter to check against (no WebGPU). */
      unchecked: boolean;
    };

export interface ModelsState {
  gpu: GpuStatus;
  cached: CachedModel[];
  estimate: StorageEstimateInfo | null;
  downloads: Record<string, DownloadState>;
  /** Repo ids the user typed, keyed "repo@revision", in the order they were checked. */
  checks: Record<string, RepoCheck>;
  /** The model in the engine. `key` = "repo@revision" or "folder:<name>". */
  loaded: { key: string; info: ModelInfo } | null;
  /** Speed of the loaded model's most recent answer (null until it has answered). */
  lastRun: GenerationStats | null;
  loading: { key: string; progress: Progress | null } | null;
  loadError: { key: string; code: string; message: string } | null;
}

const LAST_LOADED_KEY = 'pdfchat.lastModel';
export const modelKeyOf = (repo: string, revision: string) => `${repo}@${revision}`;

export class ModelsService {
  readonly state = new Observable<ModelsState>({
    gpu: { checked: false, available: false },
    cached: [],
    estimate: null,
    downloads: {},
    checks: {},
    loaded: null,
    lastRun: null,
    loading: null,
    loadError: null,
  });
  private readonly backend = new CacheStorageBackend();
  private readonly aborts = new Map<string, AbortController>();
  private engine: WorkerEngine | null = null;
  /** The model load in progress (cancelLoad aborts it). */
  private loadAbort: AbortController | null = null;

  private patch(p: Partial<ModelsState>): void {
    this.state.update((s) => ({ ...s, ...p }));
  }

  private setDownload(key: string, d: DownloadState): void {
    this.state.update((s) => ({ ...s, downloads: { ...s.downloads, [key]: d } }));
  }

  private initOnce: Promise<void> | null = null;
  /** Loads persisted state; safe to call more than once. */
  init(): Promise<void> {
    return (this.initOnce ??= this.doInit());
  }

  private async doInit(): Promise<void> {
    await Promise.all([this.checkGpu(), this.refresh()]);
    // Reload the model used last time, when it is still cached and WebGPU is there.
    const last = localStorage.getItem(LAST_LOADED_KEY);
    const s = this.state.get();
    const m = last ? s.cached.find((c) => modelKeyOf(c.repo, c.revision) === last && c.complete) : undefined;
    if (m && s.gpu.available) void this.loadCached(m.repo, m.revision);
  }

  async checkGpu(): Promise<void> {
    const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
    if (!gpu) {
      this.patch({ gpu: { checked: true, available: false, error: { code: 'NO_WEBGPU', message: 'navigator.gpu is missing' } } });
      return;
    }
    try {
      const adapter = await gpu.requestAdapter();
      if (!adapter) throw new AppError('NO_WEBGPU', 'No WebGPU adapter was found.');
      const info = (adapter as GPUAdapter & { info?: GPUAdapterInfo }).info;
      const adapterName = info ? [info.description || '', info.vendor, info.architecture].filter(Boolean).join(' ') : 'WebGPU';
      this.patch({
        gpu: { checked: true, available: true, adapterName, limits: { maxBufferSize: adapter.limits.maxBufferSize, maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize } },
      });
    } catch (e) {
      const err = AppError.from(e);
      this.patch({ gpu: { checked: true, available: false, error: { code: err.code, message: err.message } } });
    }
  }

  async refresh(): Promise<void> {
    try {
      const { models, estimate } = await storageSummary(this.backend);
      this.patch({ cached: models, estimate });
    } catch {
      this.patch({ cached: [], estimate: null });
    }
  }

  /**
   * Describes a repo id the user typed (files, sizes and shape from its config.json, via the hub endpoint)
   * and checks it against this adapter's limits. Nothing but a few small files is fetched.
   */
  async describe(repo: string, revision: string): Promise<RepoCheck> {
    const key = modelKeyOf(repo, revision);
    const setCheck = (c: RepoCheck) => this.state.update((s) => ({ ...s, checks: { ...s.checks, [key]: c } }));
    setCheck({ status: 'checking' });
    let check: RepoCheck;
    try {
      const hub = hubSetting.get();
      const entry = await describeRepo({ endpoint: hub.endpoint, ...(hub.token ? { token: hub.token } : {}) }, repo, revision);
      const limits = this.state.get().gpu.limits;
      const fit = limits ? checkFits(entry, limits) : null;
      const estimate = fit?.estimate ?? estimateGpuMemory(entry.shape, entry.quant, entry.contextLength);
      const sh = entry.shape;
      const quant = entry.quant.bits >= 16 ? 'not quantized (16-bit)' : `${entry.quant.bits}-bit, group ${entry.quant.groupSize}`;
      check = {
        status: 'ready',
        downloadBytes: entry.downloadBytes,
        fileCount: entry.fileList.length,
        gpuBytes: estimate.total,
        contextLength: entry.contextLength,
        shape: `${sh.numLayers} ${sh.numLayers === 1 ? 'layer' : 'layers'} · hidden ${sh.hiddenSize} · ${sh.numHeads} heads (${sh.numKvHeads} KV) · vocab ${sh.vocabSize} · ${quant}`,
        doesNotFit: fit && !fit.ok ? fit.reason : null,
        unchecked: !fit,
      };
    } catch (e) {
      const err = AppError.from(e);
      check = { status: 'failed', error: { code: err.code, message: err.message } };
    }
    setCheck(check);
    return check;
  }

  async download(repo: string, revision: string): Promise<void> {
    const key = modelKeyOf(repo, revision);
    const check = this.state.get().checks[key];
    if (check?.status === 'ready' && check.doesNotFit) {
      // The button is disabled too; this keeps any other caller from fetching gigabytes that cannot run.
      this.setDownload(key, { progress: null, running: false, error: { code: 'ADAPTER_TOO_SMALL', message: check.doesNotFit } });
      return;
    }
    const ac = new AbortController();
    this.aborts.set(key, ac);
    this.setDownload(key, { progress: null, running: true });
    try {
      const hub = hubSetting.get();
      await downloadModel({
        hub: { endpoint: hub.endpoint, ...(hub.token ? { token: hub.token } : {}) },
        backend: this.backend,
        repo,
        revision,
        signal: ac.signal,
        onProgress: (progress) => this.setDownload(key, { progress, running: true }),
      });
      this.setDownload(key, { progress: null, running: false });
    } catch (e) {
      const err = AppError.from(e);
      this.setDownload(key, { progress: this.state.get().downloads[key]?.progress ?? null, running: false, ...(err.code === 'ABORTED' ? {} : { error: { code: err.code, message: err.message } }) });
    } finally {
      this.aborts.delete(key);
      await this.refresh();
    }
  }

  cancelDownload(repo: string, revision: string): void {
    this.aborts.get(modelKeyOf(repo, revision))?.abort();
  }

  async remove(repo: string, revision: string): Promise<void> {
    const key = modelKeyOf(repo, revision);
    // Deleting the model that is loading stops the load first (its weights must not be read while they go).
    if (this.state.get().loading?.key === key) this.cancelLoad();
    if (this.state.get().loaded?.key === key) await this.unload();
    await deleteCachedModel(this.backend, repo, revision);
    this.state.update((s) => {
      const downloads = { ...s.downloads };
      delete downloads[key];
      return { ...s, downloads };
    });
    await this.refresh();
  }

  async loadCached(repo: string, revision: string): Promise<void> {
    const key = modelKeyOf(repo, revision);
    const builtInChatTemplate = CATALOG.some((c) => c.repo === repo && c.builtInChatTemplate);
    await this.loadFiles(key, () => cachedModelFiles(this.backend, repo, revision), builtInChatTemplate ? { builtInChatTemplate } : {});
    if (this.state.get().loaded?.key === key) localStorage.setItem(LAST_LOADED_KEY, key);
  }

  /** Loads a model from files the user picked (a folder). */
  async loadFolder(name: string, files: ModelFiles): Promise<void> {
    await this.loadFiles(`folder:${name}`, async () => files);
  }

  private async loadFiles(key: string, open: () => Promise<ModelFiles>, opts: { builtInChatTemplate?: boolean } = {}): Promise<void> {
    if (this.state.get().loading) return;
    const abort = new AbortController();
    this.loadAbort = abort;
    this.patch({ loading: { key, progress: null }, loadError: null });
    try {
      if (this.state.get().loaded) await this.unload();
      const files = await open();
      throwIfAborted(abort.signal);
      const engine = this.getEngine();
      const info = await engine.load(files, { ...opts, signal: abort.signal, onProgress: (progress) => { if (!abort.signal.aborted) this.patch({ loading: { key, progress } }); } });
      this.patch({ loaded: { key, info }, lastRun: null, loading: null });
    } catch (e) {
      // Cancelled: cancelLoad has already stopped the worker and cleared the state (a new load may be running).
      if (abort.signal.aborted) return;
      const err = AppError.from(e);
      // A failed load may leave the GPU device in any state: start the next try on a fresh worker.
      this.engine?.terminate();
      this.engine = null;
      this.patch({ loading: null, loadError: { key, code: err.code, message: err.message } });
    } finally {
      if (this.loadAbort === abort) this.loadAbort = null;
    }
  }

  /**
   * Stops the model load in progress (reading or uploading weights, tuning kernels) at once: the worker is
   * stopped with whatever it was waiting for, its GPU memory goes with it, and the model stays unloaded.
   */
  cancelLoad(): void {
    if (!this.loadAbort) return;
    this.loadAbort.abort();
    this.loadAbort = null;
    this.engine?.terminate();
    this.engine = null;
    // Cancel is no error: the model is simply not loaded (search mode goes on).
    this.patch({ loading: null });
  }

  async unload(): Promise<void> {
    const e = this.engine;
    this.patch({ loaded: null, lastRun: null });
    localStorage.removeItem(LAST_LOADED_KEY);
    if (e) {
      await e.unload().catch(() => undefined);
    }
  }

  /** The engine when a model is loaded (null → search mode). */
  loadedEngine(): { engine: WorkerEngine; info: ModelInfo } | null {
    const l = this.state.get().loaded;
    return l && this.engine ? { engine: this.engine, info: l.info } : null;
  }

  private getEngine(): WorkerEngine {
    if (!this.engine) {
      const engine = new WorkerEngine(new Worker(new URL('../../worker/engine-worker.ts', import.meta.url), { type: 'module', name: 'engine' }));
      engine.onStats = (lastRun) => this.patch({ lastRun });
      // The worker failed to start or died (its calls have failed): drop it, so the next load starts a fresh one;
      // a loaded model went with it, and the panel says to load it again.
      engine.onFailure = (err) => {
        if (this.engine !== engine) return;
        this.engine = null;
        const loaded = this.state.get().loaded;
        if (loaded) this.patch({ loaded: null, lastRun: null, loadError: { key: loaded.key, code: err.code, message: err.message } });
      };
      this.engine = engine;
    }
    return this.engine;
  }
}
