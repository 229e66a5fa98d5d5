// Storage backends for the model store: a tiny key → bytes interface, so the download/resume/verify logic
// runs the same in the browser (Cache Storage, see cache-backend.ts) and in Node tests (memory here, files
// in fs-backend.ts).
//
// Exported API
//   interface StorageBackend { put, get(key, start?, end?), list(prefix), delete(key), estimate() }
//   class MemoryBackend(opts?: { quotaBytes }) — in-memory, with an optional quota that throws a real
//       DOMException 'QuotaExceededError' like browsers do (used by tests and as a fallback store).
//   isQuotaError(e) — true for QuotaExceededError from any backend.
//   refusedWriteReason(e) — why a write was refused, never empty (for messages).
//
// Keys are plain strings (see layout.ts for the key scheme); values are immutable blobs of bytes: a value is
// written once and never appended to, which is what Cache Storage allows.
import { AppError } from '../shared/errors';

export interface StoredEntry {
  key: string;
  size: number;
}

export interface StorageEstimateInfo {
  /** Bytes this origin/backend uses now. */
  usage: number;
  /** Bytes it may use in total. */
  quota: number;
}

export interface StorageBackend {
  /** Human-readable name, e.g. 'Cache Storage', 'memory', 'folder /tmp/x'. */
  readonly name: string;
  /** Stores `data` under `key`, replacing any older value. Throws QuotaExceededError when full. */
  put(key: string, data: Uint8Array): Promise<void>;
  /** Bytes [start, end) of the value (whole value when omitted), or null when the key is absent. */
  get(key: string, start?: number, end?: number): Promise<Uint8Array | null>;
  /** Every key starting with `prefix`, with its size. Order is unspecified. */
  list(prefix: string): Promise<StoredEntry[]>;
  /** Removes a key (no error when absent). */
  delete(key: string): Promise<void>;
  /** Usage and quota, or null when the backend cannot tell. */
  estimate(): Promise<StorageEstimateInfo | null>;
}

/**
 * Why the browser refused a write, for a message: the error's own text, else its name (Chromium's quota
 * DOMException often has an empty message), else a plain reason — never an empty "()".
 */
export function refusedWriteReason(e: unknown): string {
  return AppError.from(e).message || (e as { name?: string } | null)?.name || 'the browser refused the write';
}

/** True for a quota error thrown by Cache Storage, OPFS, IndexedDB, MemoryBackend or a full disk (ENOSPC). */
export function isQuotaError(e: unknown): boolean {
  if (!e || typeof e !== 'object') return false;
  const o = e as { name?: string; code?: unknown };
  return o.name === 'QuotaExceededError' || o.code === 22 || o.code === 'ENOSPC' || o.code === 'EDQUOT';
}

export class MemoryBackend implements StorageBackend {
  readonly name = 'memory';
  private readonly values = new Map<string, Uint8Array>();
  private readonly quotaBytes: number;

  constructor(opts: { quotaBytes?: number } = {}) {
    this.quotaBytes = opts.quotaBytes ?? Number.MAX_SAFE_INTEGER;
  }

  private usage(): number {
    let n = 0;
    for (const v of this.values.values()) n += v.byteLength;
    return n;
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    const old = this.values.get(key)?.byteLength ?? 0;
    if (this.usage() - old + data.byteLength > this.quotaBytes) {
      throw new DOMException(`Storing ${data.byteLength} bytes would exceed the quota of ${this.quotaBytes} bytes.`, 'QuotaExceededError');
    }
    this.values.set(key, data.slice());
  }

  async get(key: string, start?: number, end?: number): Promise<Uint8Array | null> {
    const v = this.values.get(key);
    if (!v) return null;
    return v.slice(start ?? 0, end ?? v.byteLength);
  }

  async list(prefix: string): Promise<StoredEntry[]> {
    const out: StoredEntry[] = [];
    for (const [key, v] of this.values) if (key.startsWith(prefix)) out.push({ key, size: v.byteLength });
    return out;
  }

  async delete(key: string): Promise<void> {
    this.values.delete(key);
  }

  async estimate(): Promise<StorageEstimateInfo | null> {
    return { usage: this.usage(), quota: this.quotaBytes };
  }
}
