// Conversation persistence. The app uses IndexedDB (idb-keyval, its own database); tests can pass any
// key-value backend with the same four calls.
//
// Several tabs share the store. A save therefore never writes a tab's copy over the record: `merge` reads the
// stored record, merges this copy into it (conversation-merge.ts: both tabs' turns, each at its newer state)
// and writes the result, atomically — in one IndexedDB readwrite transaction when the backend offers
// `update`, otherwise under a per-conversation lock (conversation-lock.ts). A conversation another tab deleted
// is not brought back: deletion wins (see ConversationStore.merge).
import { createStore, del, get, keys, promisifyRequest, set, type UseStore } from 'idb-keyval';
import { withConversationLock } from './conversation-lock';
import { mergeConversations } from './conversation-merge';
import type { Conversation } from './types';

export interface KeyValueBackend {
  get<T>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown): Promise<void>;
  del(key: string): Promise<void>;
  keys(): Promise<string[]>;
  /**
   * Optional: read a key and write what `next` makes of its value in one atomic step (`next` returns
   * undefined: nothing is written). Backends without it get the read and the write under a lock.
   */
  update?(key: string, next: (old: unknown) => unknown): Promise<void>;
}

export function indexedDbBackend(dbName = 'pdfchat-conversations', storeName = 'conversations'): KeyValueBackend {
  let store: UseStore | null = null;
  const s = () => (store ??= createStore(dbName, storeName));
  return {
    get: (k) => get(k, s()),
    set: (k, v) => set(k, v, s()),
    del: (k) => del(k, s()),
    keys: async () => (await keys(s())).map(String),
    // One readwrite transaction: IndexedDB runs those on one store one after another, across tabs.
    update: (k, next) =>
      s()('readwrite', (store) => {
        let failure: unknown = null;
        const read = store.get(k);
        read.onsuccess = () => {
          try {
            const value = next(read.result);
            if (value !== undefined) store.put(value, k);
          } catch (e) {
            failure = e;
            store.transaction.abort();
          }
        };
        return promisifyRequest(store.transaction).catch((e: unknown) => {
          throw failure ?? e;
        });
      }),
  };
}

/** What a merging save did: stored the merged record (returned), or found the conversation deleted. */
export type MergeOutcome = { kind: 'saved'; conversation: Conversation } | { kind: 'deleted' };

export class ConversationStore {
  constructor(private readonly kv: KeyValueBackend = indexedDbBackend()) {}

  async list(): Promise<Conversation[]> {
    const all = await Promise.all((await this.kv.keys()).map((k) => this.kv.get<Conversation>(k)));
    return all.filter((c): c is Conversation => Boolean(c)).sort((a, b) => b.updatedAt - a.updatedAt);
  }

  get(id: string): Promise<Conversation | undefined> {
    return this.kv.get<Conversation>(id);
  }

  /** Writes `conv` as it is, over whatever is stored (imports, tests); tabs save with `merge`. */
  async save(conv: Conversation): Promise<void> {
    await this.kv.set(conv.id, plain(conv));
  }

  /**
   * Saves this tab's copy of a conversation without losing what other tabs stored: the stored record and
   * `conv` are merged (every turn of both, each at its newer state) and the result is written and returned.
   * `wasStored`: this tab has seen the conversation in the store before. If the record is gone then, another
   * tab deleted it, and deletion wins: nothing is written and the outcome says 'deleted' (the caller decides
   * what becomes of its own new turns). Without `wasStored` a missing record is a new conversation.
   */
  async merge(conv: Conversation, { wasStored }: { wasStored: boolean }): Promise<MergeOutcome> {
    const mine = plain(conv);
    let outcome: MergeOutcome = { kind: 'deleted' };
    const next = (old: unknown): Conversation | undefined => {
      const stored = old as Conversation | undefined;
      if (!stored && wasStored) {
        outcome = { kind: 'deleted' };
        return undefined;
      }
      const merged = mergeConversations(stored, mine);
      outcome = { kind: 'saved', conversation: merged };
      return merged;
    };
    const update = this.kv.update?.bind(this.kv);
    if (update) await update(conv.id, next);
    else
      await withConversationLock(conv.id, async () => {
        const value = next(await this.kv.get<Conversation>(conv.id));
        if (value !== undefined) await this.kv.set(conv.id, value);
      });
    return outcome;
  }

  delete(id: string): Promise<void> {
    // Under the lock too, so a merge of this conversation never straddles its deletion.
    return this.kv.update ? this.kv.del(id) : withConversationLock(id, () => this.kv.del(id));
  }

  async clear(): Promise<void> {
    for (const k of await this.kv.keys()) await this.kv.del(k);
  }
}

/** Structured clone keeps plain data only; strip anything else (e.g. proxies) by a JSON round trip. */
function plain(conv: Conversation): Conversation {
  return JSON.parse(JSON.stringify(conv)) as Conversation;
}

export function newConversation(now = Date.now()): Conversation {
  return { id: randomId(), title: 'New conversation', createdAt: now, updatedAt: now, turns: [] };
}

export function randomId(): string {
  return globalThis.crypto.randomUUID();
}
