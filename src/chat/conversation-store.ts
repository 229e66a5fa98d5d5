// Conversation persistence. The app uses IndexedDB (idb-keyval, its own database); tests can pass any
// key-value backend with the same four calls.
import { createStore, del, get, keys, set, type UseStore } from 'idb-keyval';
import type { Conversation } from './types';

export interface KeyValueBackend {
  get<T>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown): Promise<void>;
  del(key: string): Promise<void>;
  keys(): Promise<string[]>;
}

export function indexedDbBackend(dbName = 'pdfchat-conversations', storeName = 'conversations'): KeyValueBackend {
  let store: UseStore | null = null;
  const s = () => (store ??= createStore(dbName, storeName));
  return {
    get: (k) => get(k, s()),
    set: (k, v) => set(k, v, s()),
    del: (k) => del(k, s()),
    keys: async () => (await keys(s())).map(String),
  };
}

export class ConversationStore {
  constructor(private readonly kv: KeyValueBackend = indexedDbBackend()) {}

  async list(): Promise<Conversation[]> {
    const all = await Promise.all((await this.kv.keys()).map((k) => this.kv.get<Conversation>(k)));
    return all.filter((c): c is Conversation => Boolean(c)).sort((a, b) => b.updatedAt - a.updatedAt);
  }

  get(id: string): Promise<Conversation | undefined> {
    return this.kv.get<Conversation>(id);
  }

  async save(conv: Conversation): Promise<void> {
    // Structured clone keeps plain data only; strip anything else (e.g. proxies) by a JSON round trip.
    await this.kv.set(conv.id, JSON.parse(JSON.stringify(conv)));
  }

  delete(id: string): Promise<void> {
    return this.kv.del(id);
  }

  async clear(): Promise<void> {
    for (const k of await this.kv.keys()) await this.kv.del(k);
  }
}

export function newConversation(now = Date.now()): Conversation {
  return { id: randomId(), title: 'New conversation', createdAt: now, updatedAt: now, turns: [] };
}

export function randomId(): string {
  return globalThis.crypto.randomUUID();
}
