// Where indexed documents live between sessions. Keys are strings; values are structured-clonable
// (plain objects, arrays, Float32Array). The browser uses IndexedDB through idb-keyval (idb-store.ts);
// Node (CLI, tests) uses MemoryStore. Both behave the same: a value read back is a copy.

export interface KeyValueStore {
  get<T>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown): Promise<void>;
  del(key: string): Promise<void>;
  keys(): Promise<string[]>;
}

export class MemoryStore implements KeyValueStore {
  private readonly map = new Map<string, unknown>();
  /** Number of set() calls so far (lets tests prove that nothing was re-written). */
  writes = 0;

  async get<T>(key: string): Promise<T | undefined> {
    return this.map.has(key) ? structuredClone(this.map.get(key) as T) : undefined;
  }
  async set(key: string, value: unknown): Promise<void> {
    this.writes++;
    this.map.set(key, structuredClone(value));
  }
  async del(key: string): Promise<void> {
    this.map.delete(key);
  }
  async keys(): Promise<string[]> {
    return [...this.map.keys()];
  }
}
