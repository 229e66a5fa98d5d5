// Browser storage backend on Cache Storage (works in pages and in workers, survives reloads, counts against
// the origin's quota that navigator.storage.estimate() reports).
//
// Why Cache Storage and not OPFS: it is available in every browser context (window, dedicated and service
// workers) without the sync-access-handle restrictions, and responses are stored on disk as blobs, so
// `blob.slice(start, end)` reads a range without loading the whole value. A model file is stored as many
// chunk entries (see layout.ts), never as one multi-GB response, so partial downloads are just the chunk
// entries written so far.
//
// Exported API
//   class CacheStorageBackend(cacheName = 'pdfchat-models-v1') implements StorageBackend
//   MODEL_CACHE_NAME
import type { StorageBackend, StorageEstimateInfo, StoredEntry } from './backend';

export const MODEL_CACHE_NAME = 'pdfchat-models-v1';
// Cache Storage keys must be http(s) URLs. This host never resolves (.invalid is reserved), and nothing is
// ever fetched from it: the URL only names an entry.
const KEY_ORIGIN = 'https://model-store.invalid/';

export class CacheStorageBackend implements StorageBackend {
  readonly name = 'Cache Storage';
  private cachePromise: Promise<Cache> | null = null;

  constructor(private readonly cacheName = MODEL_CACHE_NAME) {}

  private cache(): Promise<Cache> {
    if (typeof caches === 'undefined') {
      throw new Error('Cache Storage is not available here (it needs a secure context: https or localhost).');
    }
    this.cachePromise ??= caches.open(this.cacheName);
    return this.cachePromise;
  }

  private urlOf(key: string): string {
    return KEY_ORIGIN + encodeURIComponent(key);
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    const c = await this.cache();
    const body = new Blob([data as Uint8Array<ArrayBuffer>]);
    await c.put(this.urlOf(key), new Response(body, { headers: { 'content-type': 'application/octet-stream', 'content-length': String(data.byteLength) } }));
  }

  async get(key: string, start?: number, end?: number): Promise<Uint8Array | null> {
    const c = await this.cache();
    const res = await c.match(this.urlOf(key));
    if (!res) return null;
    const blob = await res.blob();
    const part = start === undefined && end === undefined ? blob : blob.slice(start ?? 0, end ?? blob.size);
    return new Uint8Array(await part.arrayBuffer());
  }

  async list(prefix: string): Promise<StoredEntry[]> {
    const c = await this.cache();
    const out: StoredEntry[] = [];
    for (const req of await c.keys()) {
      if (!req.url.startsWith(KEY_ORIGIN)) continue;
      const key = decodeURIComponent(req.url.slice(KEY_ORIGIN.length));
      if (!key.startsWith(prefix)) continue;
      const res = await c.match(req);
      const len = Number(res?.headers.get('content-length'));
      out.push({ key, size: Number.isFinite(len) ? len : (await res!.blob()).size });
    }
    return out;
  }

  async delete(key: string): Promise<void> {
    const c = await this.cache();
    await c.delete(this.urlOf(key));
  }

  async estimate(): Promise<StorageEstimateInfo | null> {
    if (typeof navigator === 'undefined' || !navigator.storage?.estimate) return null;
    const e = await navigator.storage.estimate();
    return { usage: e.usage ?? 0, quota: e.quota ?? 0 };
  }
}
