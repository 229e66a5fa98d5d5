// One document's processing (extract, OCR, index) or removal at a time, across every tab of the origin: a
// Web Lock (navigator.locks) per document id. Where there is none (Node, old browsers) a chain of promises
// per id, which orders the work of this one page — all there is there (src/shared/named-lock.ts).
import { requestNamedLock } from '../../shared/named-lock';

const lockName = (docId: string) => `pdfchat-doc:${docId}`;

/**
 * Runs `work` holding the document's lock, waiting for it when it is held. `work` is told whether the lock was
 * held when asked for (`waited`): then someone else (another tab, or another run of this page) worked on the
 * document meanwhile, and what they stored is to be read before doing the work again.
 */
export async function withDocumentLock<T>(docId: string, work: (waited: boolean) => Promise<T>): Promise<T> {
  const now = await requestNamedLock(lockName(docId), { ifAvailable: true }, async (held) => (held ? { value: await work(false) } : null));
  if (now) return now.value;
  return requestNamedLock(lockName(docId), {}, () => work(true));
}

/**
 * Runs `work` holding the document's lock only if nobody holds it now (returns false without running it
 * otherwise): for clean-up that must never touch a document another tab is working on.
 */
export async function ifDocumentFree(docId: string, work: () => Promise<void>): Promise<boolean> {
  return requestNamedLock(lockName(docId), { ifAvailable: true }, async (held) => {
    if (!held) return false;
    await work();
    return true;
  });
}
