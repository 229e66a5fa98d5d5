// One conversation's read-merge-write at a time. In a browser a Web Lock (navigator.locks) per conversation
// id, held across all tabs of the origin; where there is none (Node, the unit tests) a chain of promises per
// id, which serializes the writers of this one process — all there are there.
const chains = new Map<string, Promise<void>>();

export function withConversationLock<T>(id: string, work: () => Promise<T>): Promise<T> {
  const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
  if (locks) return locks.request(`pdfchat-conversation:${id}`, work).then((result) => result);
  const before = chains.get(id) ?? Promise.resolve();
  const run = before.then(work);
  const done = run.then(
    () => undefined,
    () => undefined,
  );
  chains.set(id, done);
  void done.then(() => {
    if (chains.get(id) === done) chains.delete(id);
  });
  return run;
}
