// An in-memory KeyValueBackend for ConversationStore (IndexedDB in the browser): real async reads and writes,
// values structured-cloned in and out as IndexedDB does, so the tests see copies, never the stored objects.
import type { KeyValueBackend } from '../src/chat/conversation-store';

/** `full()`: while it returns true, writes fail as IndexedDB's do when the site's storage is full. */
export function memoryBackend({ full = () => false }: { full?: () => boolean } = {}): KeyValueBackend {
  const m = new Map<string, unknown>();
  return {
    get: async (k) => structuredClone(m.get(k)) as never,
    set: async (k, v) => {
      if (full()) throw new DOMException('', 'QuotaExceededError');
      m.set(k, structuredClone(v));
    },
    del: async (k) => void m.delete(k),
    keys: async () => [...m.keys()],
  };
}
