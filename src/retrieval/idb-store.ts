// KeyValueStore on IndexedDB (idb-keyval), for the browser. Its own database so that clearing documents
// never touches the model cache.
import { createStore, del, get, keys, set, type UseStore } from 'idb-keyval';
import type { KeyValueStore } from './store';

export class IdbStore implements KeyValueStore {
  private readonly db: UseStore;
  constructor(dbName = 'pdfchat-documents', storeName = 'retrieval') {
    this.db = createStore(dbName, storeName);
  }
  get<T>(key: string): Promise<T | undefined> {
    return get<T>(key, this.db);
  }
  set(key: string, value: unknown): Promise<void> {
    return set(key, value, this.db);
  }
  del(key: string): Promise<void> {
    return del(key, this.db);
  }
  async keys(): Promise<string[]> {
    return (await keys(this.db)).map(String);
  }
}
