// Named locks across every tab of the origin: a Web Lock (navigator.locks) where there is one; where there is
// none (Node, the unit tests, old browsers), or where the browser refuses it (Chromium rejects Lock requests with
// SecurityError when the site's storage is blocked, as in some embedded or opaque origins), a chain of promises
// per name, which orders the work of this one process or page — all there is there. Conversations, documents,
// running answers and model downloads each lock by their own name. Every lock of the project is taken through
// `requestNamedLock`, so none of them can leave its caller waiting forever on a refused request.
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

/** How a lock is asked for: `ifAvailable` (work gets null at once when it is held), `shared` (readers together). */
export interface NamedLockOptions {
  ifAvailable?: boolean;
  shared?: boolean;
}

/**
 * Runs `work` holding the lock `name` — a Web Lock, or the in-page chain where Web Locks are missing or refused.
 * `work` gets whether it holds the lock: always true, except with `ifAvailable` when someone else holds it.
 * An error thrown by `work` is the caller's; a refusal of the request itself is not (the chain takes over).
 */
export async function requestNamedLock<T>(name: string, options: NamedLockOptions, work: (held: boolean) => Promise<T>): Promise<T> {
  const locks = lockManager();
  if (locks) {
    let started = false;
    const run = (lock: Lock | null) => {
      started = true;
      return work(lock !== null);
    };
    const request = { mode: options.shared ? ('shared' as const) : ('exclusive' as const), ...(options.ifAvailable ? { ifAvailable: true } : {}) };
    try {
      // (.then unwraps the type: LockManager.request's typing nests the callback's promise.)
      return await locks.request(name, request, run).then((result) => result);
    } catch (e) {
      if (started) throw e;
      // Refused before `work` ran: on to the chain.
    }
  }
  if (options.ifAvailable && chainBusy(name)) return work(false);
  return chained(name, () => work(true));
}

/** Runs `work` holding the lock `name`, waiting for it when it is held. */
export function withNamedLock<T>(name: string, work: () => Promise<T>): Promise<T> {
  return requestNamedLock(name, {}, () => work());
}

/**
 * Takes the lock `name` (waiting while it is held) and keeps it until the returned `release` is called — or
 * until the page closes or crashes, when the browser lets a Web Lock go by itself. Other tabs see it held
 * (`namedLockHeld`) and can wait for its end (`whenNamedLockFree`): what a running answer is announced by.
 */
export async function holdNamedLock(name: string): Promise<() => void> {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  await new Promise<void>((taken) => {
    void requestNamedLock(name, {}, () => {
      taken();
      return held;
    });
  });
  return release;
}

/** Whether someone (any tab of the origin; in this process where there are no Web Locks) holds the lock `name` now. */
export async function namedLockHeld(name: string): Promise<boolean> {
  const locks = lockManager();
  if (locks) {
    try {
      const now = await locks.query();
      return (now.held ?? []).some((l) => l.name === name);
    } catch {
      // Refused (storage blocked): only this page's chain can say.
    }
  }
  return chainBusy(name);
}

/** Resolves once the lock `name` is free: at once if nobody holds it, else when its holder lets go (or closes). */
export async function whenNamedLockFree(name: string): Promise<void> {
  // Shared: any number of watchers wait together, and none of them keeps the lock from anyone afterwards.
  await requestNamedLock(name, { shared: true }, async () => undefined);
}
