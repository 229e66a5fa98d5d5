// The model store's public API for the app (browser-safe: the Node-only FsBackend lives in fs-backend.ts and
// is not re-exported here). Typical use in the model manager / worker:
//
//   const backend = new CacheStorageBackend();                       // browser storage (Cache Storage chunks)
//   const hub = { endpoint: settings.hubEndpoint || DEFAULT_ENDPOINT, token: settings.hfToken };
//   const fit = checkFits(entry, gpu.limits);                       // before download: reason in plain words
//   await downloadModel({ hub, backend, repo: entry.repo, revision: entry.revision, signal, onProgress });
//   const files = await cachedModelFiles(backend, entry.repo, entry.revision);   // → engine.load(files)
//   const { models, estimate } = await storageSummary(backend);      // storage used + per-model sizes
//   await deleteCachedModel(backend, repo, revision);
//   const local = await folderModelFiles(await showDirectoryPicker());  // or fileListModelFiles(input.files)
//   const custom = await describeRepo(hub, 'owner/name');           // any repo id: files, sizes, shape
//
// Errors are AppError: DOWNLOAD_FAILED (retry resumes), INTEGRITY_ERROR (damaged copy deleted; retry),
// QUOTA_EXCEEDED (message says how much is needed and what to delete), MISSING_FILE, BAD_ARGUMENT, ABORTED.
export { MemoryBackend, isQuotaError, type StorageBackend, type StorageEstimateInfo } from './backend';
export { CacheStorageBackend, MODEL_CACHE_NAME } from './cache-backend';
export { CATALOG, checkFits, describeRepo, estimateGpuMemory, findCatalogEntry, shapeFromConfig, type AdapterLimits, type CatalogEntry, type FitResult, type GpuMemoryEstimate } from './catalog';
export { discoverModelFiles, type RemoteFile } from './discover';
export { downloadModel, type DownloadOptions, type DownloadProgress, type DownloadResult, type FileProgress } from './download';
export { DEFAULT_ENDPOINT, normalizeEndpoint, resolveUrl, validateRepoId, type HubSettings } from './hub';
export { fileListModelFiles, folderModelFiles, type DirectoryHandleLike, type FolderModelFiles } from './local-folder';
export { cachedModelFiles, deleteCachedModel, listCachedModels, storageSummary, type CachedModel } from './model-store';
export { formatBytes, requestPersistentStorage } from './quota';
