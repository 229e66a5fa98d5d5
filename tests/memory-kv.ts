// An in-memory KeyValueBackend for ConversationStore (IndexedDB in the browser): real async reads and writes,
// values structured-cloned in and out as IndexedDB does, so the tests see copies, never the stored objects.
import type { KeyValueBackend } from '../src/chat/conversation-store';

export function memoryBackend(): KeyValueBackend {
  const m = new Map<string, unknown>();
  return {
    get: async (k) => structuredClone(m.get(k)) as never,
    set: async (k, v) => void m.set(k, structuredClone(v)),
    del: async (k) => void m.delete(k),
    keys: async () => [...m.keys()],
  };
}
