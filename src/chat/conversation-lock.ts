// One conversation's read-merge-write at a time, across the tabs of the origin (src/shared/named-lock.ts: a Web
// Lock per conversation id; in Node a chain of promises, which serializes the writers of this one process).
import { withNamedLock } from '../shared/named-lock';

export function withConversationLock<T>(id: string, work: () => Promise<T>): Promise<T> {
  return withNamedLock(`pdfchat-conversation:${id}`, work);
}
