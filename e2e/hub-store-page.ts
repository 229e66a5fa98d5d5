// Browser entry for e2e/store.spec.ts: bundles the model store (Cache Storage backend + downloader) into a
// script that the spec injects into a blank page, exposing it as `window.modelStore`. Not part of the app.
import { CacheStorageBackend } from '../src/store/cache-backend';
import { downloadModel } from '../src/store/download';
import { cachedModelFiles, deleteCachedModel, listCachedModels } from '../src/store/model-store';
import { sha256Hex } from '../src/store/sha256';

const api = { CacheStorageBackend, downloadModel, cachedModelFiles, deleteCachedModel, listCachedModels, sha256Hex };
(globalThis as unknown as { modelStore: typeof api }).modelStore = api;
export type ModelStoreApi = typeof api;
