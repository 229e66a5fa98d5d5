// Named locks across every tab of the origin: a Web Lock (navigator.locks) where there is one; where there is
// none (Node, the unit tests, old browsers) a chain of promises per name, which orders the work of this one
// process or page — all there is there. Conversations, documents and model downloads each lock by their own name.
const chains = new Map<string, Promise<void>>();

/** The origin's Web Locks, or undefined (Node, old browsers). */
export function lockManager(): LockManager | undefined {
  return typeof navigator !== 'undefined' ? (navigator as Navigator & { locks?: LockManager }).locks : undefined;
}

/** Runs `work` after every earlier `chained` work of the same name (in this process); errors do not break the chain. */
export function chained<T>(name: string, work: () => Promise<T>): Promise<T> {
  const run = (chains.get(name) ?? Promise.resolve()).then(work);
  const done = run.then(() => undefined, () => undefined);
  chains.set(name, done);
  void done.then(() => {
    if (chains.get(name) === done) chains.delete(name);
  });
  return run;
}

/** Whether `chained` work of this name is running or waiting in this process. */
export function chainBusy(name: string): boolean {
  return chains.has(name);
}

/** Runs `work` holding the lock `name`, waiting for it when it is held. */
export function withNamedLock<T>(name: string, work: () => Promise<T>): Promise<T> {
  const locks = lockManager();
  // (.then unwraps the type: LockManager.request's typing nests the callback's promise.)
  return locks ? locks.request(name, work).then((result) => result) : chained(name, work);
}

/**
 * Takes the lock `name` (waiting while it is held) and keeps it until the returned `release` is called — or
 * until the page closes or crashes, when the browser lets a Web Lock go by itself. Other tabs see it held
 * (`namedLockHeld`) and can wait for its end (`whenNamedLockFree`): what a running answer is announced by.
 */
export async function holdNamedLock(name: string): Promise<() => void> {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const locks = lockManager();
  await new Promise<void>((taken) => {
    const work = () => {
      taken();
      return held;
    };
    if (locks) void locks.request(name, work);
    else void chained(name, work);
  });
  return release;
}

/** Whether someone (any tab of the origin; in this process where there are no Web Locks) holds the lock `name` now. */
export async function namedLockHeld(name: string): Promise<boolean> {
  const locks = lockManager();
  if (!locks) return chainBusy(name);
  const now = await locks.query();
  return (now.held ?? []).some((l) => l.name === name);
}

/** Resolves once the lock `name` is free: at once if nobody holds it, else when its holder lets go (or closes). */
export async function whenNamedLockFree(name: string): Promise<void> {
  const locks = lockManager();
  // Shared: any number of watchers wait together, and none of them keeps the lock from anyone afterwards.
  if (locks) await locks.request(name, { mode: 'shared' }, async () => undefined);
  else await chained(name, async () => undefined);
}
