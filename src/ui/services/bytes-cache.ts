// The PDFs' bytes kept in memory for the page viewer and for reading a document again, least recently used out
// first once they hold more than `maxBytes` (the files stay in IndexedDB: an evicted one is read from there again).
// Unbounded, a session that added twenty 100 MB manuals held 2 GB of them on the main thread.
export const DEFAULT_BYTES_CACHE_LIMIT = 256 * 2 ** 20;

export class BytesCache {
  private readonly entries = new Map<string, Uint8Array>(); // in use order: least recent first
  private total = 0;

  constructor(private readonly maxBytes = DEFAULT_BYTES_CACHE_LIMIT) {}

  get(id: string): Uint8Array | undefined {
    const bytes = this.entries.get(id);
    if (bytes) {
      this.entries.delete(id);
      this.entries.set(id, bytes);
    }
    return bytes;
  }

  /** Keeps `bytes` (the most recent); older entries go while the total is over the limit (never this one). */
  set(id: string, bytes: Uint8Array): void {
    this.delete(id);
    this.entries.set(id, bytes);
    this.total += bytes.byteLength;
    for (const [old, b] of this.entries) {
      if (this.total <= this.maxBytes || old === id) break;
      this.entries.delete(old);
      this.total -= b.byteLength;
    }
  }

  delete(id: string): void {
    const bytes = this.entries.get(id);
    if (!bytes) return;
    this.entries.delete(id);
    this.total -= bytes.byteLength;
  }

  /** Bytes held now. */
  get size(): number {
    return this.total;
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }
}
